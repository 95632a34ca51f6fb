//! The `products` table: the catalogue of what can be quoted.

use sea_orm::entity::prelude::*;

/// A sellable item of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stock-keeping unit, unique.
    pub sku: String,
    pub name: String,
    /// What one of quantity 1 is: `each`, `month`, `hour`, `seat`, ...
    pub unit: String,
    pub active: bool,
    /// The product's item code in the ERP.
    pub erp_item_code: Option<String>,
    /// Lower-cased SKU and name, for the text filter.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
