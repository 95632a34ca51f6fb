//! Rows of the event log and of webhook subscriptions.

use chrono::{DateTime, Utc};
use entity::{
    domain_event,
    webhook_subscription::{self, SubscriptionStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Select, Statement, sea_query::Expr,
};
use uuid::Uuid;

use super::Envelope;
use crate::{Result, db};

pub async fn insert_event(
    db: &impl ConnectionTrait,
    envelope: &Envelope,
    subject_id: Uuid,
    account_id: Option<Uuid>,
) -> Result<()> {
    let row = domain_event::ActiveModel {
        seq: sea_orm::ActiveValue::NotSet,
        id: sea_orm::ActiveValue::Set(envelope.id),
        event_type: sea_orm::ActiveValue::Set(envelope.kind.clone()),
        subject_id: sea_orm::ActiveValue::Set(subject_id),
        account_id: sea_orm::ActiveValue::Set(account_id),
        data: sea_orm::ActiveValue::Set(envelope.data.clone()),
        occurred_at: sea_orm::ActiveValue::Set(envelope.timestamp),
    };
    domain_event::Entity::insert(row).exec(db).await?;
    Ok(())
}

/// `NOTIFY channel, 'payload'` on PostgreSQL: sent when the surrounding
/// transaction commits, never if it rolls back.
pub async fn notify(db: &impl ConnectionTrait, channel: &str, payload: &str) -> Result<()> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [channel.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// The newest event's position, or 0 for an empty log.
pub async fn last_seq(db: &impl ConnectionTrait) -> Result<i64> {
    Ok(domain_event::Entity::find()
        .order_by_desc(domain_event::Column::Seq)
        .one(db)
        .await?
        .map(|row| row.seq)
        .unwrap_or(0))
}

/// Events after position `seq`, oldest first.
pub async fn events_after(
    db: &impl ConnectionTrait,
    seq: i64,
    limit: u64,
) -> Result<Vec<domain_event::Model>> {
    Ok(domain_event::Entity::find()
        .filter(domain_event::Column::Seq.gt(seq))
        .order_by_asc(domain_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// Events that happened at or after `since`, oldest first.
pub async fn events_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<domain_event::Model>> {
    Ok(domain_event::Entity::find()
        .filter(domain_event::Column::OccurredAt.gte(since))
        .order_by_asc(domain_event::Column::OccurredAt)
        .order_by_asc(domain_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn event(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<domain_event::Model>> {
    Ok(domain_event::Entity::find()
        .filter(domain_event::Column::Id.eq(id))
        .one(db)
        .await?)
}

/// Deletes events that happened before `before`; returns how many.
pub async fn prune_events(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    Ok(domain_event::Entity::delete_many()
        .filter(domain_event::Column::OccurredAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn active_subscriptions(
    db: &impl ConnectionTrait,
) -> Result<Vec<webhook_subscription::Model>> {
    Ok(webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::Status.eq(SubscriptionStatus::Active))
        .order_by_asc(webhook_subscription::Column::Id)
        .all(db)
        .await?)
}

pub async fn insert_subscription(
    db: &impl ConnectionTrait,
    row: webhook_subscription::Model,
) -> Result<webhook_subscription::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

pub async fn find_subscription(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<webhook_subscription::Model>> {
    Ok(webhook_subscription::Entity::find_by_id(id).one(db).await?)
}

pub fn subscriptions_query(
    status: Option<SubscriptionStatus>,
) -> Select<webhook_subscription::Entity> {
    let mut query = webhook_subscription::Entity::find();
    if let Some(status) = status {
        query = query.filter(webhook_subscription::Column::Status.eq(status));
    }
    query
}

/// Sets a subscription's status (and why, when disabling); false if it is gone.
pub async fn set_subscription_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: SubscriptionStatus,
    reason: Option<&str>,
) -> Result<bool> {
    let now = db::now();
    let disabled_at = (status == SubscriptionStatus::Disabled).then_some(now);
    let result = webhook_subscription::Entity::update_many()
        .col_expr(webhook_subscription::Column::Status, Expr::value(status))
        .col_expr(
            webhook_subscription::Column::DisabledReason,
            Expr::value(reason.map(str::to_owned)),
        )
        .col_expr(
            webhook_subscription::Column::DisabledAt,
            Expr::value(disabled_at),
        )
        .col_expr(webhook_subscription::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_subscription::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Disables a subscription its receiver asked to stop (410 Gone), unless an
/// admin disabled it already.
pub async fn disable_if_active(db: &impl ConnectionTrait, id: Uuid, reason: &str) -> Result<bool> {
    let now = db::now();
    let result = webhook_subscription::Entity::update_many()
        .col_expr(
            webhook_subscription::Column::Status,
            Expr::value(SubscriptionStatus::Disabled),
        )
        .col_expr(
            webhook_subscription::Column::DisabledReason,
            Expr::value(reason),
        )
        .col_expr(webhook_subscription::Column::DisabledAt, Expr::value(now))
        .col_expr(webhook_subscription::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::Status.eq(SubscriptionStatus::Active))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Makes `secret` the subscription's secret in one statement, the current
/// one becoming the previous until `keep_until` (dropped without it); false
/// if the subscription is gone.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    id: Uuid,
    secret: &str,
    keep_until: Option<DateTime<Utc>>,
) -> Result<bool> {
    // The right-hand sides read the row as it was: `previous_secret` gets
    // the secret being replaced.
    let previous = match keep_until {
        Some(_) => Expr::col(webhook_subscription::Column::Secret),
        None => Expr::value(Option::<String>::None),
    };
    let result = webhook_subscription::Entity::update_many()
        .col_expr(webhook_subscription::Column::PreviousSecret, previous)
        .col_expr(
            webhook_subscription::Column::PreviousSecretExpiresAt,
            Expr::value(keep_until),
        )
        .col_expr(webhook_subscription::Column::Secret, Expr::value(secret))
        .col_expr(
            webhook_subscription::Column::UpdatedAt,
            Expr::value(db::now()),
        )
        .filter(webhook_subscription::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete_subscription(db: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    Ok(webhook_subscription::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
