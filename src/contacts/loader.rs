//! Batch loading of contacts: by id, and all of an account's.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::contact;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{Error, auth::Visibility, graphql::batch::Batcher};

pub struct ContactLoader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for ContactLoader {
    type Value = contact::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows =
            crate::db::visible::find_many::<contact::Entity>(&self.db, &self.visibility, keys)
                .await
                .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// Keyed by account id; the parent account was already checked for visibility.
pub struct ContactsByAccount {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for ContactsByAccount {
    type Value = Vec<contact::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::for_accounts(&self.db, keys).await.map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| Some(r.account_id)))
    }
}

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &crate::auth::Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(crate::auth::Capability::ReadAccounts);
    request
        .data(batcher.loader(ContactLoader {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
        .data(batcher.loader(ContactsByAccount { db: db.clone() }))
}
