//! The `jobs` table: the outbox of outbound work (ERP push, event delivery, ...).

use sea_orm::entity::prelude::*;

use crate::enums::JobStatus;

/// A durable unit of outbound work (push an order to the ERP, deliver an
/// event, ...), written in the same transaction as the change that causes it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What to do, e.g. `erp.push_order`.
    pub kind: String,
    pub payload: Json,
    /// At most one job per key: enqueueing the same work twice is a no-op.
    pub dedupe_key: Option<String>,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTimeUtc,
    /// A running job whose lease has passed is taken again: its worker died.
    pub locked_until: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
