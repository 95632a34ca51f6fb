//! Webhook subscriptions, managed by admins: where to POST which events, and
//! the secret each delivery is signed with.

use base64::Engine;
use entity::webhook_subscription::{self, SubscriptionStatus};
use rand::RngCore;
use uuid::Uuid;

use super::{catalog, repo};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db::{self, Counter, Page, PageRequest, SortValue},
    input::{self, TEXT_MAX},
    secrets::Sealer,
};

/// Longest URL accepted.
const URL_MAX: usize = 2048;

pub struct NewSubscription {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// Whether a subscription receives events of type `name`.
pub fn wants(subscription: &webhook_subscription::Model, name: &str) -> bool {
    subscription.status == SubscriptionStatus::Active
        && event_names(subscription).iter().any(|n| n == name)
}

/// The event types a subscription asked for, as stored.
pub fn event_names(subscription: &webhook_subscription::Model) -> Vec<String> {
    subscription
        .events
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// An absolute `http` or `https` URL with a host.
fn parse_url(url: &str) -> Result<String> {
    let url = input::required("url", url, URL_MAX)?;
    let parsed = reqwest::Url::parse(&url)
        .map_err(|e| Error::validation("url", format!("is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::validation("url", "must be an http or https URL"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::validation("url", "needs a host"));
    }
    Ok(parsed.to_string())
}

/// A new signing secret: `whsec_` and the base64 of 32 random bytes, the
/// form Standard Webhooks libraries take.
fn new_secret() -> String {
    let mut key = [0_u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// Creates an active subscription; returns it with its secret (in plain
/// text, sealed in the database), which is shown this once.
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    sealer: &Sealer,
    new: NewSubscription,
) -> Result<webhook_subscription::Model> {
    actor.require(Capability::Administer)?;
    let url = parse_url(&new.url)?;
    if new.events.is_empty() {
        return Err(Error::validation("events", "name at least one event type"));
    }
    let events = catalog::parse_names("events", &new.events)?;
    let description = input::optional("description", new.description.as_deref(), TEXT_MAX)?;
    let now = db::now();
    let secret = new_secret();
    let mut created = repo::insert_subscription(
        db,
        webhook_subscription::Model {
            id: db::new_id(),
            url,
            events: serde_json::json!(events),
            description,
            secret: sealer.seal(&secret)?,
            previous_secret: None,
            previous_secret_expires_at: None,
            status: SubscriptionStatus::Active,
            disabled_reason: None,
            disabled_at: None,
            created_by: actor.sub.clone(),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    created.secret = secret;
    Ok(created)
}

pub async fn get(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<webhook_subscription::Model> {
    actor.require(Capability::Administer)?;
    repo::find_subscription(db, id)
        .await?
        .ok_or(Error::NotFound("webhook subscription"))
}

pub async fn list(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    status: Option<SubscriptionStatus>,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<webhook_subscription::Model>, Counter)> {
    actor.require(Capability::Administer)?;
    let page = page.ordered("CreatedAt", &direction, |k| matches!(k, SortValue::Time(_)))?;
    let select = repo::subscriptions_query(status);
    let rows = db::fetch_page(
        db,
        select.clone(),
        webhook_subscription::Column::CreatedAt,
        webhook_subscription::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}

/// Turns delivery off (`reason` is kept) or back on.
pub async fn set_status(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    status: SubscriptionStatus,
    reason: Option<&str>,
) -> Result<webhook_subscription::Model> {
    actor.require(Capability::Administer)?;
    let reason = match status {
        SubscriptionStatus::Active => None,
        SubscriptionStatus::Disabled => Some(
            input::optional("reason", reason, TEXT_MAX)?
                .unwrap_or_else(|| format!("disabled by {}", actor.sub)),
        ),
    };
    if !repo::set_subscription_status(db, id, status, reason.as_deref()).await? {
        return Err(Error::NotFound("webhook subscription"));
    }
    get(db, actor, id).await
}

/// How long a rotated-out secret keeps signing, unless the admin says.
pub const DEFAULT_KEEP_PREVIOUS_HOURS: i32 = 24;
/// At most a week: a leaked secret must not sign for longer than that.
const MAX_KEEP_PREVIOUS_HOURS: i32 = 168;

/// Gives a subscription a new secret (returned in plain text, sealed in the
/// database), shown this once. The old one keeps
/// signing deliveries beside it for `keep_previous_hours` (0: stops at once),
/// so the receiver can move to the new key without refusing a delivery.
pub async fn rotate_secret(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    sealer: &Sealer,
    id: Uuid,
    keep_previous_hours: i32,
) -> Result<webhook_subscription::Model> {
    actor.require(Capability::Administer)?;
    if !(0..=MAX_KEEP_PREVIOUS_HOURS).contains(&keep_previous_hours) {
        return Err(Error::validation(
            "keepPreviousForHours",
            format!("keep the previous secret 0 to {MAX_KEEP_PREVIOUS_HOURS} hours"),
        ));
    }
    let keep_until = (keep_previous_hours > 0)
        .then(|| db::now() + chrono::Duration::hours(i64::from(keep_previous_hours)));
    let secret = new_secret();
    if !repo::rotate_secret(db, id, &sealer.seal(&secret)?, keep_until).await? {
        return Err(Error::NotFound("webhook subscription"));
    }
    let mut rotated = get(db, actor, id).await?;
    rotated.secret = secret;
    Ok(rotated)
}

/// Until when the secret before the last rotation still signs, if it does.
pub fn previous_secret_signs_until(
    subscription: &webhook_subscription::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    subscription.previous_secret.as_ref()?;
    subscription
        .previous_secret_expires_at
        .filter(|until| *until > now)
}

/// The secrets a delivery is signed with now, opened: the current one, and
/// the previous one while it has not expired.
pub fn signing_secrets(
    sealer: &Sealer,
    subscription: &webhook_subscription::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>> {
    let mut secrets = vec![sealer.open(&subscription.secret)?];
    if let Some(previous) = &subscription.previous_secret
        && previous_secret_signs_until(subscription, now).is_some()
    {
        secrets.push(sealer.open(previous)?);
    }
    Ok(secrets)
}

/// Deletes a subscription; its deliveries still queued end without sending.
pub async fn delete(db: &sea_orm::DatabaseConnection, actor: &Actor, id: Uuid) -> Result<()> {
    actor.require(Capability::Administer)?;
    if !repo::delete_subscription(db, id).await? {
        return Err(Error::NotFound("webhook subscription"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_are_accepted() {
        assert!(parse_url("https://hooks.example.com/ltc").is_ok());
        assert!(parse_url("http://127.0.0.1:9000/x").is_ok());
        for bad in [
            "ftp://example.com",
            "/relative",
            "mailto:a@b.c",
            "",
            "https://",
        ] {
            assert_eq!(parse_url(bad).unwrap_err().code(), "VALIDATION", "{bad}");
        }
    }

    #[test]
    fn a_previous_secret_signs_only_until_it_expires() {
        let now = db::now();
        let subscription = webhook_subscription::Model {
            id: db::new_id(),
            url: "https://hooks.example.com".into(),
            events: serde_json::json!(["lead.qualified"]),
            description: None,
            secret: "whsec_new".into(),
            previous_secret: Some("whsec_old".into()),
            previous_secret_expires_at: Some(now + chrono::Duration::hours(1)),
            status: SubscriptionStatus::Active,
            disabled_reason: None,
            disabled_at: None,
            created_by: "root".into(),
            created_at: now,
            updated_at: now,
        };
        let sealer = Sealer::from_settings(
            &crate::secrets::SecretKeySettings {
                secret_key: Some(crate::secrets::generate_key()),
                secret_key_previous: None,
            },
            std::path::Path::new("/nonexistent"),
        )
        .unwrap();
        assert_eq!(
            signing_secrets(&sealer, &subscription, now).unwrap(),
            ["whsec_new", "whsec_old"]
        );
        let later = now + chrono::Duration::hours(1);
        assert_eq!(
            signing_secrets(&sealer, &subscription, later).unwrap(),
            ["whsec_new"]
        );
    }

    #[test]
    fn secrets_are_standard_webhooks_keys() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        assert!(standardwebhooks::Webhook::new(&secret).is_ok());
        assert_ne!(secret, new_secret());
    }
}
