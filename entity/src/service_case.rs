//! The `service_cases` table: support cases raised on an account.

use sea_orm::entity::prelude::*;

use crate::enums::ServiceCaseKind;

/// Something customer service logged for an account after the sale.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub subject: String,
    pub kind: ServiceCaseKind,
    pub description: Option<String>,
    /// The lead an upsell signal became.
    pub lead_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
