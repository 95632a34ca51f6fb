//! Odoo (19 and later) through its JSON-2 API: `POST /json/2/<model>/<method>`
//! with the method's named arguments as a JSON object, `Authorization:
//! bearer <api key>`, and `X-Odoo-Database` when `LTC_ERP_DATABASE` is set.
//!
//! - Mapping: the account's ERP customer ref is the customer's `res.partner`
//!   id (a number); a product's ERP item code is its internal reference
//!   (`default_code`), resolved to `product.product` ids with one
//!   `search_read`. A ref that is not a number, or a code Odoo does not
//!   know, is a mapping error: the push is dead with that message.
//! - Idempotency: the PO number goes into `client_order_ref`; a push first
//!   looks for a sale order of the same partner with that ref that is not
//!   cancelled (`sale.order/search_read`) and takes it.
//! - Create: `sale.order/create` with `vals_list: [{partner_id,
//!   client_order_ref, order_line: [[0, 0, {product_id, product_uom_qty,
//!   price_unit}]]}]`; the returned id is the ERP ref. Then
//!   `sale.order/action_confirm` with `ids: [id]` turns the quotation into a
//!   sales order. Each JSON-2 call is its own transaction: an order made but
//!   not confirmed (a failure in between) is found by the next try, which
//!   confirms it.
//! - Errors: a 4xx/5xx with `{name, message, ...}`; the `message` becomes the
//!   PO's last error. 401 (bad key) and 403 (access rights): dead until a
//!   person acts; 404, 400, 422 (validation, user errors): dead; 429, 5xx:
//!   retried.

use std::collections::HashMap;

use futures::{FutureExt, future::BoxFuture};
use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ErpSettings,
    client::{ErpClient, SalesOrder},
    http::{self, Reply},
    number,
};
use crate::outbox::JobFailure;

const NAME: &str = "Odoo";

pub struct Odoo {
    http: reqwest::Client,
    /// `https://odoo.example.com/json/2`
    api_url: String,
    /// `bearer <key>`
    authorization: SecretString,
    database: Option<String>,
}

#[derive(Deserialize)]
struct Found {
    id: i64,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    default_code: Option<Value>,
}

impl Odoo {
    pub fn new(settings: &ErpSettings) -> anyhow::Result<Odoo> {
        let (Some(url), Some(key)) = (&settings.erp_url, &settings.erp_api_key) else {
            anyhow::bail!("Odoo needs LTC_ERP_URL and LTC_ERP_API_KEY");
        };
        Ok(Odoo {
            http: http::client(settings.timeout())?,
            api_url: format!("{}/json/2", url.as_str().trim_end_matches('/')),
            authorization: SecretString::from(format!("bearer {}", key.expose_secret())),
            database: settings.erp_database.clone(),
        })
    }

    /// Calls `model.method` with named arguments; returns what it returned.
    async fn call(&self, model: &str, method: &str, args: Value) -> Result<Value, JobFailure> {
        let mut request = self
            .http
            .post(format!("{}/{model}/{method}", self.api_url))
            .header(AUTHORIZATION, self.authorization.expose_secret())
            .json(&args);
        if let Some(database) = &self.database {
            request = request.header("X-Odoo-Database", database);
        }
        let reply = http::send(NAME, request).await?;
        if !reply.status.is_success() {
            return Err(http::failure(NAME, &reply, &detail(&reply)));
        }
        reply.json::<Value>().ok_or_else(|| {
            JobFailure::retry(format!(
                "{NAME} answered {model}/{method} with a body that is not JSON: {}",
                reply.excerpt()
            ))
        })
    }

    async fn search_read(&self, model: &str, args: Value) -> Result<Vec<Found>, JobFailure> {
        let rows = self.call(model, "search_read", args).await?;
        serde_json::from_value(rows.clone()).map_err(|_| {
            JobFailure::retry(format!(
                "{NAME} answered {model}/search_read with unexpected rows: {}",
                http::excerpt(&rows.to_string())
            ))
        })
    }

    /// The live sale order an earlier try made for this PO, with its state.
    async fn find(&self, partner: i64, order: &SalesOrder) -> Result<Option<Found>, JobFailure> {
        let rows = self
            .search_read(
                "sale.order",
                json!({
                    "domain": [
                        ["client_order_ref", "=", order.po_number],
                        ["partner_id", "=", partner],
                        ["state", "!=", "cancel"],
                    ],
                    "fields": ["id", "state"],
                    "order": "id asc",
                    "limit": 1,
                }),
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    /// `product.product` ids by internal reference; every code must be known.
    async fn products(&self, order: &SalesOrder) -> Result<HashMap<String, i64>, JobFailure> {
        let mut codes: Vec<&str> = order.lines.iter().map(|l| l.item_code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        let rows = self
            .search_read(
                "product.product",
                json!({
                    "domain": [["default_code", "in", codes]],
                    "fields": ["id", "default_code"],
                }),
            )
            .await?;
        let mut ids = HashMap::new();
        for row in rows {
            if let Some(Value::String(code)) = row.default_code {
                ids.entry(code).or_insert(row.id);
            }
        }
        let missing: Vec<&str> = codes
            .into_iter()
            .filter(|c| !ids.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            return Err(JobFailure::permanent(format!(
                "{NAME} has no product with internal reference {}: fix the products' ERP item codes, then retry",
                missing.join(", ")
            )));
        }
        Ok(ids)
    }

    async fn confirm(&self, id: i64) -> Result<(), JobFailure> {
        self.call("sale.order", "action_confirm", json!({ "ids": [id] }))
            .await
            .map(|_| ())
    }

    async fn create(&self, partner: i64, order: &SalesOrder) -> Result<i64, JobFailure> {
        let products = self.products(order).await?;
        let lines: Vec<Value> = order
            .lines
            .iter()
            .map(|l| {
                json!([0, 0, {
                    "product_id": products.get(&l.item_code),
                    "product_uom_qty": number(l.quantity),
                    "price_unit": number(l.unit_price),
                }])
            })
            .collect();
        let ids = self
            .call(
                "sale.order",
                "create",
                json!({
                    "vals_list": [{
                        "partner_id": partner,
                        "client_order_ref": order.po_number,
                        "order_line": lines,
                    }],
                }),
            )
            .await?;
        ids.as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_i64)
            .ok_or_else(|| {
                // It may have been made: the next try finds it.
                JobFailure::retry(format!(
                    "{NAME} answered sale.order/create without an id: {}",
                    http::excerpt(&ids.to_string())
                ))
            })
    }
}

impl ErpClient for Odoo {
    fn name(&self) -> &'static str {
        NAME
    }

    fn push<'a>(&'a self, order: &'a SalesOrder) -> BoxFuture<'a, Result<String, JobFailure>> {
        async move {
            let partner: i64 = order.customer_ref.trim().parse().map_err(|_| {
                JobFailure::permanent(format!(
                    "the account's ERP customer ref {:?} is not an Odoo partner id (a number)",
                    order.customer_ref
                ))
            })?;
            let id = match self.find(partner, order).await? {
                Some(found) if !matches!(found.state.as_deref(), Some("draft" | "sent")) => {
                    return Ok(found.id.to_string());
                }
                Some(found) => found.id,
                None => self.create(partner, order).await?,
            };
            self.confirm(id).await?;
            Ok(id.to_string())
        }
        .boxed()
    }
}

fn detail(reply: &Reply) -> String {
    match reply.json::<Value>() {
        Some(body) => match body["message"].as_str().or(body.as_str()) {
            Some(message) => http::excerpt(message),
            None => reply.excerpt(),
        },
        None => reply.excerpt(),
    }
}
