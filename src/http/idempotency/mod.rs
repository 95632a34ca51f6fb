//! Retry-safe mutations: a GraphQL mutation request may carry an
//! `Idempotency-Key` header (1 to 255 visible ASCII characters). The first
//! request with a key runs and its response is kept for 24 hours, per caller
//! and key; a retry with the same body gets that response back, byte for
//! byte, marked `Idempotent-Replayed: true`, and runs nothing.
//!
//! - The same key with a different body is `CONFLICT` (422): a key names one
//!   request. "The same body" means the same query text, operation name and
//!   variables (compared as SHA-256 of their canonical JSON, so key order and
//!   whitespace between JSON tokens do not matter; the query text does).
//! - Two requests with one key at once never both run: the key is claimed by
//!   inserting an `IN_PROGRESS` row under a unique (caller, key) index before
//!   anything executes. The second waits up to [`WAIT`] for the first to
//!   finish and then replays its response, or gets `CONFLICT` (409).
//! - A claimed request runs to the end even if its client goes away (it runs
//!   on its own task), so its outcome is always stored for the retry.
//! - A request that never executed (syntax or validation errors: 400) does
//!   not use its key up. Every executed response is stored, errors included,
//!   as a retry must not run a mutation whose outcome the client has not seen.
//! - A replay goes only to a caller with the rights of the first: the same
//!   roles and scopes (kept with the key as a SHA-256 of their sorted
//!   names, beside the request's hash in `request_hash`, `<request>:<rights>`).
//!   The same `sub` with other rights (a narrower scope, another role) gets
//!   `FORBIDDEN` (403) and nothing runs: it may not be allowed to see what
//!   the first request was shown.
//! - A response holding a secret shown once (a webhook signing secret) is
//!   never stored: its resolver marks the request ([`shown_once`]), the key
//!   is kept without a body, and a retry gets `CONFLICT` (409).
//! - Queries ignore the header. Keys need an authenticated caller.
//! - Expired keys are deleted when the same key comes again, and all expired
//!   keys at most once a minute per instance.

use std::{
    sync::atomic::{AtomicI64, Ordering},
    time::Duration,
};

use axum::http::{HeaderMap, StatusCode};
use entity::idempotency_key::IdempotencyState;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{auth::Actor, db, graphql::context::SecretShown};

mod repo;

pub const HEADER: &str = "idempotency-key";
/// Set on a response replayed from the store.
pub const REPLAYED: &str = "idempotent-replayed";
/// Longest key accepted, in characters.
pub const KEY_MAX: usize = 255;
/// How long a key's response is kept.
pub const TTL: chrono::Duration = chrono::Duration::hours(24);
/// How long a retry waits for the first request with its key to finish.
pub const WAIT: Duration = Duration::from_secs(5);
/// A request still in progress after this is taken as lost (its instance
/// stopped mid-way): its outcome is unknown, and it is never run again.
const LOST_AFTER: chrono::Duration = chrono::Duration::minutes(5);

/// What to do with a mutation request that carries a key.
pub enum Claim {
    /// The key is ours: execute, then [`Ticket::settle`].
    Run(Ticket),
    /// The first request's response, to send again.
    Replay { status: StatusCode, body: String },
    /// Refused before running: bad key, unauthenticated, or conflict.
    Refuse {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
}

/// A claimed key, to settle with the response once the request ran.
#[must_use]
pub struct Ticket {
    id: Uuid,
    secret: SecretShown,
}

/// What a replay of a response that held a secret answers.
const SECRET_NOT_REPLAYED: &str = "the first response held a secret shown once; it is not sent again: \
     rotate the secret to have a new one";

/// Hex SHA-256 of the caller's roles and scopes, sorted: who may be shown
/// a stored response.
fn rights(actor: &Actor) -> String {
    let roles: Vec<&str> = actor.roles.iter().map(|r| r.as_str()).collect();
    let body = json!({ "roles": roles, "scopes": actor.scopes });
    hex(&Sha256::digest(body.to_string().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> Claim {
    Claim::Refuse {
        status,
        code,
        message: message.into(),
    }
}

/// The key from the headers: `None` without the header; `Err` with a
/// message if it is empty, too long or not visible ASCII.
fn key(headers: &HeaderMap) -> Option<Result<String, String>> {
    let value = headers.get(HEADER)?;
    let Ok(text) = value.to_str() else {
        return Some(Err("the Idempotency-Key must be visible ASCII".into()));
    };
    let text = text.trim();
    if text.is_empty() {
        return Some(Err("the Idempotency-Key must not be empty".into()));
    }
    if text.chars().count() > KEY_MAX {
        return Some(Err(format!(
            "the Idempotency-Key must be at most {KEY_MAX} characters"
        )));
    }
    Some(Ok(text.to_owned()))
}

/// Objects with their keys sorted, all the way down, written compactly.
fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// Hex SHA-256 of the request's canonical form.
pub fn request_hash(request: &async_graphql::Request) -> String {
    let variables = serde_json::to_value(&request.variables).unwrap_or(Value::Null);
    let body = json!({
        "query": request.query,
        "operationName": request.operation_name,
        "variables": variables,
    });
    hex(&Sha256::digest(canonical(&body).as_bytes()))
}

/// Claims the request's key, or says why not, or finds the response to
/// replay. `None`: the request carries no key and just runs. A claimed
/// request gets [`SecretShown`] in its data.
pub async fn claim(
    db: &DatabaseConnection,
    headers: &HeaderMap,
    actor: Option<&Actor>,
    request: &mut async_graphql::Request,
) -> Option<Claim> {
    let key = match key(headers)? {
        Ok(key) => key,
        Err(message) => return Some(refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)),
    };
    let Some(actor) = actor else {
        return Some(refuse(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "an Idempotency-Key needs a bearer token: keys are kept per caller",
        ));
    };
    let hash = request_hash(request);
    Some(
        match claim_key(db, &actor.sub, &key, &hash, &rights(actor)).await {
            Ok(Claim::Run(ticket)) => {
                request.data.insert(ticket.secret.clone());
                Claim::Run(ticket)
            }
            Ok(claim) => claim,
            Err(error) => {
                tracing::error!(error = ?error, "claiming an idempotency key");
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "internal error",
                )
            }
        },
    )
}

async fn claim_key(
    db: &DatabaseConnection,
    caller: &str,
    key: &str,
    hash: &str,
    rights: &str,
) -> Result<Claim, sea_orm::DbErr> {
    sweep(db).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut pause = Duration::from_millis(20);
    loop {
        let now = db::now();
        // An expired key is forgotten: its row makes way for this request.
        repo::forget_expired(db, caller, key, now).await?;
        let taken =
            repo::insert_in_progress(db, caller, key, format!("{hash}:{rights}"), now, now + TTL)
                .await?;
        if let Some(id) = taken {
            return Ok(Claim::Run(Ticket {
                id,
                secret: SecretShown::default(),
            }));
        }
        let Some(first) = repo::find(db, caller, key).await? else {
            // Settled as "never ran" (or expired) meanwhile: try again.
            continue;
        };
        // Rows from before rights were kept hold the request's hash alone.
        let (first_hash, first_rights) = first
            .request_hash
            .split_once(':')
            .unwrap_or((first.request_hash.as_str(), rights));
        if first_rights != rights {
            return Ok(refuse(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "this Idempotency-Key was used by a token with other rights; \
                 a response is replayed only to the same roles and scopes",
            ));
        }
        if first_hash != hash {
            return Ok(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "CONFLICT",
                "this Idempotency-Key was used for a different request; use a new key for a new request",
            ));
        }
        if first.state == IdempotencyState::Done {
            let Some(body) = first.response_body else {
                return Ok(refuse(
                    StatusCode::CONFLICT,
                    "CONFLICT",
                    SECRET_NOT_REPLAYED,
                ));
            };
            let status = first
                .response_status
                .and_then(|s| u16::try_from(s).ok())
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            return Ok(Claim::Replay { status, body });
        }
        if first.created_at < now - LOST_AFTER {
            return Ok(refuse(
                StatusCode::CONFLICT,
                "CONFLICT",
                "the first request with this Idempotency-Key never finished (the server stopped); \
                 its outcome is unknown: check, then use a new key",
            ));
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Ok(refuse(
                StatusCode::CONFLICT,
                "CONFLICT",
                "a request with this Idempotency-Key is still in progress; retry later",
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

impl Ticket {
    /// Stores the response of an executed request for replay (without its
    /// body when it held a secret shown once); a request that never executed
    /// (400) or panicked (500) gives its key back instead.
    pub async fn settle(self, db: &DatabaseConnection, status: StatusCode, body: &str) {
        let body = (!self.secret.is_set()).then_some(body);
        // A request that never executed (400) or that failed midway (a
        // panic: 500, its transaction rolled back) gives its key back.
        let outcome =
            if status == StatusCode::BAD_REQUEST || status == StatusCode::INTERNAL_SERVER_ERROR {
                repo::release(db, self.id).await
            } else {
                repo::complete(db, self.id, status.as_u16(), body).await
            };
        if let Err(error) = outcome {
            // The key stays in progress: a retry gets CONFLICT, never a second run.
            tracing::error!(error = ?error, "storing an idempotent response");
        }
    }
}

/// Unix seconds of this instance's last sweep of expired keys.
static LAST_SWEEP: AtomicI64 = AtomicI64::new(0);

/// Deletes every expired key, at most once a minute per instance.
async fn sweep(db: &DatabaseConnection) {
    let now = db::now();
    let last = LAST_SWEEP.load(Ordering::Relaxed);
    if now.timestamp() - last < 60
        || LAST_SWEEP
            .compare_exchange(last, now.timestamp(), Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    if let Err(error) = repo::delete_expired(db, now).await {
        tracing::warn!(error = ?error, "deleting expired idempotency keys");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, key.parse().unwrap());
        headers
    }

    #[test]
    fn keys_are_one_to_255_characters() {
        assert_eq!(key(&HeaderMap::new()), None);
        assert_eq!(key(&headers("abc-123")), Some(Ok("abc-123".into())));
        assert!(key(&headers(&"k".repeat(255))).unwrap().is_ok());
        assert!(key(&headers(&"k".repeat(256))).unwrap().is_err());
        assert!(key(&headers("")).unwrap().is_err());
    }

    #[test]
    fn the_hash_ignores_key_order_but_not_values() {
        let a: async_graphql::Request = serde_json::from_value(json!({
            "query": "mutation($a: Int, $b: Int) { x }",
            "variables": { "a": 1, "b": { "c": 2, "d": 3 } }
        }))
        .unwrap();
        let b: async_graphql::Request = serde_json::from_value(json!({
            "variables": { "b": { "d": 3, "c": 2 }, "a": 1 },
            "query": "mutation($a: Int, $b: Int) { x }"
        }))
        .unwrap();
        let c: async_graphql::Request = serde_json::from_value(json!({
            "query": "mutation($a: Int, $b: Int) { x }",
            "variables": { "a": 2, "b": { "c": 2, "d": 3 } }
        }))
        .unwrap();
        assert_eq!(request_hash(&a), request_hash(&b));
        assert_ne!(request_hash(&a), request_hash(&c));
        assert_eq!(request_hash(&a).len(), 64);
    }
}
