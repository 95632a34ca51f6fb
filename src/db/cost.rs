//! What one request cost the database: its statements and their time, so a
//! client sees the price of its query (the `Server-Timing` header) and the
//! benchmark counts statements per request without background work (the
//! outbox worker, the event relay) mixed in.
//!
//! The cost travels as a task-local: the request's own task runs inside
//! [`measure`], and the batch loaders' tasks inherit it (`graphql::batch`).

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

tokio::task_local! {
    static CURRENT: Arc<Cost>;
}

#[derive(Debug)]
pub struct Cost {
    statements: AtomicU64,
    nanos: AtomicU64,
    /// Statements allowed before the request is stopped.
    budget: AtomicU64,
    spent: tokio::sync::Notify,
}

impl Default for Cost {
    fn default() -> Self {
        Cost {
            statements: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
            budget: AtomicU64::new(u64::MAX),
            spent: tokio::sync::Notify::new(),
        }
    }
}

impl Cost {
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub fn time(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }

    /// Sets how many statements the request may run.
    pub fn limit(&self, statements: u64) {
        self.budget.store(statements, Ordering::Relaxed);
    }

    fn over_budget(&self) -> bool {
        self.statements() > self.budget.load(Ordering::Relaxed)
    }

    /// Resolves once the request has run more statements than its budget.
    pub async fn exhausted(&self) {
        loop {
            let notified = self.spent.notified();
            if self.over_budget() {
                return;
            }
            notified.await;
        }
    }

    /// `Server-Timing` (W3C): browsers' developer tools show it per request.
    pub fn server_timing(&self) -> String {
        format!(
            "sql;dur={:.2};desc=\"{} statements\"",
            self.time().as_secs_f64() * 1000.0,
            self.statements()
        )
    }
}

/// Runs `work`, adding the statements it runs (on this task) to `cost`.
pub async fn measure<F: Future>(cost: Arc<Cost>, work: F) -> F::Output {
    CURRENT.scope(cost, work).await
}

/// The cost being measured on this task, if any.
pub fn current() -> Option<Arc<Cost>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Called by the database driver for every statement.
pub fn record(elapsed: Duration) {
    let _ = CURRENT.try_with(|cost| {
        cost.statements.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        cost.nanos.fetch_add(nanos, Ordering::Relaxed);
        if cost.over_budget() {
            cost.spent.notify_waiters();
        }
    });
}
