//! The durable outbox: jobs written in the same transaction as the business
//! change that causes them, run by workers with retries, exponential backoff
//! with jitter, a lease that survives a dead worker, and a dead letter that a
//! person can retry. Several instances share the work on PostgreSQL (`FOR
//! UPDATE SKIP LOCKED`), so no job runs twice at once.

pub mod backoff;
pub mod handler;
pub mod prune;
pub mod repo;
pub mod schema;
mod settings;
pub mod worker;

pub use settings::WorkerSettings;

pub use handler::{JobFailure, JobHandler};
pub use repo::enqueue;
