//! The outbox job that pushes one PO to the ERP and keeps the PO's sync
//! state: `FAILED` with the error while it retries, `SYNCED` with the ERP's
//! ref, `DEAD` with the error once the outbox gives up.

use std::sync::Arc;

use entity::enums::ErpSyncStatus;
use futures::{FutureExt, future::BoxFuture};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{mapping, repo};
use crate::connectors::erp::ErpClient;
use crate::outbox::{JobFailure, JobHandler};

/// The job kind; its payload is `{"purchase_order_id": "<uuid>"}`.
pub const PUSH_ORDER: &str = "erp.push_order";

/// One push job per PO: enqueueing it twice is a no-op, and a person's
/// retry re-arms the same job.
pub fn dedupe_key(purchase_order_id: Uuid) -> String {
    format!("{PUSH_ORDER}:{purchase_order_id}")
}

pub struct PushOrder {
    db: DatabaseConnection,
    client: Arc<dyn ErpClient>,
}

impl PushOrder {
    pub fn new(db: DatabaseConnection, client: Arc<dyn ErpClient>) -> PushOrder {
        PushOrder { db, client }
    }

    async fn push(&self, id: Uuid) -> Result<(), JobFailure> {
        let parts = repo::order_parts(&self.db, id)
            .await
            .map_err(database)?
            .ok_or_else(|| JobFailure::permanent(format!("purchase order {id} does not exist")))?;
        let order = &parts.order;
        if order.erp_sync_status == ErpSyncStatus::Synced && order.erp_order_ref.is_some() {
            return Ok(());
        }
        repo::record_attempt(&self.db, id).await.map_err(database)?;
        let outcome = match mapping::sales_order(&parts) {
            Err(message) => Err(JobFailure::Permanent(message)),
            Ok(sales_order) => self.client.push(&sales_order).await,
        };
        match outcome {
            Ok(erp_ref) => {
                // Should this write fail, the next try finds the order in the ERP.
                repo::mark_synced(&self.db, id, &erp_ref)
                    .await
                    .map_err(database)?;
                tracing::info!(purchase_order = %id, erp_ref, erp = self.client.name(), "purchase order synced to the ERP");
                Ok(())
            }
            Err(failure) => {
                repo::mark_failure(&self.db, id, ErpSyncStatus::Failed, failure.message())
                    .await
                    .map_err(database)?;
                Err(failure)
            }
        }
    }
}

fn database(error: crate::Error) -> JobFailure {
    tracing::error!(error = ?error, "ERP push: database error");
    JobFailure::retry("database error while recording the push")
}

fn purchase_order_id(job: &entity::job::Model) -> Option<Uuid> {
    job.payload["purchase_order_id"].as_str()?.parse().ok()
}

impl JobHandler for PushOrder {
    fn kind(&self) -> &'static str {
        PUSH_ORDER
    }

    fn run<'a>(&'a self, job: &'a entity::job::Model) -> BoxFuture<'a, Result<(), JobFailure>> {
        async move {
            match purchase_order_id(job) {
                Some(id) => self.push(id).await,
                None => Err(JobFailure::permanent(
                    "the job's payload names no purchase_order_id",
                )),
            }
        }
        .boxed()
    }

    fn on_dead<'a>(&'a self, job: &'a entity::job::Model, error: &'a str) -> BoxFuture<'a, ()> {
        async move {
            let Some(id) = purchase_order_id(job) else {
                return;
            };
            if let Err(e) = repo::mark_failure(&self.db, id, ErpSyncStatus::Dead, error).await {
                tracing::error!(error = ?e, purchase_order = %id, "marking the ERP push dead");
            }
        }
        .boxed()
    }
}
