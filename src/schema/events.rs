//! The GraphQL face of events: webhook subscriptions (admins), the event
//! type list, and the `events` subscription over WebSocket.

use async_graphql::{Context, Enum, Json, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use entity::webhook_subscription;
use futures::{StreamExt, stream::BoxStream};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::event_access as access;
use crate::{
    Error,
    db::SortValue,
    events::{
        EventBus, Published, catalog,
        subscriptions::{self, NewSubscription},
    },
    graphql::{
        context::{ContextExt, shown_once},
        pagination::{Conn, SortDirection, connection, cost, page_request},
    },
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "webhook_subscription::SubscriptionStatus")]
pub enum WebhookSubscriptionStatus {
    /// Receives the events it subscribed to.
    Active,
    /// Receives nothing: disabled by an admin, or because its receiver
    /// answered 410 Gone (see `disabledReason`).
    Disabled,
}

/// Where ltc POSTs events, signed per Standard Webhooks with the
/// subscription's secret (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature` headers; body `{id, type, timestamp, data}`).
#[derive(SimpleObject)]
pub struct WebhookSubscription {
    pub id: Uuid,
    pub url: String,
    /// Event type names, see `eventTypes`.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub status: WebhookSubscriptionStatus,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until when deliveries are also signed with the secret before the last
    /// rotation; null when only the current secret signs.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<webhook_subscription::Model> for WebhookSubscription {
    fn from(m: webhook_subscription::Model) -> Self {
        let previous_secret_expires_at =
            subscriptions::previous_secret_signs_until(&m, crate::db::now());
        WebhookSubscription {
            events: subscriptions::event_names(&m),
            id: m.id,
            url: m.url,
            description: m.description,
            status: m.status.into(),
            disabled_reason: m.disabled_reason,
            disabled_at: m.disabled_at,
            previous_secret_expires_at,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreateWebhookSubscriptionPayload {
    pub subscription: WebhookSubscription,
    /// The signing secret (`whsec_` + base64 key), for verifying deliveries
    /// with any Standard Webhooks library. Shown only here, once: store it.
    pub secret: String,
}

#[derive(SimpleObject)]
pub struct RotateWebhookSubscriptionSecretPayload {
    pub subscription: WebhookSubscription,
    /// The new signing secret. Shown only here, once: store it.
    pub secret: String,
}

/// A kind of event ltc raises.
#[derive(SimpleObject)]
pub struct EventType {
    /// e.g. `lead.qualified`.
    pub name: String,
    pub description: String,
}

/// Something that happened, as a GraphQL subscription delivers it.
#[derive(SimpleObject)]
#[graphql(name = "Event")]
pub struct LiveEvent {
    /// The event's id; the same as the `webhook-id` of its webhook deliveries.
    pub id: Uuid,
    /// e.g. `lead.qualified`, see `eventTypes`.
    #[graphql(name = "type")]
    pub kind: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The lead, opportunity, contract, purchase order or receivable it is about.
    pub subject_id: Uuid,
    pub account_id: Option<Uuid>,
    /// The event's data, as in the webhook body's `data`.
    pub data: Json<serde_json::Value>,
}

impl From<&Published> for LiveEvent {
    fn from(event: &Published) -> Self {
        LiveEvent {
            id: event.envelope.id,
            kind: event.envelope.kind.clone(),
            at: event.envelope.timestamp,
            subject_id: event.subject_id,
            account_id: event.account_id,
            data: Json(event.envelope.data.clone()),
        }
    }
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// Every event type, for webhook subscriptions and the `events` subscription.
    async fn event_types(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EventType>> {
        ctx.actor()?;
        Ok(catalog::TYPES
            .iter()
            .map(|t| EventType {
                name: t.name.to_owned(),
                description: t.description.to_owned(),
            })
            .collect())
    }

    /// One webhook subscription (admins).
    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<WebhookSubscription> {
        Ok(subscriptions::get(ctx.db()?, ctx.actor()?, id)
            .await?
            .into())
    }

    /// Webhook subscriptions, newest first by default (admins).
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        status: Option<WebhookSubscriptionStatus>,
        #[graphql(default)] direction: SortDirection,
    ) -> async_graphql::Result<Conn<WebhookSubscription>> {
        let page = page_request(first, after, last, before)?;
        let (rows, count) = subscriptions::list(
            ctx.db()?,
            ctx.actor()?,
            status.map(Into::into),
            direction.into(),
            page,
        )
        .await?;
        Ok(connection(
            rows,
            count,
            |r| (SortValue::Time(r.created_at), r.id),
            WebhookSubscription::from,
        ))
    }
}

#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    /// Subscribes an `http(s)` URL to event types (admins). Deliveries go
    /// through the outbox: retried with backoff on timeouts, 408, 429 and
    /// 5xx; a 410 Gone answer disables the subscription.
    async fn create_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        url: String,
        events: Vec<String>,
        description: Option<String>,
    ) -> async_graphql::Result<CreateWebhookSubscriptionPayload> {
        let created = subscriptions::create(
            ctx.db()?,
            ctx.actor()?,
            crate::secrets::of(ctx)?,
            NewSubscription {
                url,
                events,
                description,
            },
        )
        .await?;
        shown_once(ctx);
        Ok(CreateWebhookSubscriptionPayload {
            secret: created.secret.clone(),
            subscription: created.into(),
        })
    }

    /// Gives a subscription a new signing secret (admins), returned once.
    /// Deliveries carry a signature with each key (`v1,<new> v1,<old>`) for
    /// `keepPreviousForHours` (0 to 168; 0 stops the old key at once), so
    /// the receiver can move to the new key without refusing a delivery.
    async fn rotate_webhook_subscription_secret(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        #[graphql(default_with = "subscriptions::DEFAULT_KEEP_PREVIOUS_HOURS")]
        keep_previous_for_hours: i32,
    ) -> async_graphql::Result<RotateWebhookSubscriptionSecretPayload> {
        let rotated = subscriptions::rotate_secret(
            ctx.db()?,
            ctx.actor()?,
            crate::secrets::of(ctx)?,
            id,
            keep_previous_for_hours,
        )
        .await?;
        shown_once(ctx);
        Ok(RotateWebhookSubscriptionSecretPayload {
            secret: rotated.secret.clone(),
            subscription: rotated.into(),
        })
    }

    /// Stops deliveries to a subscription (admins); nothing new is queued for it.
    async fn disable_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: Option<String>,
    ) -> async_graphql::Result<WebhookSubscription> {
        Ok(subscriptions::set_status(
            ctx.db()?,
            ctx.actor()?,
            id,
            webhook_subscription::SubscriptionStatus::Disabled,
            reason.as_deref(),
        )
        .await?
        .into())
    }

    /// Turns deliveries back on (admins), e.g. after a 410 was fixed.
    /// Deliveries that failed meanwhile are dead jobs an admin may retry.
    async fn enable_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<WebhookSubscription> {
        Ok(subscriptions::set_status(
            ctx.db()?,
            ctx.actor()?,
            id,
            webhook_subscription::SubscriptionStatus::Active,
            None,
        )
        .await?
        .into())
    }

    /// Deletes a subscription (admins); returns its id.
    async fn delete_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Uuid> {
        subscriptions::delete(ctx.db()?, ctx.actor()?, id).await?;
        Ok(id)
    }
}

#[derive(Default)]
pub struct EventSubscription;

#[Subscription]
impl EventSubscription {
    /// Events as they are committed, over WebSocket (`graphql-transport-ws`
    /// on `GET /graphql`; send `{"Authorization": "Bearer <token>"}` as the
    /// `connection_init` payload). Only events about records the caller may
    /// read arrive. `types` narrows them (default: every type the token may
    /// receive); a type the token may never receive is `FORBIDDEN`.
    async fn events(
        &self,
        ctx: &Context<'_>,
        types: Option<Vec<String>>,
    ) -> async_graphql::Result<BoxStream<'static, LiveEvent>> {
        // Over WebSocket no HTTP handler adds codes to errors: add them here.
        start(ctx, types).map_err(coded)
    }
}

/// Over WebSocket, errors carry their code (and field) like over HTTP.
fn coded(error: Error) -> async_graphql::Error {
    let mut server = async_graphql::ServerError::new(error.to_string(), None);
    error.annotate(&mut server);
    let mut out = async_graphql::Error::new(server.message);
    out.extensions = server.extensions;
    out
}

/// The stream of events `ctx`'s caller may receive, of the `types` asked for.
fn start(
    ctx: &Context<'_>,
    types: Option<Vec<String>>,
) -> crate::Result<BoxStream<'static, LiveEvent>> {
    let actor = ctx.actor()?.clone();
    let wanted: Vec<&'static str> = match types {
        Some(names) if names.is_empty() => {
            return Err(Error::validation(
                "types",
                "name at least one event type, or leave `types` out for all",
            ));
        }
        Some(names) => {
            let wanted = catalog::parse_names("types", &names)?;
            if let Some(refused) = wanted.iter().find(|n| !access::may_subscribe(&actor, n)) {
                return Err(Error::forbidden(format!(
                    "your token may not receive {refused}"
                )));
            }
            wanted
        }
        None => catalog::TYPES
            .iter()
            .map(|t| t.name)
            .filter(|n| access::may_subscribe(&actor, n))
            .collect(),
    };
    if wanted.is_empty() {
        return Err(Error::forbidden("your token may not receive any event"));
    }
    let db = ctx.db()?.clone();
    let receiver = ctx
        .data::<EventBus>()
        .map_err(|e| Error::Internal(anyhow::anyhow!("no event bus: {}", e.message)))?
        .subscribe();
    let stream = futures::stream::unfold(
        (receiver, actor, db, wanted),
        |(mut receiver, actor, db, wanted)| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => {
                        if wanted.contains(&event.envelope.kind.as_str())
                            && access::may_receive(&db, &actor, &event).await
                        {
                            let item = LiveEvent::from(event.as_ref());
                            return Some((item, (receiver, actor, db, wanted)));
                        }
                    }
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, subscriber = %actor.sub, "a subscriber fell behind; events skipped");
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(stream.boxed())
}
