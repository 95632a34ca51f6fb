//! The `accounts` table: companies we sell to, with their owner and ERP/billing references.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Lower-cased host without `www.`; unique when present.
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub owner_id: String,
    pub erp_customer_ref: Option<String>,
    pub billing_customer_ref: Option<String>,
    /// Lower-cased name and domain, for the text filter.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
