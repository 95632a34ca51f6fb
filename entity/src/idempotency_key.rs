//! The `idempotency_keys` table: stored replies to requests sent with an `Idempotency-Key`.

use sea_orm::entity::prelude::*;

/// Where a keyed request is: running, or finished with its response stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum IdempotencyState {
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "DONE")]
    Done,
}

/// A GraphQL mutation request sent with an `Idempotency-Key` header: the
/// first one runs, its response is kept, and a retry gets that response back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The token's `sub`: keys are per caller.
    pub caller: String,
    pub key: String,
    /// Hex SHA-256 of the canonical request (query, operation name, variables).
    pub request_hash: String,
    pub state: IdempotencyState,
    /// The HTTP status and body of the first response, once done.
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    /// After this the key is forgotten and may be used again.
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
