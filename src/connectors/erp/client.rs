//! What every ERP adapter is given and must do: turn one [`SalesOrder`]
//! into exactly one sales order in its ERP, however often it is asked.

use chrono::NaiveDate;
use futures::future::BoxFuture;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::outbox::JobFailure;

/// A PO as the ERP sees it: mapped refs, lines at their net prices.
#[derive(Clone, Debug, PartialEq)]
pub struct SalesOrder {
    pub purchase_order_id: Uuid,
    /// Derived from the PO alone (`ltc-po-<id>`): the same on every retry.
    pub idempotency_key: String,
    /// The customer's PO number.
    pub po_number: String,
    /// The account's ERP customer ref.
    pub customer_ref: String,
    /// ISO 4217.
    pub currency: String,
    /// The day the PO was received.
    pub order_date: NaiveDate,
    /// Asked for by ERPs that need one (ERPNext): the day the PO was received;
    /// the ERP's own planning moves it.
    pub delivery_date: NaiveDate,
    pub lines: Vec<SalesOrderLine>,
    /// The lines' net values summed.
    pub net: Decimal,
    /// The PO's value: net plus its share of the contract's tax.
    pub total: Decimal,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SalesOrderLine {
    /// The product's ERP item code.
    pub item_code: String,
    pub quantity: Decimal,
    /// `net / quantity`: the unit price after discount (at most 6 decimals).
    pub unit_price: Decimal,
    /// This line's exact share of the contract line's net value.
    pub net: Decimal,
}

/// The key that makes a push idempotent in every adapter.
pub fn idempotency_key(purchase_order_id: Uuid) -> String {
    format!("ltc-po-{purchase_order_id}")
}

/// One ERP. `push` must be idempotent: it may be called again for the same
/// order after a timeout or an error that came after the order was made,
/// and must then find that order instead of making a second one.
pub trait ErpClient: Send + Sync {
    /// For logs and messages: `ERPNext`, `Odoo`, `the ERP`.
    fn name(&self) -> &'static str;

    /// Creates the sales order (or finds the one an earlier try made) and
    /// returns its ref in the ERP. `Retry` for what may pass (timeouts,
    /// 5xx, 429), `Permanent` for what needs a person (rejected data,
    /// unknown refs, refused credentials).
    fn push<'a>(&'a self, order: &'a SalesOrder) -> BoxFuture<'a, Result<String, JobFailure>>;
}
