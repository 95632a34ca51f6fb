//! Syncing receivables with their invoices: one on request
//! (`syncPaymentStatus`), all open ones periodically as a `billing.sync`
//! outbox job (the design is in the module above).

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{job, receivable};
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::reconcile::SYNCABLE;
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    connectors::billing::{Billing, BillingClient, BillingError},
    db,
    outbox::{JobFailure, JobHandler, repo::enqueue_at},
    receivables::{repo as receivables_repo, service},
};

/// The kind of the periodic sweep jobs.
pub const SYNC_JOB: &str = "billing.sync";

/// Receivables read per database round trip of a sweep.
const BATCH: u64 = 50;

/// A sweep starts no new request after this long; the rest of its slot runs
/// as a continuation. With the request timeout on top it stays well inside
/// the outbox lease (60 s by default).
const RUN_BUDGET: Duration = Duration::from_secs(20);

/// Who the history and the payments name when the periodic sync acts.
pub fn sync_actor() -> Actor {
    Actor {
        sub: "billing-sync".into(),
        name: Some("billing sync".into()),
        roles: Default::default(),
        scopes: None,
    }
}

/// Brings one receivable up to date with its invoice now. Finance work
/// (`ManageReceivables`). `VALIDATION` when billing is off, the receivable
/// has no invoice or is not invoiced, partly paid or paid; `UPSTREAM` when
/// the billing system fails, and then nothing has changed.
pub async fn sync_payment_status(
    db: &DatabaseConnection,
    billing: &Billing,
    actor: &Actor,
    id: Uuid,
) -> Result<receivable::Model> {
    actor.require(Capability::ManageReceivables)?;
    let Some(client) = billing.client() else {
        return Err(Error::validation(
            "receivableId",
            "no billing system is configured (LTC_BILLING_KIND)",
        ));
    };
    let receivable = service::get_as(db, actor, Capability::ManageReceivables, id).await?;
    let Some(invoice_id) = receivable.billing_invoice_id.as_deref() else {
        return Err(Error::validation(
            "receivableId",
            "has no billing invoice; link one first",
        ));
    };
    if !SYNCABLE.contains(&receivable.status) {
        return Err(Error::validation(
            "receivableId",
            format!(
                "is {}; only invoiced, partly paid or paid receivables sync",
                service::status_name(receivable.status)
            ),
        ));
    }
    let invoice = client.fetch_invoice(invoice_id).await?;
    service::apply_billing_snapshot(db, actor, id, &invoice).await
}

/// Where a sweep is: its slot, and the last receivable it finished.
#[derive(Serialize, Deserialize)]
struct Sweep {
    slot: i64,
    after: Option<Uuid>,
}

fn slot_of(at: DateTime<Utc>, interval: Duration) -> i64 {
    at.timestamp()
        .div_euclid(i64::try_from(interval.as_secs().max(1)).unwrap_or(i64::MAX))
}

fn key(interval: Duration, slot: i64, after: Option<Uuid>) -> String {
    match after {
        None => format!("{SYNC_JOB}:{}:{slot}", interval.as_secs()),
        Some(id) => format!("{SYNC_JOB}:{}:{slot}:{id}", interval.as_secs()),
    }
}

async fn schedule(
    db: &DatabaseConnection,
    interval: Duration,
    sweep: Sweep,
    run_at: DateTime<Utc>,
) -> Result<()> {
    let key = key(interval, sweep.slot, sweep.after);
    let payload = serde_json::to_value(&sweep).map_err(anyhow::Error::from)?;
    match enqueue_at(db, SYNC_JOB, payload, Some(key), run_at).await {
        // Another instance scheduled the same sweep a moment before.
        Ok(_) | Err(Error::Conflict(_)) => Ok(()),
        Err(error) => Err(error),
    }
}

/// The current slot's sweep, due now, unless it exists already.
pub async fn schedule_current(db: &DatabaseConnection, interval: Duration) -> Result<()> {
    let now = db::now();
    let sweep = Sweep {
        slot: slot_of(now, interval),
        after: None,
    };
    schedule(db, interval, sweep, now).await
}

/// The next slot's sweep, due when that slot starts.
async fn schedule_next(db: &DatabaseConnection, interval: Duration) -> Result<()> {
    let slot = slot_of(db::now(), interval) + 1;
    let secs = i64::try_from(interval.as_secs()).unwrap_or(i64::MAX);
    let run_at = DateTime::from_timestamp(slot.saturating_mul(secs), 0).unwrap_or_else(db::now);
    schedule(db, interval, Sweep { slot, after: None }, run_at).await
}

/// The handler of `billing.sync` jobs.
pub struct SyncJob {
    db: DatabaseConnection,
    client: Arc<dyn BillingClient>,
    interval: Duration,
}

impl SyncJob {
    pub fn new(db: DatabaseConnection, client: Arc<dyn BillingClient>, interval: Duration) -> Self {
        SyncJob {
            db,
            client,
            interval,
        }
    }

    async fn sweep(&self, job: &job::Model) -> std::result::Result<(), JobFailure> {
        let sweep: Sweep = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::permanent(format!("not a billing sweep: {e}")))?;
        let started = tokio::time::Instant::now();
        let mut after = sweep.after;
        let mut done = 0_usize;
        loop {
            let batch = receivables_repo::due_for_billing_sync(&self.db, after, BATCH)
                .await
                .map_err(retry_on_database)?;
            if batch.is_empty() {
                break;
            }
            for row in batch {
                if done > 0 && started.elapsed() >= RUN_BUDGET {
                    let rest = Sweep {
                        slot: sweep.slot,
                        after,
                    };
                    schedule(&self.db, self.interval, rest, db::now())
                        .await
                        .map_err(retry_on_database)?;
                    return Ok(());
                }
                self.sync_one(&row).await?;
                after = Some(row.id);
                done += 1;
            }
        }
        schedule_next(&self.db, self.interval)
            .await
            .map_err(retry_on_database)
    }

    /// Syncs one receivable; a failure that stops the sweep is returned,
    /// one that concerns only this receivable is logged.
    async fn sync_one(&self, row: &receivable::Model) -> std::result::Result<(), JobFailure> {
        let Some(invoice_id) = row.billing_invoice_id.as_deref() else {
            return Ok(());
        };
        let invoice = match self.client.fetch_invoice(invoice_id).await {
            Ok(invoice) => invoice,
            Err(BillingError::Unavailable {
                message,
                retry_after,
            }) => {
                return Err(JobFailure::Retry {
                    message: format!("invoice {invoice_id}: {message}"),
                    after: retry_after,
                });
            }
            Err(BillingError::Unauthorized(message)) => {
                return Err(JobFailure::permanent(format!(
                    "billing refused our credentials: {message}"
                )));
            }
            Err(error @ BillingError::Invoice(_)) => {
                tracing::warn!(receivable = %row.id, invoice = invoice_id, error = %error, "skipping an invoice the billing system cannot give");
                return Ok(());
            }
        };
        match service::apply_billing_snapshot(&self.db, &sync_actor(), row.id, &invoice).await {
            Ok(saved) => {
                if saved.billing_flag.is_some() && saved.billing_flag != row.billing_flag {
                    tracing::warn!(receivable = %row.id, invoice = invoice_id, flag = ?saved.billing_flag, "billing sync flagged a receivable for finance");
                }
                Ok(())
            }
            // Paid, written off or relinked since the sweep read it: nothing to do.
            Err(Error::Conflict(_) | Error::InvalidTransition { .. } | Error::NotFound(_)) => {
                Ok(())
            }
            Err(error) => Err(retry_on_database(error)),
        }
    }
}

fn retry_on_database(error: Error) -> JobFailure {
    tracing::error!(error = ?error, "billing sync: database");
    JobFailure::retry(format!("database: {error}"))
}

impl JobHandler for SyncJob {
    fn kind(&self) -> &'static str {
        SYNC_JOB
    }

    fn run<'a>(
        &'a self,
        job: &'a job::Model,
    ) -> BoxFuture<'a, std::result::Result<(), JobFailure>> {
        Box::pin(self.sweep(job))
    }

    /// A sweep given up on still schedules the next one: the periodic sync
    /// goes on, and the dead sweep stays visible in `jobs`.
    fn on_dead<'a>(&'a self, _job: &'a job::Model, _error: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(error) = schedule_next(&self.db, self.interval).await {
                tracing::error!(error = ?error, "scheduling the next billing sync after a dead one");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cut_time_by_the_interval() {
        let five_min = Duration::from_secs(300);
        let t = DateTime::from_timestamp(1_700_000_100, 0).unwrap();
        assert_eq!(slot_of(t, five_min), 5_666_667);
        assert_eq!(key(five_min, 5_666_667, None), "billing.sync:300:5666667");
    }
}
