//! The `contract_lines` table: the products and amounts a contract commits to.

use sea_orm::entity::prelude::*;

use crate::DecimalText;

/// A line copied from the accepted quote.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contract_id: Uuid,
    pub position: i32,
    pub product_id: Uuid,
    pub quantity: DecimalText,
    pub unit_price: DecimalText,
    pub discount_percent: DecimalText,
    pub gross: DecimalText,
    pub net: DecimalText,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
