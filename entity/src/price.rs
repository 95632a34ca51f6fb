//! The `prices` table: a product's price in one currency.

use sea_orm::entity::prelude::*;

use crate::DecimalText;

/// A product's list price in one currency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    /// ISO 4217 code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    pub list_price: DecimalText,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
