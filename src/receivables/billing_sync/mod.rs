//! Syncing receivables with their invoices in the billing system
//! (`crate::connectors::billing`): on request (`syncPaymentStatus`) and
//! periodically.
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

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::{connectors::billing::BillingSettings, outbox::JobHandler};

pub mod reconcile;
pub mod sync;

pub use sync::{SYNC_JOB, sync_payment_status};

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
