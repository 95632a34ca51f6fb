//! The worker: claims due jobs, runs them through their handlers, and writes
//! the outcome. Runs inside `ltc serve` and alone as `ltc worker`.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::Utc;
use entity::{enums::JobStatus, job};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tracing::Instrument;

use super::{JobFailure, JobHandler, backoff::Backoff, repo};
use crate::{Result, db};

#[derive(Clone, Copy, Debug)]
pub struct WorkerOptions {
    /// Jobs claimed (and run at once) per round.
    pub concurrency: u64,
    /// Pause between rounds when there was nothing to do.
    pub poll: Duration,
    /// How long a claimed job is this worker's; after that another may take it.
    pub lease: Duration,
    pub backoff: Backoff,
}

pub struct Worker {
    db: DatabaseConnection,
    id: String,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    options: WorkerOptions,
}

impl Worker {
    pub fn new(
        db: DatabaseConnection,
        handlers: Vec<Arc<dyn JobHandler>>,
        options: WorkerOptions,
    ) -> Worker {
        let id = format!("{}-{}", std::process::id(), db::new_id().simple());
        Worker {
            db,
            id,
            handlers: handlers.into_iter().map(|h| (h.kind(), h)).collect(),
            options,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims and runs one round of due jobs; returns how many it ran.
    pub async fn run_once(&self) -> Result<usize> {
        let now = db::now();
        let lease =
            chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::seconds(60));
        let claimed = {
            let txn = db::begin_write(&self.db).await?;
            let claimed =
                repo::claim(&txn, &self.id, self.options.concurrency, now, now + lease).await?;
            txn.commit().await?;
            claimed
        };
        let count = claimed.len();
        futures::future::join_all(claimed.into_iter().map(|job| self.run_job(job))).await;
        Ok(count)
    }

    async fn run_job(&self, job: job::Model) {
        let span =
            tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
        self.run_job_in_span(job).instrument(span).await
    }

    async fn run_job_in_span(&self, job: job::Model) {
        let outcome = match self.handlers.get(job.kind.as_str()) {
            None => Err(JobFailure::permanent(format!(
                "no handler for jobs of kind {}",
                job.kind
            ))),
            Some(handler) => {
                // A job must end before its lease does, or another worker takes it.
                let limit = self.options.lease.mul_f32(0.9);
                match tokio::time::timeout(limit, handler.run(&job)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(JobFailure::retry(format!("timed out after {limit:?}"))),
                }
            }
        };
        if let Err(error) = self.record(job, outcome).await {
            tracing::error!(error = ?error, "recording a job's outcome");
        }
    }

    async fn record(
        &self,
        job: job::Model,
        outcome: std::result::Result<(), JobFailure>,
    ) -> Result<()> {
        let now = db::now();
        let mut after = job.clone();
        after.locked_until = None;
        after.updated_at = now;
        let mut died = None;
        match outcome {
            Ok(()) => {
                after.status = JobStatus::Done;
                after.last_error = None;
                after.finished_at = Some(now);
                tracing::info!("job done");
            }
            Err(failure) => {
                let message: String = failure.message().chars().take(2000).collect();
                after.last_error = Some(message.clone());
                let retry_after = match &failure {
                    JobFailure::Retry { after, .. } if job.attempts < job.max_attempts => {
                        Some(*after)
                    }
                    _ => None,
                };
                match retry_after {
                    Some(asked) => {
                        let delay = self
                            .options
                            .backoff
                            .delay(job.attempts)
                            .max(asked.unwrap_or_default());
                        after.status = JobStatus::Queued;
                        after.run_at = now
                            + chrono::Duration::from_std(delay)
                                .unwrap_or(chrono::Duration::hours(1));
                        tracing::warn!(error = %message, retry_in = ?delay, "job failed; will retry");
                    }
                    None => {
                        after.status = JobStatus::Dead;
                        after.finished_at = Some(now);
                        tracing::error!(error = %message, "job is dead");
                        died = Some(message);
                    }
                }
            }
        }
        let written = repo::finish(&self.db, &self.id, after.clone()).await?;
        if !written {
            tracing::warn!("job was taken by another worker after its lease ran out");
            return Ok(());
        }
        if let (Some(message), Some(handler)) = (died, self.handlers.get(job.kind.as_str())) {
            handler.on_dead(&after, &message).await;
        }
        Ok(())
    }

    /// Runs rounds until `stop` turns true; finishes the round in progress.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, kinds = ?self.handlers.keys().collect::<Vec<_>>(), "outbox worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let ran = match self.run_once().await {
                Ok(n) => n,
                Err(error) => {
                    tracing::error!(error = ?error, "outbox round failed");
                    0
                }
            };
            if ran == 0 {
                tokio::select! {
                    _ = stop.changed() => {}
                    () = tokio::time::sleep(self.options.poll) => {}
                }
            }
        }
        tracing::info!(worker = %self.id, at = %Utc::now(), "outbox worker stopped");
    }
}
