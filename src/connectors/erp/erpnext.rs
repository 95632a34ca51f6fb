//! ERPNext (Frappe) through its REST API.
//!
//! - Auth: `Authorization: token <api key>:<api secret>` (an API user's keys).
//! - Idempotency: ERPNext takes no idempotency key, so a push first looks
//!   for a sales order with the PO's number (`po_no`) for the same customer
//!   that is not cancelled (`GET /api/resource/Sales Order?filters=...`), and
//!   takes its `name` when there is one. A create answered with a duplicate
//!   error (409 `DuplicateEntryError`, or 417 `UniqueValidationError`) is
//!   looked up the same way.
//! - Create: `POST /api/resource/Sales Order` with `customer`, `po_no`,
//!   `po_date`, `transaction_date`, `delivery_date`, `currency` and
//!   `items[{item_code, qty, rate, delivery_date}]`; the answer's
//!   `{"data": {"name": ...}}` is the ERP ref. The order is made as a draft
//!   (`docstatus` 0) for the ERP's users to check and submit.
//! - Errors: Frappe's body names the exception (`exc_type`) and carries the
//!   messages shown to users in `_server_messages` (a JSON list of JSON
//!   objects with a `message`); those messages become the PO's last error.
//!   417 (validation, e.g. an unknown customer or item), 400, 404: dead;
//!   401/403: dead until a person fixes the keys; 429 and 5xx: retried.

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

const NAME: &str = "ERPNext";

pub struct ErpNext {
    http: reqwest::Client,
    /// `https://erp.example.com/api/resource/Sales%20Order`
    orders_url: String,
    /// `token key:secret`
    authorization: SecretString,
}

#[derive(Deserialize)]
struct Created {
    data: Named,
}

#[derive(Deserialize)]
struct Listed {
    data: Vec<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

/// The parts of a Frappe error body that say what went wrong.
#[derive(Deserialize, Default)]
struct FrappeError {
    exc_type: Option<String>,
    exception: Option<String>,
    #[serde(rename = "_server_messages")]
    server_messages: Option<String>,
}

enum Outcome {
    Made(String),
    Duplicate(String),
}

impl ErpNext {
    pub fn new(settings: &ErpSettings) -> anyhow::Result<ErpNext> {
        let (Some(url), Some(key), Some(secret)) = (
            &settings.erp_url,
            &settings.erp_api_key,
            &settings.erp_api_secret,
        ) else {
            anyhow::bail!("ERPNext needs LTC_ERP_URL, LTC_ERP_API_KEY and LTC_ERP_API_SECRET");
        };
        Ok(ErpNext {
            http: http::client(settings.timeout())?,
            orders_url: format!(
                "{}/api/resource/Sales%20Order",
                url.as_str().trim_end_matches('/')
            ),
            authorization: SecretString::from(format!(
                "token {}:{}",
                key.expose_secret(),
                secret.expose_secret()
            )),
        })
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header(AUTHORIZATION, self.authorization.expose_secret())
    }

    /// The oldest live sales order for this PO number and customer.
    async fn find(&self, order: &SalesOrder) -> Result<Option<String>, JobFailure> {
        let filters = json!([
            ["po_no", "=", order.po_number],
            ["customer", "=", order.customer_ref],
            ["docstatus", "!=", 2],
        ])
        .to_string();
        let request = self.http.get(&self.orders_url).query(&[
            ("filters", filters.as_str()),
            ("fields", r#"["name"]"#),
            ("order_by", "creation asc"),
            ("limit_page_length", "1"),
        ]);
        let reply = http::send(NAME, self.authorized(request)).await?;
        if !reply.status.is_success() {
            return Err(failure(&reply));
        }
        match reply.json::<Listed>() {
            Some(listed) => Ok(listed.data.into_iter().next().map(|n| n.name)),
            None => Err(JobFailure::retry(format!(
                "{NAME} answered the order lookup with an unexpected body: {}",
                reply.excerpt()
            ))),
        }
    }

    async fn create(&self, order: &SalesOrder) -> Result<Outcome, JobFailure> {
        let items: Vec<Value> = order
            .lines
            .iter()
            .map(|l| {
                json!({
                    "item_code": l.item_code,
                    "qty": number(l.quantity),
                    "rate": number(l.unit_price),
                    "delivery_date": order.delivery_date,
                })
            })
            .collect();
        let body = json!({
            "customer": order.customer_ref,
            "po_no": order.po_number,
            "po_date": order.order_date,
            "transaction_date": order.order_date,
            "delivery_date": order.delivery_date,
            "currency": order.currency,
            "items": items,
        });
        let request = self.http.post(&self.orders_url).json(&body);
        let reply = http::send(NAME, self.authorized(request)).await?;
        if reply.status.is_success() {
            return match reply.json::<Created>() {
                Some(created) => Ok(Outcome::Made(created.data.name)),
                // It may have been made: the next try looks it up.
                None => Err(JobFailure::retry(format!(
                    "{NAME} answered {} without the order's name: {}",
                    reply.status,
                    reply.excerpt()
                ))),
            };
        }
        let error: FrappeError = reply.json().unwrap_or_default();
        let duplicate = reply.status.as_u16() == 409
            || matches!(
                error.exc_type.as_deref(),
                Some("DuplicateEntryError" | "UniqueValidationError")
            );
        if duplicate {
            return Ok(Outcome::Duplicate(detail(&reply, &error)));
        }
        Err(failure(&reply))
    }
}

impl ErpClient for ErpNext {
    fn name(&self) -> &'static str {
        NAME
    }

    fn push<'a>(&'a self, order: &'a SalesOrder) -> BoxFuture<'a, Result<String, JobFailure>> {
        async move {
            if let Some(name) = self.find(order).await? {
                return Ok(name);
            }
            match self.create(order).await? {
                Outcome::Made(name) => Ok(name),
                Outcome::Duplicate(message) => match self.find(order).await? {
                    Some(name) => Ok(name),
                    None => Err(JobFailure::retry(format!(
                        "{NAME} reports a duplicate, but no order with PO number {} was found: {message}",
                        order.po_number
                    ))),
                },
            }
        }
        .boxed()
    }
}

fn failure(reply: &Reply) -> JobFailure {
    let error: FrappeError = reply.json().unwrap_or_default();
    http::failure(NAME, reply, &detail(reply, &error))
}

/// The messages Frappe meant for users, else the exception, else the body.
fn detail(reply: &Reply, error: &FrappeError) -> String {
    let messages: Vec<String> = error
        .server_messages
        .as_deref()
        .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|m| {
            serde_json::from_str::<Value>(m)
                .ok()
                .and_then(|v| v["message"].as_str().map(strip_tags))
        })
        .filter(|m| !m.is_empty())
        .collect();
    if !messages.is_empty() {
        return http::excerpt(&messages.join("; "));
    }
    match (&error.exception, &error.exc_type) {
        (Some(exception), _) => http::excerpt(exception),
        (None, Some(exc_type)) => exc_type.clone(),
        (None, None) => reply.excerpt(),
    }
}

/// Frappe's messages carry HTML (`<strong>`, links): keep the text.
fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&nbsp;", " ").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;

    use super::*;

    #[test]
    fn server_messages_become_the_error_text() {
        let body = json!({
            "exc_type": "LinkValidationError",
            "exception": "frappe.exceptions.LinkValidationError: Could not find Customer: ACME",
            "_server_messages": json!([
                json!({"message": "Could not find <strong>Customer</strong>: ACME", "indicator": "red"}).to_string()
            ]).to_string(),
        })
        .to_string();
        let reply = Reply {
            status: StatusCode::EXPECTATION_FAILED,
            retry_after: None,
            body,
        };
        let error: FrappeError = reply.json().unwrap();
        assert_eq!(detail(&reply, &error), "Could not find Customer: ACME");
        match failure(&reply) {
            JobFailure::Permanent(message) => assert_eq!(
                message,
                "ERPNext answered 417 Expectation Failed: Could not find Customer: ACME"
            ),
            other => panic!("{other:?}"),
        }
    }
}
