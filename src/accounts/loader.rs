//! Batch loading of accounts for nested fields (lead → account, contact →
//! account, ...): one statement per batch, filtered by what the caller sees.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::account;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{Error, auth::Visibility, graphql::batch::Batcher};

pub struct AccountLoader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for AccountLoader {
    type Value = account::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows =
            crate::db::visible::find_many::<account::Entity>(&self.db, &self.visibility, keys)
                .await
                .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
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
    request.data(batcher.loader(AccountLoader {
        db: db.clone(),
        visibility: visibility.clone(),
    }))
}
