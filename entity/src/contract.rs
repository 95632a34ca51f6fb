//! The `contracts` table: the agreement a won quote becomes, with its term and status.

use sea_orm::entity::prelude::*;

use crate::{
    DecimalText,
    enums::{ContractStatus, HandoverMethod},
};

/// The agreement made from an accepted quote.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Human-readable and unique: `C-2026-000042`.
    pub number: String,
    pub opportunity_id: Uuid,
    pub account_id: Uuid,
    /// The accepted quote it was made from; one contract per quote.
    pub quote_id: Uuid,
    pub status: ContractStatus,
    pub currency: String,
    pub subtotal: DecimalText,
    pub discount_total: DecimalText,
    pub tax: DecimalText,
    pub total: DecimalText,
    pub signed_at: Option<DateTimeUtc>,
    pub handover_method: Option<HandoverMethod>,
    pub handover_notes: Option<String>,
    pub handed_over_by: Option<String>,
    pub handed_over_at: Option<DateTimeUtc>,
    pub execution_started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub terminated_reason: Option<String>,
    /// The contract's term, for renewals.
    pub term_start: Option<Date>,
    pub term_end: Option<Date>,
    /// The renewal opportunity made for it, once.
    pub renewal_opportunity_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
