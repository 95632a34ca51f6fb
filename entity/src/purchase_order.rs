//! The `purchase_orders` table: customer orders drawn down against a contract.

use sea_orm::entity::prelude::*;

use crate::{
    DecimalText,
    enums::{ErpSyncStatus, PurchaseOrderStatus},
};

/// The customer's purchase order: the unit of delivery, drawn from a contract.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contract_id: Uuid,
    pub account_id: Uuid,
    /// The customer's own PO number; unique per account.
    pub po_number: String,
    pub status: PurchaseOrderStatus,
    pub currency: String,
    /// Sum of the lines' net values, in the currency's minor unit.
    pub total: DecimalText,
    pub delivered_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub cancelled_reason: Option<String>,
    pub erp_sync_status: ErpSyncStatus,
    pub erp_order_ref: Option<String>,
    pub erp_attempts: i32,
    pub erp_last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
