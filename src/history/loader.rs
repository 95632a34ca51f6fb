//! Batch loading of a page of records' histories in one statement.

use entity::transition;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Visibility},
    graphql::batch::{Batch, Batcher, Grouped},
};

/// Keyed by the subject's id; callers have already checked they see the subject.
pub struct OfSubjects;

impl Batch for OfSubjects {
    type Row = transition::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<transition::Model>> {
        repo::for_subjects(db, keys).await
    }

    fn key(row: &transition::Model) -> Option<Uuid> {
        Some(row.subject_id)
    }
}

pub type HistoryLoader = Grouped<OfSubjects>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    _actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    request.data(batcher.loader(HistoryLoader::unfiltered(db)))
}
