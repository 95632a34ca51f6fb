//! Domain events (`lead.qualified`, `opportunity.won`, ...): published in the
//! transaction of the change that raises them, delivered to webhook
//! subscribers through the outbox and to GraphQL subscriptions. This module
//! only publishes and delivers; the GraphQL face (who may receive what) lives
//! at the edge, in `crate::schema::events`, and the WebSocket in `crate::http`.
//!
//! Delivery happens only after commit, because everything `publish` does is
//! a write in the caller's transaction:
//! - one `events.deliver` outbox job per active subscription that wants the
//!   event (the worker POSTs it, signed per Standard Webhooks, with retries);
//! - one row in `domain_events`, which each instance's [`bus::Relay`] reads
//!   and fans out to its live GraphQL subscribers: on PostgreSQL after a
//!   `NOTIFY ltc_events` sent in the same transaction (PostgreSQL delivers it
//!   at commit, to every instance, and drops it on rollback); on SQLite (one
//!   writer, so row order is commit order) by polling for new rows.

pub mod bus;
pub mod catalog;
pub mod delivery;
pub mod repo;
pub mod subscriptions;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use clap::Args;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use bus::{EventBus, Relay};
pub use catalog::{
    contract_signed, lead_transitioned, opportunity_saved, purchase_order_created, receivable_saved,
};

use crate::{Error, Result, db, outbox::JobHandler};

/// Event delivery settings.
#[derive(Clone, Debug, Args)]
pub struct EventSettings {
    /// How often each instance looks for new events to push to its GraphQL
    /// subscribers on SQLite, in milliseconds (PostgreSQL pushes them).
    #[arg(long, env = "LTC_EVENTS_POLL_MS", default_value_t = 200)]
    pub events_poll_ms: u64,

    /// How long published events stay in the `domain_events` log, in hours.
    #[arg(long, env = "LTC_EVENTS_RETENTION_HOURS", default_value_t = 24)]
    pub events_retention_hours: u64,

    /// Longest a webhook receiver may take to answer, in seconds; slower is
    /// a failed attempt, retried later.
    #[arg(long, env = "LTC_EVENTS_DELIVERY_TIMEOUT_SECS", default_value_t = 10)]
    pub events_delivery_timeout_secs: u64,
}

impl Default for EventSettings {
    fn default() -> Self {
        EventSettings {
            events_poll_ms: 200,
            events_retention_hours: 24,
            events_delivery_timeout_secs: 10,
        }
    }
}

impl EventSettings {
    pub fn poll(&self) -> Duration {
        Duration::from_millis(self.events_poll_ms.max(10))
    }

    pub fn retention(&self) -> chrono::Duration {
        chrono::Duration::hours(self.events_retention_hours.clamp(1, 24 * 365) as i64)
    }

    pub fn delivery_timeout(&self) -> Duration {
        Duration::from_secs(self.events_delivery_timeout_secs.max(1))
    }
}

/// Something that happened, as subscribers see it.
#[derive(Clone, Debug)]
pub struct Event {
    /// e.g. `lead.qualified`, `opportunity.won`, `contract.signed`,
    /// `purchase_order.created`, `receivable.paid` (see [`catalog::TYPES`]).
    pub name: &'static str,
    /// The record it is about.
    pub subject_id: Uuid,
    /// The account whose deal it concerns.
    pub account_id: Option<Uuid>,
    /// The event's data, as delivered.
    pub data: serde_json::Value,
}

/// An event as it travels: the body of a webhook delivery, per Standard
/// Webhooks (`{id, type, timestamp, data}`). `id` is also the `webhook-id`
/// header, the same on every retry, so receivers can drop duplicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// An event on the live bus: its envelope and what access checks need.
#[derive(Clone, Debug)]
pub struct Published {
    pub envelope: Envelope,
    pub subject_id: Uuid,
    pub account_id: Option<Uuid>,
}

impl From<entity::domain_event::Model> for Published {
    fn from(row: entity::domain_event::Model) -> Self {
        Published {
            envelope: Envelope {
                id: row.id,
                kind: row.event_type,
                timestamp: row.occurred_at,
                data: row.data,
            },
            subject_id: row.subject_id,
            account_id: row.account_id,
        }
    }
}

/// The PostgreSQL channel events are announced on (payload: the event id).
pub const CHANNEL: &str = "ltc_events";

/// Publishes an event inside the caller's transaction, so it is delivered
/// if and only if the change commits. `None` publishes nothing, so callers
/// can pass a builder that decides whether the change is an event at all
/// (e.g. [`lead_transitioned`]).
pub async fn publish(db: &impl ConnectionTrait, event: impl Into<Option<Event>>) -> Result<()> {
    let Some(event) = event.into() else {
        return Ok(());
    };
    if catalog::find(event.name).is_none() {
        return Err(Error::Internal(anyhow::anyhow!(
            "publishing an event of unknown type {}",
            event.name
        )));
    }
    let envelope = Envelope {
        id: db::new_id(),
        kind: event.name.to_owned(),
        timestamp: db::now(),
        data: event.data,
    };
    repo::insert_event(db, &envelope, event.subject_id, event.account_id).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        repo::notify(db, CHANNEL, &envelope.id.to_string()).await?;
    }
    for subscription in repo::active_subscriptions(db).await? {
        if subscriptions::wants(&subscription, event.name) {
            delivery::enqueue(db, subscription.id, &envelope).await?;
        }
    }
    Ok(())
}

/// The outbox handler that delivers events to webhook subscribers, signing
/// with the secrets it opens with the configured key.
pub fn handlers(
    settings: &EventSettings,
    keys: &crate::secrets::SecretKeySettings,
    data_dir: &std::path::Path,
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    let sealer = crate::secrets::Sealer::from_settings(keys, data_dir)?;
    Ok(vec![Arc::new(delivery::Deliver::new(
        settings,
        db.clone(),
        sealer,
    )?)])
}
