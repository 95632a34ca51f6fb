//! Batch loading of leads: by id, and the duplicates that point at a lead.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::lead;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{Error, auth::Visibility, graphql::batch::Batcher};

pub struct LeadLoader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for LeadLoader {
    type Value = lead::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::db::visible::find_many::<lead::Entity>(&self.db, &self.visibility, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|l| (l.id, l)).collect())
    }
}

/// Keyed by the original lead's id: the visible leads marked as its duplicates.
pub struct DuplicatesLoader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for DuplicatesLoader {
    type Value = Vec<lead::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::duplicates_of(&self.db, &self.visibility, keys)
            .await
            .map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| {
            r.duplicate_of_lead_id
        }))
    }
}

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &crate::auth::Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(crate::auth::Capability::ReadLeads);
    request
        .data(batcher.loader(LeadLoader {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
        .data(batcher.loader(DuplicatesLoader {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
}
