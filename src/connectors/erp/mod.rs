//! The ERP connector: typed clients that create a sales order in the ERP
//! (ERPNext, Odoo, a generic HTTP ERP). Each new purchase order becomes one,
//! pushed through the durable outbox by `crate::purchase_orders::erp_push`.
//!
//! # Off until configured
//!
//! With `LTC_ERP_KIND` unset no ERP is configured: a new PO queues nothing
//! and its ERP sync stays `PENDING` with 0 attempts; `retryErpSync` is
//! refused. Configuring an ERP later does not push the POs taken before;
//! `retryErpSync` pushes them one by one. Settings are checked at start: a
//! kind without its URL or keys stops `ltc serve` / `ltc worker` with a
//! message naming the variable.
//!
//! | variable | for | |
//! |---|---|---|
//! | `LTC_ERP_KIND` | all | `erpnext`, `odoo` or `generic`; unset: off |
//! | `LTC_ERP_URL` | all | base URL (ERPNext, Odoo); the URL orders are POSTed to (generic) |
//! | `LTC_ERP_API_KEY` | all | ERPNext API key, Odoo API key, generic bearer token (optional there) |
//! | `LTC_ERP_API_SECRET` | erpnext | the API key's secret |
//! | `LTC_ERP_DATABASE` | odoo | sent as `X-Odoo-Database` when set |
//! | `LTC_ERP_TIMEOUT_SECS` | all | longest wait for one HTTP call (default 10) |
//!
//! # The push
//!
//! The use case (queueing, the outbox job, mapping a PO, writing its sync
//! state) lives with purchase orders, in `crate::purchase_orders::erp_push`;
//! this module keeps the typed clients it calls.

use std::sync::Arc;

use rust_decimal::{Decimal, prelude::ToPrimitive};
use serde_json::Value;

pub mod client;
pub mod erpnext;
pub mod generic;
mod http;
pub mod odoo;
mod settings;

pub use client::{ErpClient, SalesOrder, SalesOrderLine};
pub use settings::{ErpKind, ErpSettings};

/// The client for the configured ERP; `None` when none is.
pub fn client(settings: &ErpSettings) -> anyhow::Result<Option<Arc<dyn ErpClient>>> {
    settings.validate()?;
    let Some(kind) = settings.erp_kind else {
        return Ok(None);
    };
    let client: Arc<dyn ErpClient> = match kind {
        ErpKind::Erpnext => Arc::new(erpnext::ErpNext::new(settings)?),
        ErpKind::Odoo => Arc::new(odoo::Odoo::new(settings)?),
        ErpKind::Generic => Arc::new(generic::Generic::new(settings)?),
    };
    Ok(Some(client))
}

/// A decimal as a JSON number, for ERPs whose APIs take floats.
fn number(value: Decimal) -> Value {
    value
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}
