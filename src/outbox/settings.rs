//! The worker's settings (`LTC_WORKER_*`, `LTC_JOB_*`).

use std::time::Duration;

use clap::Args;

/// The outbox worker that `ltc serve` runs (and `ltc worker` runs alone).
#[derive(Clone, Copy, Debug, Args)]
pub struct WorkerSettings {
    /// Run an outbox worker inside `ltc serve`.
    #[arg(long, env = "LTC_WORKER_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub worker_enabled: bool,

    /// Jobs a worker claims and runs at once.
    #[arg(long, env = "LTC_WORKER_CONCURRENCY", default_value_t = 8)]
    pub worker_concurrency: u64,

    /// Pause between polls when no job is due, in milliseconds.
    #[arg(long, env = "LTC_WORKER_POLL_MS", default_value_t = 500)]
    pub worker_poll_ms: u64,

    /// How long a claimed job belongs to its worker; a job held longer (its
    /// worker died) is taken again.
    #[arg(long, env = "LTC_JOB_LEASE_SECS", default_value_t = 60)]
    pub job_lease_secs: u64,

    /// First retry delay in milliseconds; doubles per attempt, with jitter.
    #[arg(long, env = "LTC_JOB_BACKOFF_BASE_MS", default_value_t = 2000)]
    pub job_backoff_base_ms: u64,

    /// Longest retry delay in seconds.
    #[arg(long, env = "LTC_JOB_BACKOFF_CAP_SECS", default_value_t = 3600)]
    pub job_backoff_cap_secs: u64,

    /// Days a finished job is kept before housekeeping deletes it.
    #[arg(long, env = "LTC_JOB_RETENTION_DAYS", default_value_t = 7)]
    pub job_retention_days: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            worker_enabled: true,
            worker_concurrency: 8,
            worker_poll_ms: 500,
            job_lease_secs: 60,
            job_backoff_base_ms: 2000,
            job_backoff_cap_secs: 3600,
            job_retention_days: 7,
        }
    }
}

impl WorkerSettings {
    pub fn options(&self) -> super::worker::WorkerOptions {
        super::worker::WorkerOptions {
            concurrency: self.worker_concurrency.max(1),
            poll: Duration::from_millis(self.worker_poll_ms.max(10)),
            lease: Duration::from_secs(self.job_lease_secs.max(1)),
            backoff: super::backoff::Backoff {
                base: Duration::from_millis(self.job_backoff_base_ms.max(1)),
                cap: Duration::from_secs(self.job_backoff_cap_secs.max(1)),
            },
        }
    }
}
