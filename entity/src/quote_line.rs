//! The `quote_lines` table: the products, quantities and discounts of a quote.

use sea_orm::entity::prelude::*;

use crate::DecimalText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quote_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub quote_id: Uuid,
    /// Order of the line on the quote, from 1.
    pub position: i32,
    pub product_id: Uuid,
    pub quantity: DecimalText,
    /// The product's list price in the quote's currency when the line was priced.
    pub list_price: DecimalText,
    /// The price used: the list price unless overridden.
    pub unit_price: DecimalText,
    pub price_overridden: bool,
    /// Percent, 0 to 100.
    pub discount_percent: DecimalText,
    /// quantity × unit price, rounded to the currency's minor unit.
    pub gross: DecimalText,
    /// gross × (1 − discount), rounded to the currency's minor unit.
    pub net: DecimalText,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
