//! The store of idempotency keys: one row per caller and key, holding the
//! request's hash and, once it ran, its response.

use chrono::{DateTime, Utc};
use entity::idempotency_key::{self, IdempotencyState};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, SqlErr, sea_query::Expr,
};
use uuid::Uuid;

use crate::db;

/// Deletes the caller's key if it has expired, so a new request may take it.
pub(super) async fn forget_expired(
    db: &DatabaseConnection,
    caller: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Caller.eq(caller))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes the caller's key for a request in progress: its row id, or `None`
/// when the key is already taken (the unique index on caller and key).
pub(super) async fn insert_in_progress(
    db: &DatabaseConnection,
    caller: &str,
    key: &str,
    request_hash: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    let row = idempotency_key::Model {
        id: db::new_id(),
        caller: caller.to_owned(),
        key: key.to_owned(),
        request_hash,
        state: IdempotencyState::InProgress,
        response_status: None,
        response_body: None,
        created_at: now,
        completed_at: None,
        expires_at,
    };
    let id = row.id;
    match row.into_active_model().reset_all().insert(db).await {
        Ok(_) => Ok(Some(id)),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

pub(super) async fn find(
    db: &DatabaseConnection,
    caller: &str,
    key: &str,
) -> Result<Option<idempotency_key::Model>, DbErr> {
    idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Caller.eq(caller))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await
}

/// Gives a key back: its request never ran, or failed midway.
pub(super) async fn release(db: &DatabaseConnection, id: Uuid) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Keeps a finished request's response (`None`: not replayable).
pub(super) async fn complete(
    db: &DatabaseConnection,
    id: Uuid,
    status: u16,
    body: Option<&str>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::State,
            Expr::value(IdempotencyState::Done),
        )
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            Expr::value(i32::from(status)),
        )
        .col_expr(
            idempotency_key::Column::ResponseBody,
            Expr::value(body.map(str::to_owned)),
        )
        .col_expr(idempotency_key::Column::CompletedAt, Expr::value(db::now()))
        .filter(idempotency_key::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every key expired by `now`.
pub(super) async fn delete_expired(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(())
}
