//! Batch loading of a page of contracts' lines and payment terms, one
//! statement each.

use entity::{contract_line, payment_milestone};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Result,
    auth::{Actor, Visibility},
    graphql::batch::{Batch, Batcher, Grouped},
};

/// Keyed by contract id: its lines in order. Callers already see the contract.
pub struct Lines;

impl Batch for Lines {
    type Row = contract_line::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<contract_line::Model>> {
        repo::lines_of(db, keys).await
    }

    fn key(row: &contract_line::Model) -> Option<Uuid> {
        Some(row.contract_id)
    }
}

pub type ContractLinesLoader = Grouped<Lines>;

/// Keyed by contract id: its payment milestones in order.
pub struct Milestones;

impl Batch for Milestones {
    type Row = payment_milestone::Model;

    async fn rows(
        db: &DatabaseConnection,
        _: &Visibility,
        keys: &[Uuid],
    ) -> Result<Vec<payment_milestone::Model>> {
        repo::milestones_of(db, keys).await
    }

    fn key(row: &payment_milestone::Model) -> Option<Uuid> {
        Some(row.contract_id)
    }
}

pub type PaymentTermsLoader = Grouped<Milestones>;

/// Adds this aggregate's batch loaders to a request.
pub fn register(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    _actor: &Actor,
    batcher: &Batcher,
) -> async_graphql::Request {
    request
        .data(batcher.loader(ContractLinesLoader::unfiltered(db)))
        .data(batcher.loader(PaymentTermsLoader::unfiltered(db)))
}
