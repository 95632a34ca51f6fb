//! Batch loading of payments and of receivables by contract or PO.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{payment, receivable};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{Error, auth::Visibility, graphql::batch::Batcher};

/// Keyed by receivable id; the receivable was already checked for visibility.
/// It keeps what it loaded (and what it is fed) for the request: the
/// lead-to-cash trace reads the payments before its receivables resolve.
pub struct PaymentsLoader {
    pub db: DatabaseConnection,
}

impl Loader<Uuid> for PaymentsLoader {
    type Value = Vec<payment::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::payments_for(&self.db, keys).await.map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| {
            Some(r.receivable_id)
        }))
    }
}

/// Keyed by contract id.
pub struct ReceivablesByContract {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for ReceivablesByContract {
    type Value = Vec<receivable::Model>;
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

/// Keyed by purchase order id.
pub struct ReceivablesByOrder {
    pub db: DatabaseConnection,
    pub visibility: Visibility,
}

impl Loader<Uuid> for ReceivablesByOrder {
    type Value = Vec<receivable::Model>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = repo::for_orders(&self.db, &self.visibility, keys)
            .await
            .map_err(Arc::new)?;
        Ok(crate::graphql::batch::grouped(rows, |r| {
            r.purchase_order_id
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
    let visibility = &actor.loader_visibility(crate::auth::Capability::ReadReceivables);
    request
        .data(batcher.caching_loader(PaymentsLoader { db: db.clone() }))
        .data(batcher.loader(ReceivablesByContract {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
        .data(batcher.loader(ReceivablesByOrder {
            db: db.clone(),
            visibility: visibility.clone(),
        }))
}
