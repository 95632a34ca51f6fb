//! A generic, documented JSON order document for in-house ERPs
//! (`LTC_ERP_KIND=generic`).
//!
//! # The request
//!
//! ltc POSTs each PO to `LTC_ERP_URL` exactly as given:
//!
//! ```http
//! POST /orders HTTP/1.1
//! Content-Type: application/json
//! Idempotency-Key: ltc-po-0192f0c4-6f1e-7b3a-9e4d-2a1b3c4d5e6f
//! Authorization: Bearer <LTC_ERP_API_KEY>      (only when the key is set)
//!
//! {
//!   "idempotency_key": "ltc-po-0192f0c4-6f1e-7b3a-9e4d-2a1b3c4d5e6f",
//!   "purchase_order_id": "0192f0c4-6f1e-7b3a-9e4d-2a1b3c4d5e6f",
//!   "po_number": "PO-4711",
//!   "customer_ref": "CUST-0042",
//!   "currency": "EUR",
//!   "order_date": "2026-01-15",
//!   "lines": [
//!     { "item_code": "SEAT", "quantity": "4", "unit_price": "250", "net": "1000.00" }
//!   ],
//!   "net": "1000.00",
//!   "total": "1190.00"
//! }
//! ```
//!
//! - `customer_ref` is the account's ERP customer ref, `item_code` each
//!   product's ERP item code.
//! - Amounts and quantities are decimal strings, never floats. `net` of a
//!   line is its exact share of the contract line's net value;
//!   `unit_price` is `net / quantity` (at most 6 decimals, so it may not
//!   multiply back to `net` exactly: `net` is the amount that counts).
//!   `net` of the order sums its lines; `total` adds the PO's share of the
//!   contract's tax.
//! - The `Idempotency-Key` header (equal to `idempotency_key`) is the same on
//!   every try for the same PO: a receiver must make one order per key and
//!   answer a repeated key with that same order.
//!
//! # The answer
//!
//! - `2xx` with a JSON body `{"order_ref": "SO-123"}` (other fields are
//!   ignored): the order exists; `order_ref` is kept as the PO's ERP ref.
//! - `409`: a request with this key is still being processed; tried again
//!   later.
//! - `408`, `425`, `429` (after `Retry-After` when given), `5xx`, a timeout
//!   or a broken connection: tried again later with backoff.
//! - `401`, `403`: our credentials were refused; the push is dead until a
//!   person fixes them and retries.
//! - Any other `4xx` (`400`, `404`, `422`, ...): the order was refused; the
//!   push is dead with the receiver's message as the PO's last error. The
//!   message is read from a JSON body's `message`, `error` or `detail`
//!   field, else the body's text.

use futures::{FutureExt, future::BoxFuture};
use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ErpSettings,
    client::{ErpClient, SalesOrder},
    http::{self, Reply},
};
use crate::outbox::JobFailure;

const NAME: &str = "The ERP";

pub struct Generic {
    http: reqwest::Client,
    url: reqwest::Url,
    /// `Bearer <key>`, when a key is set.
    authorization: Option<SecretString>,
}

#[derive(Deserialize)]
struct Accepted {
    order_ref: Value,
}

impl Generic {
    pub fn new(settings: &ErpSettings) -> anyhow::Result<Generic> {
        let Some(url) = &settings.erp_url else {
            anyhow::bail!("the generic ERP needs LTC_ERP_URL");
        };
        Ok(Generic {
            http: http::client(settings.timeout())?,
            url: url.clone(),
            authorization: settings
                .erp_api_key
                .as_ref()
                .map(|k| SecretString::from(format!("Bearer {}", k.expose_secret()))),
        })
    }
}

/// The order document described in the module docs.
pub fn document(order: &SalesOrder) -> Value {
    json!({
        "idempotency_key": order.idempotency_key,
        "purchase_order_id": order.purchase_order_id,
        "po_number": order.po_number,
        "customer_ref": order.customer_ref,
        "currency": order.currency,
        "order_date": order.order_date,
        "lines": order.lines.iter().map(|l| json!({
            "item_code": l.item_code,
            "quantity": l.quantity.normalize().to_string(),
            "unit_price": l.unit_price.normalize().to_string(),
            "net": l.net.to_string(),
        })).collect::<Vec<_>>(),
        "net": order.net.to_string(),
        "total": order.total.to_string(),
    })
}

impl ErpClient for Generic {
    fn name(&self) -> &'static str {
        NAME
    }

    fn push<'a>(&'a self, order: &'a SalesOrder) -> BoxFuture<'a, Result<String, JobFailure>> {
        async move {
            let mut request = self
                .http
                .post(self.url.clone())
                .header("Idempotency-Key", &order.idempotency_key)
                .json(&document(order));
            if let Some(authorization) = &self.authorization {
                request = request.header(AUTHORIZATION, authorization.expose_secret());
            }
            let reply = http::send(NAME, request).await?;
            if reply.status.is_success() {
                let order_ref = match reply.json::<Accepted>().map(|a| a.order_ref) {
                    Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                // Without a ref the order may still have been made: the
                // next try, with the same key, gets it.
                return order_ref.ok_or_else(|| {
                    JobFailure::retry(format!(
                        "{NAME} answered {} without an order_ref: {}",
                        reply.status,
                        reply.excerpt()
                    ))
                });
            }
            if reply.status.as_u16() == 409 {
                return Err(JobFailure::Retry {
                    message: format!(
                        "{NAME} answered 409: a request with this key is still in progress ({})",
                        detail(&reply)
                    ),
                    after: reply.retry_after,
                });
            }
            Err(http::failure(NAME, &reply, &detail(&reply)))
        }
        .boxed()
    }
}

fn detail(reply: &Reply) -> String {
    let body: Option<Value> = reply.json();
    let field = body.as_ref().and_then(|b| {
        ["message", "error", "detail"]
            .iter()
            .find_map(|k| b[*k].as_str().map(str::to_owned))
    });
    field.map_or_else(|| reply.excerpt(), |m| http::excerpt(&m))
}
