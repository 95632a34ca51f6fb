//! The `purchase_order_lines` table: the products and quantities a purchase order draws.

use sea_orm::entity::prelude::*;

use crate::DecimalText;

/// Part of a contract line ordered on one purchase order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub purchase_order_id: Uuid,
    pub contract_line_id: Uuid,
    pub quantity: DecimalText,
    /// This quantity's share of the contract line's net value.
    pub net: DecimalText,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
