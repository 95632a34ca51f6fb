//! Batch loading of opportunities (by id, by account) and their teams.

use entity::{opportunity, team_member};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Capability, Visibility},
    graphql::batch::{Batch, Batcher, ById, Each, Grouped},
};

pub type OpportunityLoader = Each<ById<opportunity::Entity>>;

/// Keyed by account id: the account's opportunities the caller sees.
pub struct OfAccounts;

impl Batch for OfAccounts {
    type Row = opportunity::Model;

    async fn rows(
        db: &DatabaseConnection,
        visibility: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<opportunity::Model>> {
        repo::visible_for_accounts(db, visibility, keys).await
    }

    fn key(row: &opportunity::Model) -> Option<Uuid> {
        Some(row.account_id)
    }
}

pub type OpportunitiesByAccount = Grouped<OfAccounts>;

/// Keyed by opportunity id: its team members.
pub struct Teams;

impl Batch for Teams {
    type Row = team_member::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<team_member::Model>> {
        repo::teams(db, keys).await
    }

    fn key(row: &team_member::Model) -> Option<Uuid> {
        Some(row.opportunity_id)
    }
}

pub type TeamLoader = Grouped<Teams>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(Capability::ReadAccounts);
    request
        .data(batcher.loader(OpportunityLoader::new(db, visibility)))
        .data(batcher.loader(OpportunitiesByAccount::new(db, visibility)))
        .data(batcher.loader(TeamLoader::unfiltered(db)))
}
