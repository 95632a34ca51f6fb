//! The ERP push: each new purchase order becomes a sales order in the ERP
//! configured in `crate::connectors::erp`, pushed through the durable outbox.
//!
//! # The push
//!
//! Creating a PO queues one job of kind `erp.push_order` (payload
//! `{"purchase_order_id": ...}`, dedupe key `erp.push_order:<po id>`) in
//! the PO's own transaction. The outbox worker (inside `ltc serve`, or
//! `ltc worker`) runs it: it maps the PO (see below), calls the adapter
//! chosen by `LTC_ERP_KIND` (`erpnext`, `odoo`, `generic` in `crate::connectors::erp`), and
//! writes the outcome on the PO:
//!
//! - `PENDING`: queued, not tried yet (or queued again by a person).
//! - `SYNCED`: the ERP has the order; `erpOrderRef` is its ref there.
//! - `FAILED`: the last try failed in a way that may pass (timeout, 5xx,
//!   429, a broken connection); tried again with exponential backoff and
//!   jitter, not before the ERP's `Retry-After`. `lastError` says why.
//! - `DEAD`: given up, with `lastError`: the ERP refused the order (a
//!   validation error, an unknown customer or item), our credentials were
//!   refused (401/403: retrying cannot fix a key, a person must), the
//!   mapping is missing, or the retries ran out (8 attempts).
//!
//! `attempts` counts every try over the PO's life, manual retries included.
//!
//! # Never twice
//!
//! Delivery is at least once, so every push is idempotent, keyed on the PO:
//! the key `ltc-po-<po id>` goes as `Idempotency-Key` to the generic ERP;
//! ERPNext and Odoo take no key, so the adapter first looks for the order
//! an earlier try made (ERPNext: by `po_no` and customer; Odoo: by
//! `client_order_ref` and partner) and takes it instead of creating
//! another. A timeout or a 5xx after the ERP made the order is therefore
//! harmless: the next try finds it.
//!
//! # Mapping
//!
//! The account's `erpCustomerRef` and each ordered product's `erpItemCode`
//! must be set; a PO missing either is `DEAD` at once with a message naming
//! the account or the products' SKUs. After setting them, `retryErpSync`
//! pushes it again. Lines carry the PO line's quantity and its net unit
//! price (`net / quantity`, discount included).
//!
//! # Retrying by hand
//!
//! `retryErpSync(poId)` (anyone who may write orders) puts a `FAILED`,
//! `DEAD` or `PENDING` PO back to `PENDING` and re-arms its one push job to
//! run now with fresh attempts (or queues one when there is none). It is
//! refused on a `SYNCED` PO (`INVALID_TRANSITION`) and while the push is
//! running (`CONFLICT`). Re-arming the same job, rather than queueing a new
//! one under another key, keeps one job per PO: the dedupe key keeps
//! guarding against a second job made by a double enqueue.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{connectors::erp::ErpSettings, outbox::JobHandler};

pub mod job;
pub mod mapping;
pub mod repo;
pub mod service;

pub use job::{PUSH_ORDER, PushOrder};

/// The push job's handler, when an ERP is configured.
pub fn handlers(
    settings: &ErpSettings,
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    Ok(match crate::connectors::erp::client(settings)? {
        Some(client) => vec![Arc::new(PushOrder::new(db.clone(), client))],
        None => Vec::new(),
    })
}
