//! Batch loading of a page of contracts' lines and payment terms, one
//! statement each.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{contract_line, payment_milestone};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{Error, graphql::batch::Batcher};

/// Keyed by contract id: its lines in order. Callers already see the contract.
pub struct ContractLinesLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for ContractLinesLoader {
    type Value = Vec<contract_line::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::lines_of(&self.db, keys).await.map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| {
            Some(r.contract_id)
        }))
    }
}

/// Keyed by contract id: its payment milestones in order.
pub struct PaymentTermsLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for PaymentTermsLoader {
    type Value = Vec<payment_milestone::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::milestones_of(&self.db, keys)
            .await
            .map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| {
            Some(r.contract_id)
        }))
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
        .data(batcher.loader(ContractLinesLoader { db: db.clone() }))
        .data(batcher.loader(PaymentTermsLoader { db: db.clone() }))
}
