use sea_orm::entity::prelude::*;

use crate::{DecimalText, enums::OpportunityStage};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub stage: OpportunityStage,
    pub amount: Option<DecimalText>,
    pub currency: Option<String>,
    pub expected_close_date: Option<Date>,
    /// Set only when someone overrides the stage's default probability.
    pub probability_override: Option<i32>,
    pub lead_id: Option<Uuid>,
    pub lost_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
