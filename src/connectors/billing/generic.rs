//! A billing system of your own: `GET {LTC_BILLING_URL}/invoices/{id}`,
//! with `Authorization: Bearer {LTC_BILLING_API_KEY}` when a key is set,
//! answering with the JSON documented in the module above (`billing`).
//! Failures follow HTTP: 429, 408 and 5xx are retried (after `Retry-After`
//! when sent), 401/403 mean the key is wrong, any other status means the
//! invoice cannot be read.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::client::{
    BillingClient, BillingError, Invoice, InvoicePayment, Paid, check, endpoint, transport,
};

pub struct GenericClient {
    http: reqwest::Client,
    base: Url,
    api_key: Option<SecretString>,
}

impl GenericClient {
    pub fn new(http: reqwest::Client, base: Url, api_key: Option<SecretString>) -> Self {
        GenericClient {
            http,
            base,
            api_key,
        }
    }
}

#[derive(Deserialize)]
struct GenericInvoice {
    id: String,
    status: String,
    currency: String,
    amount_due: i64,
    amount_paid: i64,
    #[serde(default)]
    payments: Vec<GenericPayment>,
}

#[derive(Deserialize)]
struct GenericPayment {
    id: String,
    amount: i64,
    paid_at: Option<DateTime<Utc>>,
}

impl GenericInvoice {
    fn into_invoice(self, asked: &str) -> Result<Invoice, BillingError> {
        if self.id != asked {
            return Err(BillingError::Invoice(format!(
                "asked for invoice {asked}, got {}",
                self.id
            )));
        }
        if self.amount_due < 0 {
            return Err(BillingError::Invoice(format!(
                "invoice {asked} has a negative amount due"
            )));
        }
        if let Some(bad) = self
            .payments
            .iter()
            .find(|p| p.amount <= 0 || p.id.trim().is_empty())
        {
            return Err(BillingError::Invoice(format!(
                "invoice {asked}: payment {:?} needs an id and an amount above zero",
                bad.id
            )));
        }
        let itemized = self
            .payments
            .iter()
            .fold(0_i64, |sum, p| sum.saturating_add(p.amount));
        if itemized != self.amount_paid {
            return Err(BillingError::Invoice(format!(
                "invoice {asked}: payments add up to {itemized}, amount_paid is {}",
                self.amount_paid
            )));
        }
        Ok(Invoice {
            system: "generic",
            id: self.id,
            status: self.status.to_lowercase(),
            currency: self.currency.to_uppercase(),
            amount_due: self.amount_due,
            paid: Paid::Itemized(
                self.payments
                    .into_iter()
                    .map(|p| InvoicePayment {
                        id: p.id,
                        amount: p.amount,
                        paid_at: p.paid_at,
                    })
                    .collect(),
            ),
        })
    }
}

impl BillingClient for GenericClient {
    fn system(&self) -> &'static str {
        "generic"
    }

    fn fetch_invoice<'a>(
        &'a self,
        invoice_id: &'a str,
    ) -> BoxFuture<'a, Result<Invoice, BillingError>> {
        Box::pin(async move {
            let url = endpoint(&self.base, &["invoices", invoice_id])?;
            let mut request = self.http.get(url);
            if let Some(key) = &self.api_key {
                request = request.bearer_auth(key.expose_secret());
            }
            let response = request.send().await.map_err(transport)?;
            let body: GenericInvoice = check(response)
                .await?
                .json()
                .await
                .map_err(|e| BillingError::Invoice(format!("not an invoice: {e}")))?;
            body.into_invoice(invoice_id)
        })
    }
}
