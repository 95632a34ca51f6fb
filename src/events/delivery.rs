//! Webhook delivery: one outbox job per (subscription, event), POSTed with
//! the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
//!
//! A 2xx answer is done. 410 Gone disables the subscription, so no more
//! jobs are made for it. 408, 429 and 5xx answers, timeouts and network
//! errors are retried with the outbox's backoff (honouring `Retry-After`);
//! any other 4xx is a permanent failure: the job is dead, and an admin can
//! retry it once the receiver is fixed.

use std::time::Duration;

use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Envelope, EventSettings, repo, subscriptions};
use crate::outbox::{self, JobFailure, JobHandler};

/// The outbox job kind.
pub const DELIVER: &str = "events.deliver";

/// Longest wait a receiver's `Retry-After` may ask for.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(3600);

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPayload {
    pub subscription_id: Uuid,
    pub event: Envelope,
}

/// Queues the delivery of `event` to one subscription, in the caller's transaction.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    subscription_id: Uuid,
    event: &Envelope,
) -> crate::Result<()> {
    let payload = serde_json::to_value(DeliveryPayload {
        subscription_id,
        event: event.clone(),
    })
    .map_err(|e| crate::Error::Internal(e.into()))?;
    outbox::enqueue(db, DELIVER, payload, None).await?;
    Ok(())
}

pub struct Deliver {
    db: DatabaseConnection,
    client: reqwest::Client,
    sealer: crate::secrets::Sealer,
}

impl Deliver {
    pub fn new(
        settings: &EventSettings,
        db: DatabaseConnection,
        sealer: crate::secrets::Sealer,
    ) -> anyhow::Result<Deliver> {
        let client = reqwest::Client::builder()
            .timeout(settings.delivery_timeout())
            .connect_timeout(settings.delivery_timeout())
            // A receiver that moved must be updated by an admin: following
            // redirects would send signed events wherever a 3xx points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ltc-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Deliver { db, client, sealer })
    }

    async fn deliver(&self, job: &entity::job::Model) -> Result<(), JobFailure> {
        let payload: DeliveryPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::permanent(format!("unreadable payload: {e}")))?;
        let subscription = repo::find_subscription(&self.db, payload.subscription_id)
            .await
            .map_err(|e| JobFailure::retry(format!("reading the subscription: {e}")))?
            .ok_or_else(|| {
                JobFailure::permanent(format!(
                    "webhook subscription {} was deleted",
                    payload.subscription_id
                ))
            })?;
        if subscription.status != entity::webhook_subscription::SubscriptionStatus::Active {
            return Err(JobFailure::permanent(format!(
                "webhook subscription {} is disabled",
                subscription.id
            )));
        }
        let body = serde_json::to_string(&payload.event)
            .map_err(|e| JobFailure::permanent(format!("serializing the event: {e}")))?;
        let id = payload.event.id.to_string();
        let now = chrono::Utc::now();
        let timestamp = now.timestamp();
        // Standard Webhooks: space-separated signatures, one per key; the
        // receiver accepts the delivery if any of them matches its key.
        let secrets = subscriptions::signing_secrets(&self.sealer, &subscription, now)
            .map_err(|e| JobFailure::retry(format!("opening the signing secret: {e}")))?;
        let signature = secrets
            .iter()
            .map(|secret| {
                standardwebhooks::Webhook::new(secret)
                    .and_then(|hook| hook.sign(&id, timestamp, body.as_bytes()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| JobFailure::permanent(format!("signing: {e}")))?
            .join(" ");
        let response = self
            .client
            .post(&subscription.url)
            .header("content-type", "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, &id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                timestamp.to_string(),
            )
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| JobFailure::retry(format!("POST {}: {e}", subscription.url)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status == reqwest::StatusCode::GONE {
            let reason = "the receiver answered 410 Gone";
            repo::disable_if_active(&self.db, subscription.id, reason)
                .await
                .map_err(|e| JobFailure::retry(format!("disabling the subscription: {e}")))?;
            tracing::warn!(subscription = %subscription.id, url = %subscription.url, "webhook subscription disabled: 410 Gone");
            return Err(JobFailure::permanent(format!(
                "{reason}; subscription {} disabled",
                subscription.id
            )));
        }
        let message = format!("POST {} answered {status}", subscription.url);
        if status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
        {
            Err(JobFailure::Retry {
                message,
                after: retry_after(response.headers()),
            })
        } else {
            Err(JobFailure::permanent(message))
        }
    }
}

/// A `Retry-After` in seconds (the HTTP-date form is rare for webhooks and
/// falls back to the backoff).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(|secs| Duration::from_secs(secs).min(RETRY_AFTER_CAP))
}

impl JobHandler for Deliver {
    fn kind(&self) -> &'static str {
        DELIVER
    }

    fn run<'a>(&'a self, job: &'a entity::job::Model) -> BoxFuture<'a, Result<(), JobFailure>> {
        Box::pin(self.deliver(job))
    }
}
