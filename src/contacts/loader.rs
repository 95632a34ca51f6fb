//! Batch loading of contacts: by id, and all of an account's.

use entity::contact;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Capability, Visibility},
    graphql::batch::{Batch, Batcher, ById, Each, Grouped},
};

pub type ContactLoader = Each<ById<contact::Entity>>;

/// Keyed by account id; the parent account was already checked for visibility.
pub struct OfAccounts;

impl Batch for OfAccounts {
    type Row = contact::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<contact::Model>> {
        repo::for_accounts(db, keys).await
    }

    fn key(row: &contact::Model) -> Option<Uuid> {
        Some(row.account_id)
    }
}

pub type ContactsByAccount = Grouped<OfAccounts>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(Capability::ReadAccounts);
    request
        .data(batcher.loader(ContactLoader::new(db, visibility)))
        .data(batcher.loader(ContactsByAccount::unfiltered(db)))
}
