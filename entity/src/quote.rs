//! The `quotes` table: priced offers on an opportunity, with their approval status.

use sea_orm::entity::prelude::*;

use crate::{DecimalText, enums::QuoteStatus};

/// One version of a priced offer for an opportunity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quotes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub opportunity_id: Uuid,
    /// 1, 2, ... per opportunity; a revision takes the next number.
    pub version: i32,
    pub status: QuoteStatus,
    pub currency: String,
    pub valid_until: Date,
    /// Tax rate as a fraction (0.19 for 19 %).
    pub tax_rate: DecimalText,
    /// Sum of quantity × unit price over the lines, before discounts.
    pub subtotal: DecimalText,
    pub discount_total: DecimalText,
    pub tax: DecimalText,
    pub total: DecimalText,
    pub author_id: String,
    pub approved_by: Option<String>,
    pub rejection_reason: Option<String>,
    /// The version this one revised.
    pub revises_id: Option<Uuid>,
    pub sent_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
