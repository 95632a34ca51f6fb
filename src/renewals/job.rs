//! The recurring renewal scan, run by the outbox worker: each round renews
//! what is due and schedules the next round. Rounds are keyed by their time
//! slot, so several instances scheduling the same round make one job.

use std::{collections::BTreeSet, sync::Arc};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{RenewalSettings, service};
use crate::{
    Result,
    auth::{Actor, Role},
    outbox::{JobFailure, JobHandler, repo::enqueue_at},
};

pub const KIND: &str = "renewals.scan";

/// Who the history names for renewals the worker makes.
pub fn system_actor() -> Actor {
    Actor {
        sub: "system:renewals".into(),
        name: Some("Renewals".into()),
        roles: BTreeSet::from([Role::Admin]),
        scopes: None,
    }
}

fn slot_start(at: DateTime<Utc>, every_secs: u64) -> DateTime<Utc> {
    let every = every_secs.max(1) as i64;
    let slot = at.timestamp().div_euclid(every) * every;
    DateTime::from_timestamp(slot, 0).unwrap_or(at)
}

/// Schedules the round of the slot that starts at or after `after`.
pub async fn schedule(
    db: &impl ConnectionTrait,
    settings: &RenewalSettings,
    after: DateTime<Utc>,
) -> Result<()> {
    let every = settings.renewal_scan_secs.max(1);
    let mut run_at = slot_start(after, every);
    if run_at < after {
        run_at += chrono::Duration::seconds(every as i64);
    }
    enqueue_at(
        db,
        KIND,
        serde_json::json!({}),
        Some(format!("{KIND}:{}", run_at.timestamp())),
        run_at,
    )
    .await?;
    Ok(())
}

pub struct RenewalScan {
    pub db: DatabaseConnection,
    pub settings: RenewalSettings,
}

impl JobHandler for RenewalScan {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(
        &'a self,
        _job: &'a entity::job::Model,
    ) -> BoxFuture<'a, std::result::Result<(), JobFailure>> {
        Box::pin(async move {
            let made =
                service::renew_due(&self.db, &system_actor(), self.settings.renewal_lead_days)
                    .await
                    .map_err(|e| JobFailure::retry(e.to_string()))?;
            if made > 0 {
                tracing::info!(made, "renewal opportunities made");
            }
            let next = Utc::now() + chrono::Duration::seconds(1);
            schedule(&self.db, &self.settings, next)
                .await
                .map_err(|e| JobFailure::retry(e.to_string()))
        })
    }
}

pub fn handlers(settings: &RenewalSettings, db: &DatabaseConnection) -> Vec<Arc<dyn JobHandler>> {
    vec![Arc::new(RenewalScan {
        db: db.clone(),
        settings: *settings,
    })]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_start_on_slot_boundaries() {
        let at = DateTime::from_timestamp(10_000, 0).unwrap();
        assert_eq!(slot_start(at, 3600).timestamp(), 7_200);
    }
}
