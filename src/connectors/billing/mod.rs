//! The billing connector: pulls the payment status of invoiced receivables.

use std::sync::Arc;

use clap::Args;
use sea_orm::DatabaseConnection;

use crate::outbox::JobHandler;

/// Billing settings; the connector is off until `LTC_BILLING_KIND` is set.
#[derive(Clone, Debug, Args, Default)]
pub struct BillingSettings {}

pub fn handlers(
    _settings: &BillingSettings,
    _db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    Ok(Vec::new())
}
