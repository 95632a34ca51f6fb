//! Batch loading of products (by id, for quote lines and the like) and of
//! their prices (by product). The catalogue has no per-row visibility:
//! callers check `ReadCatalogue` before using these.

use entity::{price, product};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Visibility},
    graphql::batch::{Batch, Batcher, ById, Each, Grouped},
};

pub type ProductLoader = Each<ById<product::Entity>>;

/// Keyed by product id: its prices, by currency.
pub struct Prices;

impl Batch for Prices {
    type Row = price::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<price::Model>> {
        repo::prices_of(db, keys).await
    }

    fn key(row: &price::Model) -> Option<Uuid> {
        Some(row.product_id)
    }
}

pub type PricesByProduct = Grouped<Prices>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    _actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    request
        .data(batcher.loader(ProductLoader::unfiltered(db)))
        .data(batcher.loader(PricesByProduct::unfiltered(db)))
}
