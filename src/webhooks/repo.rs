//! Webhook receipts: the only code that queries `webhook_receipts`.

use entity::webhook_receipt::{self, WebhookEndpoint};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use crate::{Result, db};

pub async fn find(
    db: &impl ConnectionTrait,
    endpoint: WebhookEndpoint,
    message_id: &str,
) -> Result<Option<webhook_receipt::Model>> {
    Ok(webhook_receipt::Entity::find()
        .filter(webhook_receipt::Column::Endpoint.eq(endpoint))
        .filter(webhook_receipt::Column::MessageId.eq(message_id))
        .one(db)
        .await?)
}

/// Records a message as received. A second receipt for the same endpoint and
/// message id is a `CONFLICT` (on PostgreSQL it waits for the first
/// transaction to end, so concurrent deliveries of one message serialise).
pub async fn insert(
    db: &impl ConnectionTrait,
    endpoint: WebhookEndpoint,
    message_id: &str,
    body_sha256: &str,
    response: serde_json::Value,
) -> Result<webhook_receipt::Model> {
    let row = webhook_receipt::Model {
        id: db::new_id(),
        endpoint,
        message_id: message_id.to_owned(),
        body_sha256: body_sha256.to_owned(),
        response,
        received_at: db::now(),
    };
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

/// Stores the answer a replay of the message will get.
pub async fn set_response(
    db: &impl ConnectionTrait,
    id: Uuid,
    response: serde_json::Value,
) -> Result<()> {
    webhook_receipt::ActiveModel {
        id: Set(id),
        response: Set(response),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Deletes receipts older than `before`. A message older than the signature
/// tolerance (5 minutes) is refused as stale anyway, so an old receipt can
/// no longer catch a replay.
pub async fn prune(
    db: &impl sea_orm::ConnectionTrait,
    before: chrono::DateTime<chrono::Utc>,
) -> crate::Result<u64> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let result = entity::webhook_receipt::Entity::delete_many()
        .filter(entity::webhook_receipt::Column::ReceivedAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
