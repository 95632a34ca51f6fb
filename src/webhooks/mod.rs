//! Inbound signed webhooks: leads and engagement signals from marketing
//! automation (`POST /webhooks/leads`, Standard Webhooks) and contacts from
//! HubSpot (`POST /webhooks/hubspot`, HubSpot's v3 signature, fetched from
//! HubSpot's CRM API through the outbox).
//!
//! Each endpoint is off (404) until its secrets are set. A message is
//! accepted only with a valid, fresh signature, and its receipt is written in
//! the same transaction as what it changes, so a replay is recognised and a
//! crash never keeps one without the other.
//!
//! # `POST /webhooks/leads`
//!
//! Headers `webhook-id`, `webhook-timestamp` (Unix seconds, within 5 minutes
//! of now) and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">` keyed with `LTC_LEADS_WEBHOOK_SECRET`;
//! `Content-Type: application/json`; at most [`LEADS_MAX_BODY_BYTES`]. The
//! body is one lead, or `{"leads": [...], "events": [...]}` with at most
//! 1,000 of each:
//!
//! - a lead has `captureLead`'s fields (`source` defaults to
//!   `MARKETING_AUTOMATION`; `externalRef`, `email`, `firstName`,
//!   `lastName`, `phone`, `company`, `title`, `website`, `budget {amount
//!   currency}`, `timeline`, `notes`), except `ownerId`: leads arrive
//!   unassigned. Unknown fields are ignored.
//! - an event is `{"type": "FORM_FILL" | "EMAIL_CLICK" | "MEETING_BOOKED",
//!   "externalRef"?, "source"?, "email"?}`, naming its lead by source and
//!   external ref, else by email.
//!
//! 200: `{"webhookId", "leads": [{"index", "id", "created", "duplicate"}],
//! "events": [{"index", "type", "leadId", "applied", "score"}]}` (indexes
//! from 0; an event whose lead is unknown or closed has `applied: false`).
//! The same `webhook-id` and body again: the same 200, with header
//! `webhook-replayed: true`, and nothing stored twice. Errors are
//! `{"error": {"code", "message", "field"?, "index"?}}`: 400 `VALIDATION`
//! (`field` like `leads[3].email`, `index` 3; nothing stored) or
//! `BAD_REQUEST` (not JSON), 401 `UNAUTHENTICATED`, 404 `NOT_FOUND` (no
//! secret set), 409 `CONFLICT` (the id reused for another body), 413
//! `PAYLOAD_TOO_LARGE`, 415 `UNSUPPORTED_MEDIA_TYPE`.
//!
//! # `POST /webhooks/hubspot`
//!
//! HubSpot's webhook batch (a JSON array of events), signed with
//! `X-HubSpot-Signature-v3` over `POST` + `LTC_PUBLIC_URL` and the path +
//! body + `X-HubSpot-Request-Timestamp` (milliseconds, within 5 minutes).
//! 200: `{"events": [{"index", "eventId", "subscriptionType", "objectId",
//! "status": "QUEUED" | "DUPLICATE" | "IGNORED", "jobId"?, "reason"?}]}`;
//! each queued event is a `hubspot.fetch_contact` job (see `hubspot`).

mod hubspot;
mod leads;
mod payload;
mod reply;
pub mod repo;

use std::{collections::BTreeSet, sync::Arc};

use axum::{Router, extract::DefaultBodyLimit, routing::post};
use clap::Args;
use sea_orm::DatabaseConnection;
use secrecy::SecretString;

use crate::{
    auth::{Actor, Role},
    http::AppState,
    outbox::JobHandler,
};

pub use hubspot::contacts::{FETCH_CONTACT, FetchContact};

/// HubSpot's API, unless `LTC_HUBSPOT_API_URL` says otherwise.
pub const HUBSPOT_API_URL: &str = "https://api.hubapi.com";

/// Lead batches captured at once, unless `LTC_LEADS_WEBHOOK_CONCURRENCY` says otherwise.
const LEADS_WEBHOOK_CONCURRENCY: u32 = 4;

/// Largest body `POST /webhooks/leads` reads (1,000 leads of about 2 KiB).
pub const LEADS_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Largest body `POST /webhooks/hubspot` reads (HubSpot sends at most 100
/// events of a few hundred bytes per request).
pub const HUBSPOT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Webhook settings; each endpoint is off until its secret is set.
#[derive(Clone, Debug, Args)]
pub struct WebhookSettings {
    /// Standard Webhooks secret (`whsec_` and base64) that signs `POST
    /// /webhooks/leads`; the endpoint answers 404 while unset.
    #[arg(long, env = "LTC_LEADS_WEBHOOK_SECRET", value_parser = parse_whsec)]
    pub leads_webhook_secret: Option<SecretString>,

    /// The HubSpot app's client secret, which signs `POST /webhooks/hubspot`
    /// (X-HubSpot-Signature-v3). The endpoint answers 404 until this, the
    /// token and the public URL are set.
    #[arg(long, env = "LTC_HUBSPOT_APP_SECRET", value_parser = parse_secret)]
    pub hubspot_app_secret: Option<SecretString>,

    /// Private-app access token for HubSpot's CRM API (contacts read).
    #[arg(long, env = "LTC_HUBSPOT_TOKEN", value_parser = parse_secret)]
    pub hubspot_token: Option<SecretString>,

    /// Base URL of HubSpot's API.
    #[arg(long, env = "LTC_HUBSPOT_API_URL", default_value = HUBSPOT_API_URL)]
    pub hubspot_api_url: String,

    /// The URL this server is reached at from outside, e.g.
    /// `https://ltc.example.com` (with any path prefix a proxy strips):
    /// HubSpot signs the full URL it called.
    #[arg(long, env = "LTC_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Lead batches (`POST /webhooks/leads`) this instance captures at once;
    /// more wait their turn. A 1,000-lead batch holds its leads and its
    /// multi-row inserts in memory (tens of MB), and on two cores more than
    /// four at once adds memory, not throughput (BENCHMARKS.md).
    #[arg(long, env = "LTC_LEADS_WEBHOOK_CONCURRENCY", default_value_t = LEADS_WEBHOOK_CONCURRENCY,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub leads_webhook_concurrency: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            leads_webhook_secret: None,
            hubspot_app_secret: None,
            hubspot_token: None,
            hubspot_api_url: HUBSPOT_API_URL.to_owned(),
            public_url: None,
            leads_webhook_concurrency: LEADS_WEBHOOK_CONCURRENCY,
        }
    }
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

/// A Standard Webhooks secret: `whsec_` and the base64 of the key.
fn parse_whsec(value: &str) -> Result<SecretString, String> {
    let valid = value
        .strip_prefix("whsec_")
        .is_some_and(|key| !key.is_empty())
        && standardwebhooks::Webhook::new(value).is_ok();
    if !valid {
        return Err("must be whsec_ followed by the base64 of the key".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

/// The webhook routes, merged into the server's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/webhooks/leads",
            post(leads::receive).layer(DefaultBodyLimit::max(LEADS_MAX_BODY_BYTES)),
        )
        .route(
            "/webhooks/hubspot",
            post(hubspot::receive).layer(DefaultBodyLimit::max(HUBSPOT_MAX_BODY_BYTES)),
        )
}

/// The outbox handlers of the webhooks: fetching HubSpot contacts, when a
/// HubSpot token is set.
pub fn handlers(
    settings: &WebhookSettings,
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<Arc<dyn JobHandler>>> {
    let mut handlers: Vec<Arc<dyn JobHandler>> = Vec::new();
    if let Some(token) = &settings.hubspot_token {
        handlers.push(Arc::new(FetchContact::new(
            db.clone(),
            &settings.hubspot_api_url,
            token.clone(),
        )?));
    }
    Ok(handlers)
}

/// The identity a webhook acts as: a system with leave to write leads, named
/// in the history as `webhook:<name>`.
fn system_actor(name: &str) -> Actor {
    Actor {
        sub: format!("webhook:{name}"),
        name: Some(format!("{name} webhook")),
        roles: BTreeSet::from([Role::Integration]),
        scopes: Some(BTreeSet::from(["leads:write".to_owned()])),
    }
}

/// Hex SHA-256 of `bytes`, to recognise a replayed body.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::WebhookSettings;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        webhooks: WebhookSettings,
    }

    fn concurrency(args: &[&str]) -> Result<u32, clap::Error> {
        let argv = std::iter::once("ltc").chain(args.iter().copied());
        Cli::try_parse_from(argv).map(|cli| cli.webhooks.leads_webhook_concurrency)
    }

    #[test]
    fn lead_batch_concurrency_defaults_to_four_and_refuses_zero_or_too_many() {
        assert_eq!(concurrency(&[]).unwrap(), 4);
        assert_eq!(
            concurrency(&["--leads-webhook-concurrency", "1"]).unwrap(),
            1
        );
        for bad in ["0", "65", "-1", "many"] {
            let flag = format!("--leads-webhook-concurrency={bad}");
            let error = concurrency(&[&flag]).unwrap_err();
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{bad}"
            );
        }
    }
}
