//! Batch loading of products (by id, for quote lines and the like) and of
//! their prices (by product). The catalogue has no per-row visibility:
//! callers check `ReadCatalogue` before using these.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{price, product};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{Error, graphql::batch::Batcher};

pub struct ProductLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for ProductLoader {
    type Value = product::Model;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::find_many(&self.db, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// Keyed by product id: its prices, by currency.
pub struct PricesByProduct {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for PricesByProduct {
    type Value = Vec<price::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::prices_of(&self.db, keys).await.map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| Some(r.product_id)))
    }
}

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    _actor: &crate::auth::Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    request
        .data(batcher.loader(ProductLoader { db: db.clone() }))
        .data(batcher.loader(PricesByProduct { db: db.clone() }))
}
