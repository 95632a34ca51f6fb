//! The `payments` table: money received against a receivable.

use sea_orm::entity::prelude::*;

use crate::enums::PaymentSource;

/// Cash received against a receivable.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub receivable_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub received_at: DateTimeUtc,
    /// The remittance reference; unique per receivable (a repeat is the same payment).
    pub reference: String,
    pub source: PaymentSource,
    pub recorded_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
