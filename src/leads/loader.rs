//! Batch loading of leads: by id, and the duplicates of a page of leads.

use entity::lead;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Capability, Visibility},
    graphql::batch::{Batch, Batcher, ById, Each, Grouped},
};

pub type LeadLoader = Each<ById<lead::Entity>>;

/// Keyed by the original lead's id: the visible leads marked as its duplicates.
pub struct DuplicatesOf;

impl Batch for DuplicatesOf {
    type Row = lead::Model;

    async fn rows(
        db: &DatabaseConnection,
        visibility: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<lead::Model>> {
        repo::duplicates_of(db, visibility, keys).await
    }

    fn key(row: &lead::Model) -> Option<Uuid> {
        row.duplicate_of_lead_id
    }
}

pub type DuplicatesLoader = Grouped<DuplicatesOf>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(Capability::ReadLeads);
    request
        .data(batcher.loader(LeadLoader::new(db, visibility)))
        .data(batcher.loader(DuplicatesLoader::new(db, visibility)))
}
