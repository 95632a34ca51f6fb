//! Housekeeping, run by the outbox worker every hour: finished jobs older
//! than the retention (`LTC_JOB_RETENTION_DAYS`) and webhook receipts older
//! than a day are deleted, so the tables do not grow without end. Dead jobs
//! stay until a person retries them. The outbox knows only its own table;
//! other modules' tables (webhook receipts) are swept by the [`Sweep`]s the
//! startup hands in.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{JobFailure, JobHandler, repo};
use crate::Result;

pub const KIND: &str = "outbox.prune";
const EVERY_SECS: i64 = 3600;

/// Schedules the round of the next full hour (one job however many instances ask).
pub async fn schedule(db: &impl ConnectionTrait) -> Result<()> {
    let now = Utc::now().timestamp();
    let slot = (now.div_euclid(EVERY_SECS) + 1) * EVERY_SECS;
    let run_at = chrono::DateTime::from_timestamp(slot, 0).unwrap_or_else(Utc::now);
    repo::enqueue_at(
        db,
        KIND,
        serde_json::json!({}),
        Some(format!("{KIND}:{slot}")),
        run_at,
    )
    .await?;
    Ok(())
}

/// Another module's housekeeping in the same round: deletes what its owner
/// no longer needs as of `now` and says how many rows went.
pub type Sweep = for<'a> fn(&'a DatabaseConnection, DateTime<Utc>) -> BoxFuture<'a, Result<u64>>;

pub struct Prune {
    pub db: DatabaseConnection,
    pub retention_days: i64,
    pub sweeps: Vec<Sweep>,
}

impl JobHandler for Prune {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(
        &'a self,
        _job: &'a entity::job::Model,
    ) -> BoxFuture<'a, std::result::Result<(), JobFailure>> {
        Box::pin(async move {
            let now = Utc::now();
            let jobs =
                repo::prune_done(&self.db, now - chrono::Duration::days(self.retention_days))
                    .await
                    .map_err(|e| JobFailure::retry(e.to_string()))?;
            let mut receipts = 0;
            for sweep in &self.sweeps {
                receipts += sweep(&self.db, now)
                    .await
                    .map_err(|e| JobFailure::retry(e.to_string()))?;
            }
            tracing::info!(jobs, receipts, "pruned");
            schedule(&self.db)
                .await
                .map_err(|e| JobFailure::retry(e.to_string()))
        })
    }
}

pub fn handlers(
    db: &DatabaseConnection,
    retention_days: i64,
    sweeps: Vec<Sweep>,
) -> Vec<Arc<dyn JobHandler>> {
    vec![Arc::new(Prune {
        db: db.clone(),
        retention_days: retention_days.max(1),
        sweeps,
    })]
}
