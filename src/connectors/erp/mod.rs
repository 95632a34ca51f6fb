//! The ERP connector: each new purchase order becomes a sales order in the ERP.

use std::sync::Arc;

use clap::Args;
use sea_orm::DatabaseConnection;

use crate::outbox::JobHandler;

/// ERP settings; the connector is off until `LTC_ERP_KIND` is set.
#[derive(Clone, Debug, Args, Default)]
pub struct ErpSettings {}

pub fn handlers(
    _settings: &ErpSettings,
    _db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    Ok(Vec::new())
}
