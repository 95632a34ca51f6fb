//! The billing connector: typed clients that read an invoice's payment
//! status from the billing system (Stripe or a generic API), for the sync in
//! `crate::receivables::billing_sync`. Off until `LTC_BILLING_KIND` is set.
//!
//! # Settings
//!
//! | flag | variable | default | |
//! |---|---|---|---|
//! | `--billing-kind` | `LTC_BILLING_KIND` | off | `stripe` or `generic` |
//! | `--billing-url` | `LTC_BILLING_URL` | `https://api.stripe.com` for stripe | base URL; required for generic |
//! | `--billing-api-key` | `LTC_BILLING_API_KEY` | — | sent as `Authorization: Bearer`; required for stripe (its secret key) |
//! | `--billing-sync-interval-secs` | `LTC_BILLING_SYNC_INTERVAL_SECS` | `300` | how often every open invoice is read |
//! | `--billing-timeout-secs` | `LTC_BILLING_TIMEOUT_SECS` | `10` | longest wait for one request |
//!
//! # Adapters
//!
//! - `stripe`: `GET {url}/v1/invoices/{id}`, Stripe's invoice object (see
//!   [`stripe`]).
//! - `generic`: `GET {url}/invoices/{id}` answering `200` with this JSON,
//!   amounts in the currency's minor units (cents), times RFC 3339:
//!
//! ```json
//! {
//!   "id": "INV-2026-0042",
//!   "status": "open",
//!   "currency": "EUR",
//!   "amount_due": 100000,
//!   "amount_paid": 30000,
//!   "payments": [
//!     { "id": "pay_1", "amount": 30000, "paid_at": "2026-11-20T10:00:00Z" }
//!   ]
//! }
//! ```
//!
//!   `status` is one of `draft`, `open`, `paid`, `uncollectible`, `void`;
//!   `currency` ISO 4217 (any case); `amount_paid` must equal the sum of
//!   `payments`; each payment's `id` is stable (it keys the payment in ltc)
//!   and its `amount` above zero; `paid_at` may be null (the sync time is used).
//!
//! # The sync
//!
//! What a sync does with an invoice, and the periodic sweep through the
//! outbox, live with receivables in `crate::receivables::billing_sync`; this
//! module keeps the typed clients and their settings.

pub mod client;
pub mod generic;
pub mod stripe;

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use clap::{Args, ValueEnum};
use reqwest::Url;
use secrecy::SecretString;

pub use client::{BillingClient, BillingError, Invoice, InvoicePayment, Paid};

use crate::input::parse_secret;

/// Which billing system the connector speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BillingKind {
    Stripe,
    Generic,
}

/// Billing settings; the connector is off until `LTC_BILLING_KIND` is set.
#[derive(Clone, Debug, Args)]
pub struct BillingSettings {
    /// Billing system to pull payment status from: `stripe` or `generic`; unset, billing is off.
    #[arg(long, env = "LTC_BILLING_KIND", value_enum)]
    pub billing_kind: Option<BillingKind>,

    /// Base URL of the billing API; default https://api.stripe.com for stripe, required for generic.
    #[arg(long, env = "LTC_BILLING_URL")]
    pub billing_url: Option<Url>,

    /// API key sent as a bearer token; required for stripe (the secret key `sk_...`).
    #[arg(long, env = "LTC_BILLING_API_KEY", value_parser = parse_secret, hide_env_values = true)]
    pub billing_api_key: Option<SecretString>,

    /// Seconds between two periodic syncs of every open invoice.
    #[arg(long, env = "LTC_BILLING_SYNC_INTERVAL_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub billing_sync_interval_secs: u64,

    /// Longest wait for one request to the billing system, in seconds.
    #[arg(long, env = "LTC_BILLING_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub billing_timeout_secs: u64,
}

impl Default for BillingSettings {
    fn default() -> Self {
        BillingSettings {
            billing_kind: None,
            billing_url: None,
            billing_api_key: None,
            billing_sync_interval_secs: 300,
            billing_timeout_secs: 10,
        }
    }
}

impl BillingSettings {
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.billing_sync_interval_secs.max(1))
    }

    /// The configured adapter, or `None` when billing is off.
    pub fn client(&self) -> anyhow::Result<Option<Arc<dyn BillingClient>>> {
        let Some(kind) = self.billing_kind else {
            return Ok(None);
        };
        let http = client::http_client(Duration::from_secs(self.billing_timeout_secs.max(1)))
            .context("building the billing HTTP client")?;
        let client: Arc<dyn BillingClient> = match kind {
            BillingKind::Stripe => {
                let base = match &self.billing_url {
                    Some(url) => url.clone(),
                    None => Url::parse(stripe::DEFAULT_URL)?,
                };
                let key = self
                    .billing_api_key
                    .clone()
                    .context("LTC_BILLING_API_KEY (Stripe's secret key) is required for stripe")?;
                Arc::new(stripe::StripeClient::new(http, base, key))
            }
            BillingKind::Generic => {
                let base = self
                    .billing_url
                    .clone()
                    .context("LTC_BILLING_URL is required for the generic billing connector")?;
                Arc::new(generic::GenericClient::new(
                    http,
                    base,
                    self.billing_api_key.clone(),
                ))
            }
        };
        Ok(Some(client))
    }
}

/// The billing connector as the GraphQL schema holds it: the configured
/// client, or none when billing is off.
#[derive(Clone, Default)]
pub struct Billing {
    client: Option<Arc<dyn BillingClient>>,
}

impl Billing {
    pub fn from_settings(settings: &BillingSettings) -> anyhow::Result<Billing> {
        Ok(Billing {
            client: settings.client()?,
        })
    }

    pub fn client(&self) -> Option<&dyn BillingClient> {
        self.client.as_deref()
    }
}
