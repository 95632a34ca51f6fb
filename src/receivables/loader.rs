//! Batch loading of payments and of receivables by contract or PO.

use entity::{payment, receivable};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Capability, Visibility},
    graphql::batch::{Batch, Batcher, Grouped},
};

/// Keyed by receivable id; the receivable was already checked for visibility.
/// Its loader keeps what it loaded (and what it is fed) for the request: the
/// lead-to-cash trace reads the payments before its receivables resolve.
pub struct Payments;

impl Batch for Payments {
    type Row = payment::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<payment::Model>> {
        repo::payments_for(db, keys).await
    }

    fn key(row: &payment::Model) -> Option<Uuid> {
        Some(row.receivable_id)
    }
}

pub type PaymentsLoader = Grouped<Payments>;

/// Keyed by contract id.
pub struct OfContracts;

impl Batch for OfContracts {
    type Row = receivable::Model;

    async fn rows(
        db: &DatabaseConnection,
        visibility: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<receivable::Model>> {
        repo::for_contracts(db, visibility, keys).await
    }

    fn key(row: &receivable::Model) -> Option<Uuid> {
        Some(row.contract_id)
    }
}

pub type ReceivablesByContract = Grouped<OfContracts>;

/// Keyed by purchase order id.
pub struct OfOrders;

impl Batch for OfOrders {
    type Row = receivable::Model;

    async fn rows(
        db: &DatabaseConnection,
        visibility: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<receivable::Model>> {
        repo::for_orders(db, visibility, keys).await
    }

    fn key(row: &receivable::Model) -> Option<Uuid> {
        row.purchase_order_id
    }
}

pub type ReceivablesByOrder = Grouped<OfOrders>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    let visibility = &actor.loader_visibility(Capability::ReadReceivables);
    request
        .data(batcher.caching_loader(PaymentsLoader::unfiltered(db)))
        .data(batcher.loader(ReceivablesByContract::new(db, visibility)))
        .data(batcher.loader(ReceivablesByOrder::new(db, visibility)))
}
