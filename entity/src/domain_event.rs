//! The `domain_events` table: published events, kept for subscribers and webhooks.

use sea_orm::entity::prelude::*;

/// A domain event, written in the transaction of the change that raised it,
/// so it exists if and only if that change committed. Each instance's event
/// relay reads it from here (after a PostgreSQL `NOTIFY`, or by polling on
/// SQLite) to feed live GraphQL subscriptions; old rows are deleted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_events")]
pub struct Model {
    /// Commit order on SQLite (one writer at a time); only a key on PostgreSQL.
    #[sea_orm(primary_key)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub id: Uuid,
    /// e.g. `lead.qualified`.
    pub event_type: String,
    pub subject_id: Uuid,
    pub account_id: Option<Uuid>,
    pub data: Json,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
