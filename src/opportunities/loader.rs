//! Batch loading of opportunities (by id, by account) and their teams.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{opportunity, team_member};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{Error, auth::Visibility, graphql::batch::Batcher};

pub struct OpportunityLoader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for OpportunityLoader {
    type Value = opportunity::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows =
            crate::db::visible::find_many::<opportunity::Entity>(&self.db, &self.visibility, keys)
                .await
                .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|o| (o.id, o)).collect())
    }
}

/// Keyed by account id: the account's opportunities the caller sees.
pub struct OpportunitiesByAccount {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for OpportunitiesByAccount {
    type Value = Vec<opportunity::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::visible_for_accounts(&self.db, &self.visibility, keys)
            .await
            .map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| Some(r.account_id)))
    }
}

/// Keyed by opportunity id: its team members.
pub struct TeamLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for TeamLoader {
    type Value = Vec<team_member::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::teams(&self.db, keys).await.map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| {
            Some(r.opportunity_id)
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
    let visibility = &actor.loader_visibility(crate::auth::Capability::ReadAccounts);
    request
        .data(batcher.loader(OpportunityLoader {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
        .data(batcher.loader(OpportunitiesByAccount {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
        .data(batcher.loader(TeamLoader { db: db.clone() }))
}
