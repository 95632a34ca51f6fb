//! Batch loading of purchase orders and their lines.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{purchase_order, purchase_order_line};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{Error, auth::Visibility, graphql::batch::Batcher};

/// Keyed by PO id; the PO was already checked for visibility.
pub struct OrderLinesLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for OrderLinesLoader {
    type Value = Vec<purchase_order_line::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::lines_of(&self.db, keys).await.map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| {
            Some(r.purchase_order_id)
        }))
    }
}

/// Keyed by contract id: the contract's POs.
pub struct OrdersByContract {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for OrdersByContract {
    type Value = Vec<purchase_order::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::for_contracts(&self.db, &self.visibility, keys)
            .await
            .map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| {
            Some(r.contract_id)
        }))
    }
}

/// Keyed by PO id.
pub struct OrderLoader {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for OrderLoader {
    type Value = purchase_order::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::db::visible::find_many::<purchase_order::Entity>(
            &self.db,
            &self.visibility,
            keys,
        )
        .await
        .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|o| (o.id, o)).collect())
    }
}

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &crate::auth::Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(crate::auth::Capability::ReadOrders);
    request
        .data(batcher.loader(OrderLinesLoader { db: db.clone() }))
        .data(batcher.loader(OrdersByContract {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
        .data(batcher.loader(OrderLoader {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
}
