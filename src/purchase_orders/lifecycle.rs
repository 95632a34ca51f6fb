//! The PO's state machine: `RECEIVED → IN_FULFILLMENT → DELIVERED → ACCEPTED`,
//! and `RECEIVED | IN_FULFILLMENT → CANCELLED`. Delivery and acceptance raise
//! the matching receivables in the same transaction.

use chrono::{DateTime, Utc};
use entity::{
    contract,
    enums::{MilestoneTrigger, PurchaseOrderStatus, SubjectKind},
    purchase_order,
};
use sea_orm::{DatabaseConnection, DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use super::{repo, service};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db,
    history::repo::{Transition, record},
    input::{self, TEXT_MAX},
    receivables::rules,
};

pub fn status_name(status: PurchaseOrderStatus) -> &'static str {
    match status {
        PurchaseOrderStatus::Received => "RECEIVED",
        PurchaseOrderStatus::InFulfillment => "IN_FULFILLMENT",
        PurchaseOrderStatus::Delivered => "DELIVERED",
        PurchaseOrderStatus::Accepted => "ACCEPTED",
        PurchaseOrderStatus::Cancelled => "CANCELLED",
    }
}

fn check(current: PurchaseOrderStatus, to: PurchaseOrderStatus) -> Result<()> {
    use PurchaseOrderStatus::*;
    let allowed = matches!(
        (current, to),
        (Received, InFulfillment)
            | (InFulfillment, Delivered)
            | (Delivered, Accepted)
            | (Received | InFulfillment, Cancelled)
    );
    if allowed {
        Ok(())
    } else {
        Err(Error::InvalidTransition {
            from: status_name(current).into(),
            to: status_name(to).into(),
        })
    }
}

async fn contract_of(
    txn: &DatabaseTransaction,
    order: &purchase_order::Model,
) -> Result<contract::Model> {
    contract::Entity::find_by_id(order.contract_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("purchase order without its contract")))
}

async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    to: PurchaseOrderStatus,
    reason: Option<&str>,
    change: impl FnOnce(&mut purchase_order::Model) -> Result<()>,
) -> Result<(DatabaseTransaction, purchase_order::Model)> {
    let txn = db::begin_write(db).await?;
    let before = service::get_as(&txn, actor, Capability::WriteOrders, id).await?;
    check(before.status, to)?;
    let mut after = before.clone();
    after.status = to;
    change(&mut after)?;
    after.updated_at = db::now();
    if !repo::update_if_status(&txn, after.clone(), before.status).await? {
        return Err(Error::Conflict(
            "the purchase order changed meanwhile; read it again".into(),
        ));
    }
    record(
        &txn,
        actor,
        Transition {
            kind: SubjectKind::PurchaseOrder,
            subject_id: id,
            from: Some(status_name(before.status)),
            to: status_name(to),
            reason,
        },
    )
    .await?;
    Ok((txn, after))
}

fn checked_time(field: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if at > Utc::now() + chrono::Duration::minutes(5) {
        return Err(Error::validation(field, "must not be in the future"));
    }
    Ok(at)
}

pub async fn start_fulfillment(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<purchase_order::Model> {
    let (txn, order) = transition(
        db,
        actor,
        id,
        PurchaseOrderStatus::InFulfillment,
        None,
        |_| Ok(()),
    )
    .await?;
    txn.commit().await?;
    Ok(order)
}

/// `IN_FULFILLMENT → DELIVERED`; raises the `ON_DELIVERY` receivables.
pub async fn mark_delivered(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    delivered_at: DateTime<Utc>,
) -> Result<purchase_order::Model> {
    let at = checked_time("deliveredAt", delivered_at)?;
    let (txn, order) = transition(db, actor, id, PurchaseOrderStatus::Delivered, None, |o| {
        o.delivered_at = Some(at);
        Ok(())
    })
    .await?;
    let contract = contract_of(&txn, &order).await?;
    rules::on_order_reached(
        &txn,
        actor,
        &contract,
        &order,
        MilestoneTrigger::OnDelivery,
        at.date_naive(),
    )
    .await?;
    txn.commit().await?;
    Ok(order)
}

/// `DELIVERED → ACCEPTED`; raises the `ON_ACCEPTANCE` receivables.
pub async fn accept_delivery(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    accepted_at: DateTime<Utc>,
) -> Result<purchase_order::Model> {
    let at = checked_time("acceptedAt", accepted_at)?;
    let (txn, order) = transition(db, actor, id, PurchaseOrderStatus::Accepted, None, |o| {
        if o.delivered_at.is_some_and(|d| at < d) {
            return Err(Error::validation(
                "acceptedAt",
                "must not be before the delivery",
            ));
        }
        o.accepted_at = Some(at);
        Ok(())
    })
    .await?;
    let contract = contract_of(&txn, &order).await?;
    rules::on_order_reached(
        &txn,
        actor,
        &contract,
        &order,
        MilestoneTrigger::OnAcceptance,
        at.date_naive(),
    )
    .await?;
    txn.commit().await?;
    Ok(order)
}

/// Cancels a PO not yet delivered: its quantities go back to the contract and
/// its receivables not yet invoiced are cancelled (recorded, not deleted).
pub async fn cancel(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<purchase_order::Model> {
    let reason = input::required("reason", reason, TEXT_MAX)?;
    let kept = reason.clone();
    let (txn, order) = transition(
        db,
        actor,
        id,
        PurchaseOrderStatus::Cancelled,
        Some(&reason),
        |o| {
            o.cancelled_reason = Some(kept);
            Ok(())
        },
    )
    .await?;
    rules::cancel_uninvoiced(&txn, actor, order.contract_id, Some(order.id), &reason).await?;
    txn.commit().await?;
    Ok(order)
}
