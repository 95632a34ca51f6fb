//! The `receivables` table: amounts a customer owes, with due date and status.

use sea_orm::entity::prelude::*;

use crate::enums::{MilestoneTrigger, ReceivableStatus};

/// Money a customer owes for one payment milestone (of the contract, or of
/// one purchase order). Amounts are in the currency's minor units, so sums
/// and aging buckets are exact in SQL.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "receivables")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contract_id: Uuid,
    pub account_id: Uuid,
    /// Set for ON_DELIVERY and ON_ACCEPTANCE milestones.
    pub purchase_order_id: Option<Uuid>,
    pub milestone_id: Uuid,
    pub trigger: MilestoneTrigger,
    pub status: ReceivableStatus,
    pub currency: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
    pub due_date: Date,
    pub billing_invoice_id: Option<String>,
    pub invoiced_at: Option<DateTimeUtc>,
    /// The invoice's status in the billing system when last synced
    /// (`draft`, `open`, `paid`, `uncollectible`, `void`, ...).
    pub billing_status: Option<String>,
    pub billing_synced_at: Option<DateTimeUtc>,
    /// Set when the billing system reports something finance must decide on
    /// (a voided or uncollectible invoice); never acted on automatically.
    pub billing_flag: Option<String>,
    /// Why it was written off or cancelled, and when.
    pub closed_reason: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    /// When it stopped owing: the last payment's receipt once paid in full,
    /// or `closed_at` when written off or cancelled. Aging as of a date
    /// reads only rows still open then (null, or later than that date).
    pub settled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
