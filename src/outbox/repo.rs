//! Job rows: enqueueing, claiming with a lease, finishing.

use chrono::{DateTime, Utc};
use entity::{enums::JobStatus, job};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Select,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query},
};
use uuid::Uuid;

use crate::{Result, db};

/// Default attempts before a job is dead.
pub const MAX_ATTEMPTS: i32 = 8;

/// Adds a job in the caller's transaction. With a `dedupe_key`, a second
/// enqueue of the same work returns the existing job instead.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    payload: serde_json::Value,
    dedupe_key: Option<String>,
) -> Result<job::Model> {
    enqueue_at(db, kind, payload, dedupe_key, db::now()).await
}

/// [`enqueue`] to run no earlier than `run_at` (recurring work schedules
/// its next round this way).
pub async fn enqueue_at(
    db: &impl ConnectionTrait,
    kind: &str,
    payload: serde_json::Value,
    dedupe_key: Option<String>,
    run_at: DateTime<Utc>,
) -> Result<job::Model> {
    if let Some(key) = &dedupe_key
        && let Some(existing) = job::Entity::find()
            .filter(job::Column::DedupeKey.eq(key.as_str()))
            .one(db)
            .await?
    {
        return Ok(existing);
    }
    let now = db::now();
    let row = job::Model {
        id: db::new_id(),
        kind: kind.to_owned(),
        payload,
        dedupe_key,
        status: JobStatus::Queued,
        attempts: 0,
        max_attempts: MAX_ATTEMPTS,
        run_at,
        locked_until: None,
        locked_by: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

/// Claims up to `limit` due jobs for `worker` until `lease_until`: queued ones
/// whose time has come, and running ones whose lease ran out (their worker
/// died). On PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so
/// concurrent workers never claim the same job; SQLite has one writer at a time.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    limit: u64,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<job::Model>> {
    let due = Query::select()
        .column(job::Column::Id)
        .from(job::Entity)
        .cond_where(
            Condition::any()
                .add(
                    Condition::all()
                        .add(job::Column::Status.eq(JobStatus::Queued))
                        .add(job::Column::RunAt.lte(now)),
                )
                .add(
                    Condition::all()
                        .add(job::Column::Status.eq(JobStatus::Running))
                        .add(job::Column::LockedUntil.lt(now)),
                ),
        )
        .order_by(job::Column::RunAt, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    Ok(job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Running))
        .col_expr(job::Column::LockedUntil, Expr::value(lease_until))
        .col_expr(job::Column::LockedBy, Expr::value(worker))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?)
}

/// Writes a job's outcome, if `worker` still holds it (a job whose lease ran
/// out may have been claimed by another worker meanwhile).
pub async fn finish(db: &impl ConnectionTrait, worker: &str, row: job::Model) -> Result<bool> {
    let id = row.id;
    let result = job::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.eq(JobStatus::Running))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<job::Model>> {
    Ok(job::Entity::find_by_id(id).one(db).await?)
}

/// Puts job `id` back in the queue, due now with fresh attempts, when its
/// status passes `from`; whether it did.
pub async fn rearm(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: sea_orm::sea_query::SimpleExpr,
) -> Result<bool> {
    let now = db::now();
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Queued))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(from)
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A dead job back in the queue, its attempts reset.
pub async fn requeue(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<job::Model>> {
    if !rearm(db, id, job::Column::Status.eq(JobStatus::Dead)).await? {
        return Ok(None);
    }
    find(db, id).await
}

pub struct ListFilter {
    pub statuses: Vec<JobStatus>,
    pub kind: Option<String>,
}

pub fn list_query(filter: &ListFilter) -> Select<job::Entity> {
    let mut query = job::Entity::find();
    if !filter.statuses.is_empty() {
        query = query.filter(job::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(job::Column::Kind.eq(kind.as_str()));
    }
    query
}

/// The jobs of a kind whose payload names `subject` (e.g. a PO id), newest first.
pub async fn latest_for(db: &impl ConnectionTrait, dedupe_key: &str) -> Result<Option<job::Model>> {
    Ok(job::Entity::find()
        .filter(job::Column::DedupeKey.eq(dedupe_key))
        .order_by_desc(job::Column::CreatedAt)
        .one(db)
        .await?)
}

/// Deletes finished jobs older than `before`; dead ones stay for a person.
pub async fn prune_done(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    let result = job::Entity::delete_many()
        .filter(job::Column::Status.eq(JobStatus::Done))
        .filter(job::Column::FinishedAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
