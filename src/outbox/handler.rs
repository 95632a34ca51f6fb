//! What a kind of job does, and how it says it failed.

use futures::future::BoxFuture;

/// Why a job did not finish.
#[derive(Debug)]
pub enum JobFailure {
    /// Worth trying again later (timeouts, 5xx, 429), optionally not before a
    /// delay the other side asked for.
    Retry {
        message: String,
        after: Option<std::time::Duration>,
    },
    /// Trying again cannot help (rejected data, missing mapping): dead now.
    Permanent(String),
}

impl JobFailure {
    pub fn retry(message: impl Into<String>) -> Self {
        JobFailure::Retry {
            message: message.into(),
            after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        JobFailure::Permanent(message.into())
    }

    pub fn message(&self) -> &str {
        match self {
            JobFailure::Retry { message, .. } | JobFailure::Permanent(message) => message,
        }
    }
}

/// Runs one kind of job. Handlers must be idempotent: a job may run again
/// after a worker died mid-way (at-least-once delivery).
pub trait JobHandler: Send + Sync {
    /// The `kind` of the jobs this handler runs.
    fn kind(&self) -> &'static str;

    fn run<'a>(&'a self, job: &'a entity::job::Model) -> BoxFuture<'a, Result<(), JobFailure>>;

    /// Called when a job of this kind is given up on, inside no transaction;
    /// e.g. to mark the PO's ERP sync `DEAD`.
    fn on_dead<'a>(&'a self, _job: &'a entity::job::Model, _error: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}
