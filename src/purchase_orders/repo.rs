//! Purchase order rows, and the contract rows a PO draws on.

use entity::{
    contract, contract_line, enums::PurchaseOrderStatus, purchase_order, purchase_order_line,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::{
    Result,
    auth::Visibility,
    db::visible::{self, Visible},
    opportunities,
};

/// POs follow their contract: seen by whoever sees the deal.
pub fn visible(visibility: &Visibility) -> Condition {
    opportunities::repo::follows_deal_through_contract(
        purchase_order::Column::ContractId,
        visibility,
    )
}

/// The contract, locked against concurrent drawdowns until the transaction
/// ends (`FOR UPDATE` on PostgreSQL; SQLite's write transaction already
/// serializes writers).
pub async fn contract_for_update(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<contract::Model>> {
    Ok(contract::Entity::find_by_id(id)
        .filter(opportunities::repo::follows_deal(
            contract::Column::OpportunityId,
            visibility,
        ))
        .lock_exclusive()
        .one(db)
        .await?)
}

pub async fn contract_lines(
    db: &impl ConnectionTrait,
    contract_id: Uuid,
) -> Result<Vec<contract_line::Model>> {
    Ok(contract_line::Entity::find()
        .filter(contract_line::Column::ContractId.eq(contract_id))
        .order_by_asc(contract_line::Column::Position)
        .all(db)
        .await?)
}

/// The contract's POs that still count (not cancelled).
pub async fn live_orders(
    db: &impl ConnectionTrait,
    contract_id: Uuid,
) -> Result<Vec<purchase_order::Model>> {
    Ok(purchase_order::Entity::find()
        .filter(purchase_order::Column::ContractId.eq(contract_id))
        .filter(purchase_order::Column::Status.ne(PurchaseOrderStatus::Cancelled))
        .order_by_asc(purchase_order::Column::Id)
        .all(db)
        .await?)
}

pub async fn lines_of(
    db: &impl ConnectionTrait,
    order_ids: &[Uuid],
) -> Result<Vec<purchase_order_line::Model>> {
    Ok(purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(purchase_order_line::Column::Id)
        .all(db)
        .await?)
}

impl Visible for purchase_order::Entity {
    const NAME: &'static str = "purchase order";
    const ID: purchase_order::Column = purchase_order::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        visible(visibility)
    }
}

/// [`visible::find`] for this table; `events::access` calls it.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<purchase_order::Model>> {
    visible::find::<purchase_order::Entity>(db, visibility, id).await
}

pub async fn for_contracts(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    contract_ids: &[Uuid],
) -> Result<Vec<purchase_order::Model>> {
    Ok(purchase_order::Entity::find()
        .filter(purchase_order::Column::ContractId.is_in(contract_ids.iter().copied()))
        .filter(visible(visibility))
        .order_by_asc(purchase_order::Column::Id)
        .all(db)
        .await?)
}

pub struct ListFilter {
    pub contract_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub statuses: Vec<PurchaseOrderStatus>,
    pub erp_sync_statuses: Vec<entity::enums::ErpSyncStatus>,
}

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<purchase_order::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
    if let Some(contract) = filter.contract_id {
        cond = cond.add(purchase_order::Column::ContractId.eq(contract));
    }
    if let Some(account) = filter.account_id {
        cond = cond.add(purchase_order::Column::AccountId.eq(account));
    }
    if !filter.statuses.is_empty() {
        cond = cond.add(purchase_order::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if !filter.erp_sync_statuses.is_empty() {
        cond = cond.add(
            purchase_order::Column::ErpSyncStatus.is_in(filter.erp_sync_statuses.iter().copied()),
        );
    }
    purchase_order::Entity::find().filter(cond)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    order: purchase_order::Model,
    lines: Vec<purchase_order_line::Model>,
) -> Result<purchase_order::Model> {
    let order = order.into_active_model().reset_all().insert(db).await?;
    if !lines.is_empty() {
        purchase_order_line::Entity::insert_many(
            lines.into_iter().map(|l| l.into_active_model().reset_all()),
        )
        .exec(db)
        .await?;
    }
    Ok(order)
}

/// Writes the whole row if its status is still `expected`, except the ERP
/// sync columns: the ERP push job owns those and may have written them
/// since the row was read.
pub async fn update_if_status(
    db: &impl ConnectionTrait,
    row: purchase_order::Model,
    expected: PurchaseOrderStatus,
) -> Result<bool> {
    use sea_orm::ActiveValue::NotSet;
    let id = row.id;
    let mut active = row.into_active_model().reset_all();
    active.erp_sync_status = NotSet;
    active.erp_order_ref = NotSet;
    active.erp_attempts = NotSet;
    active.erp_last_error = NotSet;
    let result = purchase_order::Entity::update_many()
        .set(active)
        .filter(purchase_order::Column::Id.eq(id))
        .filter(purchase_order::Column::Status.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
