//! The `opportunities` table: deals on an account, with stage, amount and owner.

use sea_orm::entity::prelude::*;

use crate::enums::OpportunityStage;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub stage: OpportunityStage,
    /// The amount in the currency's minor units (cents), so it sorts and sums exactly.
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub expected_close_date: Date,
    /// Set only when someone overrides the stage's default probability.
    pub probability_override: Option<i32>,
    pub lead_id: Option<Uuid>,
    pub lost_reason: Option<String>,
    /// The stage a lost deal was in; reopening returns it there.
    pub lost_from_stage: Option<OpportunityStage>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
