//! Batch loading of a page of records' histories in one statement.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::transition;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{Error, graphql::batch::Batcher};

/// Keyed by the subject's id; callers have already checked they see the subject.
pub struct HistoryLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for HistoryLoader {
    type Value = Vec<transition::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = super::repo::for_subjects(&self.db, keys)
            .await
            .map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| Some(r.subject_id)))
    }
}

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    _actor: &crate::auth::Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    request.data(batcher.loader(HistoryLoader { db: db.clone() }))
}
