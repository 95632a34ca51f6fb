//! `POST /webhooks/hubspot`: HubSpot's contact events, signed with its v3
//! signature. The request only records each event and queues a job that
//! fetches the contact from HubSpot's CRM API (`contacts`), so a HubSpot
//! outage delays a lead but never loses it, and HubSpot gets its 200 fast.
//!
//! `contact.creation` and `contact.propertyChange` events are queued; other
//! subscription types, and events without a contact id, are acknowledged
//! and ignored. Each queued event has a receipt, written with its job in one
//! transaction, so a redelivered event is not queued twice.

pub mod contacts;
pub mod signature;

use axum::{
    body::Bytes,
    extract::{OriginalUri, State, rejection::BytesRejection},
    http::{HeaderMap, Method},
    response::Response,
};
use entity::webhook_receipt::WebhookEndpoint;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use super::{
    payload::MAX_ITEMS,
    reply::{self, Reject},
    repo, sha256_hex,
};
use crate::{db, http::AppState, outbox};
use contacts::FETCH_CONTACT;

/// The subscription types that bring a contact worth capturing.
const CONTACT_EVENTS: [&str; 2] = ["contact.creation", "contact.propertyChange"];

pub async fn receive(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Reject> {
    let settings = &state.webhooks;
    let (Some(secret), Some(public_url), Some(_)) = (
        &settings.hubspot_app_secret,
        &settings.public_url,
        &settings.hubspot_token,
    ) else {
        return Err(Reject::not_configured());
    };
    let body = body.map_err(Reject::from_body)?;
    let called = format!(
        "{}{}",
        public_url.trim_end_matches('/'),
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(refusal) = signature::verify(
        secret.expose_secret().as_bytes(),
        method.as_str(),
        &called,
        &body,
        header(signature::SIGNATURE_HEADER),
        header(signature::TIMESTAMP_HEADER),
        chrono::Utc::now().timestamp_millis(),
    ) {
        tracing::warn!(reason = ?refusal, uri = %called, "HubSpot webhook refused");
        return Err(Reject::unauthenticated(refusal.message()));
    }
    reply::require_json(&headers)?;
    let events = parse(&body)?;
    // Two deliveries of the same events at once: the loser's receipts clash
    // with the winner's; a second pass finds them and answers DUPLICATE.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match store(&state.db, &events).await {
            Err(reject) if reject.code == "CONFLICT" && attempt < 2 => continue,
            Err(reject) => return Err(reject),
            Ok(response) => return Ok(reply::ok(response)),
        }
    }
}

/// One event of the batch, as far as ltc cares.
enum Event {
    /// A contact to fetch: the receipt's key, and the job's payload.
    Contact {
        key: String,
        digest: String,
        summary: Value,
        contact_id: String,
    },
    Ignored {
        summary: Value,
        reason: &'static str,
    },
}

fn parse(body: &[u8]) -> Result<Vec<Event>, Reject> {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(body) else {
        return Err(Reject::bad_request(
            "the body must be a JSON array of HubSpot events",
        ));
    };
    if items.len() > MAX_ITEMS {
        return Err(Reject::too_large(
            None,
            format!("at most {MAX_ITEMS} events per request"),
        ));
    }
    Ok(items.into_iter().enumerate().map(event).collect())
}

/// A number or string field as text ("" when absent).
fn scalar(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn event((index, item): (usize, Value)) -> Event {
    let Value::Object(mut object) = item else {
        return Event::Ignored {
            summary: json!({ "index": index }),
            reason: "not an object",
        };
    };
    let kind = scalar(&object, "subscriptionType");
    let contact_id = scalar(&object, "objectId");
    let summary = json!({
        "index": index,
        "eventId": object.get("eventId"),
        "subscriptionType": kind,
        "objectId": object.get("objectId"),
    });
    if !CONTACT_EVENTS.contains(&kind.as_str()) {
        return Event::Ignored {
            summary,
            reason: "not a contact creation or property change",
        };
    }
    if contact_id.is_empty() || !contact_id.bytes().all(|b| b.is_ascii_digit()) {
        return Event::Ignored {
            summary,
            reason: "no contact id",
        };
    }
    // HubSpot's eventId alone is not guaranteed unique; with the account,
    // subscription, contact and time it names one event, also when
    // redelivered (only attemptNumber changes).
    let key = [
        "portalId",
        "subscriptionId",
        "eventId",
        "objectId",
        "occurredAt",
    ]
    .map(|k| scalar(&object, k))
    .join(":");
    object.remove("attemptNumber");
    let digest = sha256_hex(Value::Object(object).to_string().as_bytes());
    Event::Contact {
        key,
        digest,
        summary,
        contact_id,
    }
}

/// Receipts and jobs for the batch's contact events, in one transaction.
async fn store(database: &sea_orm::DatabaseConnection, events: &[Event]) -> Result<Value, Reject> {
    let txn = db::begin_write(database).await?;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let (mut summary, status) = match event {
            Event::Ignored { summary, reason } => {
                let mut summary = summary.clone();
                summary["reason"] = json!(reason);
                (summary, "IGNORED")
            }
            Event::Contact {
                key,
                digest,
                summary,
                contact_id,
            } => {
                let mut summary = summary.clone();
                if let Some(receipt) = repo::find(&txn, WebhookEndpoint::Hubspot, key).await? {
                    summary["jobId"] = receipt.response["jobId"].clone();
                    (summary, "DUPLICATE")
                } else {
                    let job = outbox::enqueue(
                        &txn,
                        FETCH_CONTACT,
                        json!({ "contactId": contact_id, "event": key }),
                        Some(format!("{FETCH_CONTACT}:{key}")),
                    )
                    .await?;
                    repo::insert(
                        &txn,
                        WebhookEndpoint::Hubspot,
                        key,
                        digest,
                        json!({ "jobId": job.id }),
                    )
                    .await?;
                    summary["jobId"] = json!(job.id);
                    (summary, "QUEUED")
                }
            }
        };
        summary["status"] = json!(status);
        out.push(summary);
    }
    txn.commit().await?;
    let queued = out.iter().filter(|e| e["status"] == "QUEUED").count();
    tracing::info!(events = out.len(), queued, "HubSpot webhook stored");
    Ok(json!({ "events": out }))
}
