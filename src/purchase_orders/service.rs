//! Creating, reading and listing purchase orders.

use std::collections::{HashMap, HashSet};

use entity::{
    DecimalText,
    enums::{ContractStatus, ErpSyncStatus, PurchaseOrderStatus, SubjectKind},
    purchase_order, purchase_order_line,
};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::{
    drawdown,
    repo::{self, ListFilter},
};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db::visible,
    db::{self, Counter, Page, PageRequest, SortValue},
    history::repo::{Transition, record},
    input,
    money::Currency,
};

pub struct NewOrder {
    pub contract_id: Uuid,
    pub po_number: String,
    /// (contract line id, quantity)
    pub lines: Vec<(Uuid, Decimal)>,
}

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<purchase_order::Model> {
    get_as(db, actor, Capability::ReadOrders, id).await
}

/// [`visible::get_as`] for this aggregate; the connectors call it.
pub async fn get_as(
    db: &impl ConnectionTrait,
    actor: &Actor,
    capability: Capability,
    id: Uuid,
) -> Result<purchase_order::Model> {
    visible::get_as::<purchase_order::Entity>(db, actor, capability, id).await
}

fn check_quantity(field: &str, quantity: Decimal) -> Result<()> {
    if quantity <= Decimal::ZERO {
        return Err(Error::validation(field, "must be more than zero"));
    }
    if quantity.normalize().scale() > 4 {
        return Err(Error::validation(field, "has more than 4 decimal places"));
    }
    Ok(())
}

/// A new PO on a signed or executing contract, drawing down its lines. The
/// contract is locked for the transaction, so two POs racing for the last
/// units cannot both take them: the second gets `CONFLICT`. With
/// `erp_enabled`, the push to the ERP is queued in the same transaction;
/// without, none is and the ERP sync stays `PENDING`.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewOrder,
    erp_enabled: bool,
) -> Result<purchase_order::Model> {
    let visibility = actor.visibility(Capability::WriteOrders)?;
    let po_number = input::required("poNumber", &new.po_number, 64)?;
    if new.lines.is_empty() {
        return Err(Error::validation(
            "lines",
            "a purchase order needs at least one line",
        ));
    }
    let mut seen = HashSet::new();
    for (i, (line_id, quantity)) in new.lines.iter().enumerate() {
        check_quantity(&format!("lines[{i}].quantity"), *quantity)?;
        if !seen.insert(*line_id) {
            return Err(Error::validation(
                format!("lines[{i}].contractLineId"),
                "each contract line may appear once",
            ));
        }
    }

    let txn = db::begin_write(db).await?;
    let contract = repo::contract_for_update(&txn, &visibility, new.contract_id)
        .await?
        .ok_or_else(|| Error::validation("contractId", "no such contract"))?;
    if !matches!(
        contract.status,
        ContractStatus::Signed | ContractStatus::Executing
    ) {
        return Err(Error::validation(
            "contractId",
            "purchase orders are taken on signed or executing contracts only",
        ));
    }
    let currency = Currency::parse("currency", &contract.currency)?;
    let contract_lines: HashMap<Uuid, _> = repo::contract_lines(&txn, contract.id)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let live = repo::live_orders(&txn, contract.id).await?;
    let live_ids: Vec<Uuid> = live.iter().map(|o| o.id).collect();
    let mut drawn: HashMap<Uuid, (Decimal, Decimal)> = HashMap::new();
    for line in repo::lines_of(&txn, &live_ids).await? {
        let entry = drawn.entry(line.contract_line_id).or_default();
        entry.0 += line.quantity.0;
        entry.1 += line.net.0;
    }

    let order_id = db::new_id();
    let mut lines = Vec::with_capacity(new.lines.len());
    let mut order_net = Decimal::ZERO;
    for (i, (line_id, quantity)) in new.lines.iter().enumerate() {
        let Some(contract_line) = contract_lines.get(line_id) else {
            return Err(Error::validation(
                format!("lines[{i}].contractLineId"),
                "is not a line of this contract",
            ));
        };
        let (drawn_quantity, drawn_net) = drawn.get(line_id).copied().unwrap_or_default();
        if *quantity > contract_line.quantity.0 {
            return Err(Error::validation(
                format!("lines[{i}].quantity"),
                format!("the contract line holds {}", contract_line.quantity),
            ));
        }
        if drawn_quantity + quantity > contract_line.quantity.0 {
            return Err(Error::Conflict(format!(
                "line {} has {} left of {}",
                contract_line.position,
                (contract_line.quantity.0 - drawn_quantity).normalize(),
                contract_line.quantity
            )));
        }
        let share = drawdown::line_share(
            currency,
            contract_line.net.0,
            contract_line.quantity.0,
            *quantity,
            drawn_quantity,
            drawn_net,
        );
        order_net += share;
        lines.push(purchase_order_line::Model {
            id: db::new_id(),
            purchase_order_id: order_id,
            contract_line_id: *line_id,
            quantity: DecimalText(*quantity),
            net: DecimalText(share),
        });
    }
    let contract_net = contract.subtotal.0 - contract.discount_total.0;
    let nets_before: Decimal = drawn.values().map(|(_, net)| *net).sum();
    let values_before: Decimal = live.iter().map(|o| o.total.0).sum();
    let value = drawdown::order_value(
        currency,
        contract.total.0,
        contract_net,
        order_net,
        nets_before,
        values_before,
    );
    let now = db::now();
    let order = repo::insert(
        &txn,
        purchase_order::Model {
            id: order_id,
            contract_id: contract.id,
            account_id: contract.account_id,
            po_number,
            status: PurchaseOrderStatus::Received,
            currency: contract.currency.clone(),
            total: DecimalText(value),
            delivered_at: None,
            accepted_at: None,
            cancelled_reason: None,
            erp_sync_status: ErpSyncStatus::Pending,
            erp_order_ref: None,
            erp_attempts: 0,
            erp_last_error: None,
            created_at: now,
            updated_at: now,
        },
        lines,
    )
    .await?;
    record(
        &txn,
        actor,
        Transition {
            kind: SubjectKind::PurchaseOrder,
            subject_id: order.id,
            from: None,
            to: "RECEIVED",
            reason: None,
        },
    )
    .await?;
    if erp_enabled {
        super::erp_push::service::enqueue_push(&txn, order.id).await?;
    }
    crate::events::publish(&txn, crate::events::purchase_order_created(&order)).await?;
    txn.commit().await?;
    Ok(order)
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<purchase_order::Model>, Counter)> {
    let visibility = actor.visibility(Capability::ReadOrders)?;
    let page = page.ordered("CreatedAt", &direction, |k| matches!(k, SortValue::Time(_)))?;
    let select = repo::list_query(&visibility, &filter);
    let rows = db::fetch_page(
        db,
        select.clone(),
        purchase_order::Column::CreatedAt,
        purchase_order::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}
