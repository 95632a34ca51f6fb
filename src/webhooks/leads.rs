//! `POST /webhooks/leads`: leads and engagement signals from marketing
//! automation, signed per the Standard Webhooks spec.
//!
//! The checks run in this order: configured (404), body size (413),
//! signature and freshness (401), media type (415), replay (the stored
//! answer), body (400, 413 over 1,000 items). Then the receipt for the
//! `webhook-id`, the leads and the signals are written in one transaction:
//! one bad item and nothing is stored.

use axum::{
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::Response,
};
use entity::webhook_receipt::{self, WebhookEndpoint};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use standardwebhooks::{HEADER_WEBHOOK_ID, Webhook, WebhookError};

use super::{
    payload::{self, Batch},
    reply::{self, Reject},
    repo, sha256_hex, system_actor,
};
use crate::{
    Error,
    auth::Actor,
    db,
    http::AppState,
    input::REF_MAX,
    leads::{batch as lead_batch, engagement},
};

/// The history names this endpoint's changes `webhook:leads`.
const ACTOR: &str = "leads";

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Reject> {
    let Some(secret) = &state.webhooks.leads_webhook_secret else {
        return Err(Reject::not_configured());
    };
    let body = body.map_err(Reject::from_body)?;
    let webhook = Webhook::new(secret.expose_secret()).map_err(|e| {
        Reject::from(Error::Internal(anyhow::anyhow!(
            "LTC_LEADS_WEBHOOK_SECRET is not a whsec_ secret: {e}"
        )))
    })?;
    if let Err(error) = webhook.verify(&body, &headers) {
        tracing::warn!(error = %error, "leads webhook refused");
        return Err(Reject::unauthenticated(refusal(&error)));
    }
    reply::require_json(&headers)?;
    let message_id = headers
        .get(HEADER_WEBHOOK_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= REF_MAX)
        .ok_or_else(|| Reject::bad_request("webhook-id must be 1 to 255 characters"))?
        .to_owned();
    let digest = sha256_hex(&body);
    let database = &state.db;
    if let Some(receipt) = repo::find(database, WebhookEndpoint::Leads, &message_id).await? {
        return replay(&receipt, &digest);
    }
    // Parsed and captured only with a turn: memory stays bounded however
    // many senders post at once.
    let _turn = state
        .lead_batches
        .acquire()
        .await
        .map_err(|e| Reject::from(Error::Internal(e.into())))?;
    let batch = payload::parse(&body)?;
    let actor = system_actor(ACTOR);
    match store(database, &actor, &message_id, &digest, batch).await {
        Ok(response) => {
            tracing::info!(webhook_id = %message_id, "leads webhook stored");
            Ok(reply::ok(response))
        }
        // Another delivery of the same message got there first: answer as it did.
        Err(conflict) if conflict.code == "CONFLICT" => {
            match repo::find(database, WebhookEndpoint::Leads, &message_id).await? {
                Some(receipt) => replay(&receipt, &digest),
                None => Err(conflict),
            }
        }
        Err(reject) => Err(reject),
    }
}

/// Why a signature was refused, in words a sender's developer can act on.
fn refusal(error: &WebhookError) -> String {
    match error {
        WebhookError::MissingHeader(_) => {
            "webhook-id, webhook-timestamp and webhook-signature are required".into()
        }
        WebhookError::TimestampTooOldError | WebhookError::FutureTimestampError => {
            "webhook-timestamp is more than 5 minutes away from now".into()
        }
        WebhookError::InvalidTimestamp => "webhook-timestamp must be Unix seconds".into(),
        WebhookError::InvalidPayload => "the body must be UTF-8".into(),
        _ => "the webhook-signature does not match".into(),
    }
}

/// The first answer to this message again, if it is the same message.
fn replay(receipt: &webhook_receipt::Model, digest: &str) -> Result<Response, Reject> {
    if receipt.body_sha256 != digest {
        return Err(Reject::new(
            StatusCode::CONFLICT,
            "CONFLICT",
            "this webhook-id was already used for a different body",
        ));
    }
    let mut response = reply::ok(receipt.response.clone());
    response
        .headers_mut()
        .insert("webhook-replayed", HeaderValue::from_static("true"));
    Ok(response)
}

/// Writes the receipt, the leads and the signals in one transaction; returns
/// the answer, stored with the receipt for replays. The leads are captured
/// as one batch (a fixed number of statements however many there are), the
/// signals, rarer, one by one after them, so they find leads of this batch.
async fn store(
    database: &sea_orm::DatabaseConnection,
    actor: &Actor,
    message_id: &str,
    digest: &str,
    batch: Batch,
) -> Result<Value, Reject> {
    let txn = db::begin_write(database).await?;
    // The receipt first: a concurrent delivery of the same message waits on
    // its unique key and then finds it, instead of capturing twice.
    let receipt = repo::insert(&txn, WebhookEndpoint::Leads, message_id, digest, json!({})).await?;
    let (places, captures): (Vec<_>, Vec<_>) = batch
        .leads
        .into_iter()
        .map(|item| ((item.prefix, item.index), item.capture))
        .unzip();
    let captured = lead_batch::capture_batch(&txn, actor, captures)
        .await
        .map_err(|refused| match refused.item.and_then(|i| places.get(i)) {
            Some((prefix, index)) => Reject::from_item(refused.error, prefix, *index),
            None => Reject::from(refused.error),
        })?;
    let leads: Vec<Value> = places
        .iter()
        .zip(&captured)
        .map(|((_, index), captured)| {
            let lead = &captured.lead;
            json!({
                "index": index.unwrap_or(0),
                "id": lead.id,
                "created": captured.created,
                "duplicate": lead.duplicate_of_lead_id.is_some() || lead.duplicate_of_contact_id.is_some(),
            })
        })
        .collect();
    let mut events = Vec::with_capacity(batch.events.len());
    for event in batch.events {
        let located = engagement::find_target(
            &txn,
            event.source,
            event.external_ref.as_deref(),
            event.email.as_deref(),
        )
        .await
        .map_err(|e| Reject::from_item(e, &event.prefix, Some(event.index)))?;
        let (lead_id, recorded) = match located {
            Some(lead) => {
                let id = lead.id;
                let recorded = engagement::record(&txn, actor, lead, event.kind)
                    .await
                    .map_err(|e| Reject::from_item(e, &event.prefix, Some(event.index)))?;
                (Some(id), recorded)
            }
            None => (None, None),
        };
        events.push(json!({
            "index": event.index,
            "type": event.kind_name,
            "leadId": lead_id,
            "applied": recorded.is_some(),
            "score": recorded.map(|l| l.score),
        }));
    }
    let response = json!({ "webhookId": message_id, "leads": leads, "events": events });
    repo::set_response(&txn, receipt.id, response.clone()).await?;
    txn.commit().await?;
    Ok(response)
}
