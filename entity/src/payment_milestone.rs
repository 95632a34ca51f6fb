//! The `payment_milestones` table: when a contract's amounts fall due.

use sea_orm::entity::prelude::*;

use crate::{DecimalText, enums::MilestoneTrigger};

/// One payment term of a contract; a contract's milestones sum to 100 %.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contract_id: Uuid,
    pub position: i32,
    pub trigger: MilestoneTrigger,
    /// Percent of the value the trigger applies to.
    pub percent: DecimalText,
    /// Days from the trigger until payment is due.
    pub due_days: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
