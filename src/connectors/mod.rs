//! Typed clients for the systems around ltc (the ERP, the billing system),
//! each off until configured, and the outbox job handlers that use them.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{config::Settings, outbox::JobHandler};

pub mod billing;
pub mod erp;

/// The job handlers of every configured connector.
pub fn handlers(
    settings: &Settings,
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    let mut handlers = erp::handlers(&settings.erp, db)?;
    handlers.extend(billing::handlers(&settings.billing, db)?);
    handlers.extend(crate::webhooks::handlers(&settings.webhooks, db)?);
    handlers.extend(crate::events::handlers(settings, db)?);
    Ok(handlers)
}
