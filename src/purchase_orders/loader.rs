//! Batch loading of purchase orders and their lines.

use entity::{purchase_order, purchase_order_line};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Capability, Visibility},
    graphql::batch::{Batch, Batcher, ById, Each, Grouped},
};

/// Keyed by PO id; the PO was already checked for visibility.
pub struct Lines;

impl Batch for Lines {
    type Row = purchase_order_line::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<purchase_order_line::Model>> {
        repo::lines_of(db, keys).await
    }

    fn key(row: &purchase_order_line::Model) -> Option<Uuid> {
        Some(row.purchase_order_id)
    }
}

pub type OrderLinesLoader = Grouped<Lines>;

/// Keyed by contract id: the contract's POs.
pub struct OfContracts;

impl Batch for OfContracts {
    type Row = purchase_order::Model;

    async fn rows(
        db: &DatabaseConnection,
        visibility: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<purchase_order::Model>> {
        repo::for_contracts(db, visibility, keys).await
    }

    fn key(row: &purchase_order::Model) -> Option<Uuid> {
        Some(row.contract_id)
    }
}

pub type OrdersByContract = Grouped<OfContracts>;

/// Keyed by PO id.
pub type OrderLoader = Each<ById<purchase_order::Entity>>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(Capability::ReadOrders);
    request
        .data(batcher.loader(OrderLinesLoader::unfiltered(db)))
        .data(batcher.loader(OrdersByContract::new(db, visibility)))
        .data(batcher.loader(OrderLoader::new(db, visibility)))
}
