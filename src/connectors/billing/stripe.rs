//! Stripe: `GET /v1/invoices/{id}` with the secret key as a bearer token.
//!
//! Of Stripe's invoice object ltc reads `id`, `status` (`draft`, `open`,
//! `paid`, `uncollectible`, `void`), `currency` (lower case), `amount_due`,
//! `amount_paid` (a running total, in the currency's smallest unit, as ltc
//! keeps amounts) and `status_transitions.paid_at` (Unix seconds). Errors
//! follow Stripe's conventions: `Stripe-Should-Retry` decides whether a
//! failure is worth retrying, and `Retry-After` when.
//!
//! Stripe's amounts are in ISO 4217 minor units, as ltc's are, except for a
//! few currencies it handles specially (ISK, for one, is sent with two
//! decimals): a receivable in one of those shows `OVERPAID` or
//! `AMOUNT_MISMATCH` rather than a wrong payment.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::client::{BillingClient, BillingError, Invoice, Paid, check, endpoint, transport};

pub const DEFAULT_URL: &str = "https://api.stripe.com";

pub struct StripeClient {
    http: reqwest::Client,
    base: Url,
    secret_key: SecretString,
}

impl StripeClient {
    pub fn new(http: reqwest::Client, base: Url, secret_key: SecretString) -> Self {
        StripeClient {
            http,
            base,
            secret_key,
        }
    }
}

/// The part of Stripe's invoice object ltc reads.
#[derive(Deserialize)]
struct StripeInvoice {
    id: String,
    status: Option<String>,
    currency: String,
    amount_due: i64,
    amount_paid: i64,
    #[serde(default)]
    status_transitions: StatusTransitions,
}

#[derive(Deserialize, Default)]
struct StatusTransitions {
    paid_at: Option<i64>,
}

impl StripeInvoice {
    fn into_invoice(self, asked: &str) -> Result<Invoice, BillingError> {
        if self.id != asked {
            return Err(BillingError::Invoice(format!(
                "asked for invoice {asked}, got {}",
                self.id
            )));
        }
        if self.amount_paid < 0 || self.amount_due < 0 {
            return Err(BillingError::Invoice(format!(
                "invoice {asked} has a negative amount"
            )));
        }
        let paid_at = match self.status_transitions.paid_at {
            None => None,
            Some(secs) => Some(DateTime::<Utc>::from_timestamp(secs, 0).ok_or_else(|| {
                BillingError::Invoice(format!("invoice {asked}: paid_at {secs} is out of range"))
            })?),
        };
        Ok(Invoice {
            system: "stripe",
            id: self.id,
            // A draft may come without one in old API versions.
            status: self.status.unwrap_or_else(|| "draft".into()).to_lowercase(),
            currency: self.currency.to_uppercase(),
            amount_due: self.amount_due,
            paid: Paid::Cumulative {
                amount: self.amount_paid,
                paid_at,
            },
        })
    }
}

impl BillingClient for StripeClient {
    fn system(&self) -> &'static str {
        "stripe"
    }

    fn fetch_invoice<'a>(
        &'a self,
        invoice_id: &'a str,
    ) -> BoxFuture<'a, Result<Invoice, BillingError>> {
        Box::pin(async move {
            let url = endpoint(&self.base, &["v1", "invoices", invoice_id])?;
            let response = self
                .http
                .get(url)
                .bearer_auth(self.secret_key.expose_secret())
                .send()
                .await
                .map_err(transport)?;
            let body: StripeInvoice = check(response)
                .await?
                .json()
                .await
                .map_err(|e| BillingError::Invoice(format!("not a Stripe invoice: {e}")))?;
            body.into_invoice(invoice_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stripe_invoice_reads_as_a_running_total() {
        let json = serde_json::json!({
            "id": "in_1", "object": "invoice", "status": "paid", "currency": "eur",
            "amount_due": 100000, "amount_paid": 100000, "amount_remaining": 0,
            "status_transitions": { "finalized_at": 1700000000, "paid_at": 1700000300,
                                    "voided_at": null, "marked_uncollectible_at": null }
        });
        let invoice: StripeInvoice = serde_json::from_value(json).unwrap();
        let invoice = invoice.into_invoice("in_1").unwrap();
        assert_eq!(invoice.currency, "EUR");
        assert_eq!(
            invoice.paid,
            Paid::Cumulative {
                amount: 100000,
                paid_at: DateTime::from_timestamp(1700000300, 0),
            }
        );
    }
}
