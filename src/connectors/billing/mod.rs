//! The billing connector: pulls the payment status of invoiced receivables
//! from the billing system, periodically and on request
//! (`syncPaymentStatus`). Off until `LTC_BILLING_KIND` is set.
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
//! # What a sync does
//!
//! For one receivable (`INVOICED`, `PARTIALLY_PAID`, or `PAID` when asked
//! for by hand) with a billing invoice id, the invoice is read outside any
//! transaction, then applied in one (see [`reconcile`] for the rules): new
//! paid amounts become `BILLING` payments keyed by the billing system's ids,
//! never more than outstanding; the status follows (`PARTIALLY_PAID`,
//! `PAID`); `billingStatus` and `billingSyncedAt` are set; and what finance
//! must decide on is flagged in `billingFlag` (`VOID`, `UNCOLLECTIBLE`,
//! `OVERPAID`, `CURRENCY_MISMATCH`, `AMOUNT_MISMATCH`, `PAID_SHORT`), never
//! written off. A billing outage changes nothing.
//!
//! # The periodic sync runs through the outbox
//!
//! A `billing.sync` job is one sweep over the `INVOICED` and
//! `PARTIALLY_PAID` receivables with an invoice id, in id order. Time is cut
//! into slots of the interval; the job of slot *n* has the dedupe key
//! `billing.sync:{interval}:{n}`, so however many instances schedule it,
//! it exists once.
//!
//! - `ltc serve` schedules the current slot's sweep at start ([`seed`]).
//! - A sweep that finishes schedules the next slot's at its start time; one
//!   that runs out of its time budget (20 s) schedules its own continuation
//!   (same slot, after the last receivable done) to run at once.
//! - A 429, 5xx or timeout stops the sweep with a retry: the outbox runs it
//!   again with backoff, never before the `Retry-After` the billing system
//!   asked for (receivables synced before the failure are read again: a sync
//!   is idempotent). Refused credentials fail the sweep for good. An invoice
//!   that cannot be read (404, malformed) is logged and skipped.
//! - A sweep the outbox gives up on (dead, visible in `jobs`) schedules the
//!   next slot's before it goes, so the sync never stops for good.
//!
//! Any worker with billing configured runs sweeps; with billing turned off
//! a leftover sweep has no handler and goes dead, visibly.

pub mod client;
pub mod generic;
pub mod reconcile;
pub mod stripe;
pub mod sync;

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use clap::{Args, ValueEnum};
use reqwest::Url;
use sea_orm::DatabaseConnection;
use secrecy::SecretString;

pub use client::{BillingClient, BillingError, Invoice, InvoicePayment, Paid};
pub use sync::{SYNC_JOB, sync_payment_status};

use crate::outbox::JobHandler;

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

fn parse_secret(value: &str) -> Result<SecretString, String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(SecretString::from(value.to_owned()))
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

/// The periodic sync's job handler, when billing is configured.
pub fn handlers(
    settings: &BillingSettings,
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    Ok(match settings.client()? {
        None => Vec::new(),
        Some(client) => vec![Arc::new(sync::SyncJob::new(
            db.clone(),
            client,
            settings.interval(),
        ))],
    })
}

/// Schedules the current slot's sweep, unless it exists already; call at
/// start. Does nothing when billing is off.
pub async fn seed(settings: &BillingSettings, db: &DatabaseConnection) -> anyhow::Result<()> {
    // Refuses a half-configured connector before anything is scheduled.
    if settings.client()?.is_none() {
        return Ok(());
    }
    sync::schedule_current(db, settings.interval())
        .await
        .context("scheduling the periodic billing sync")
}
