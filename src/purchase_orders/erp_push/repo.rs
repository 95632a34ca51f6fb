//! The rows the ERP push reads (a PO with its account, lines and products)
//! and the PO's sync columns it writes. Every write sets only the sync
//! columns, so it never undoes a concurrent change to the rest of the PO.

use entity::{
    account, contract_line,
    enums::{ErpSyncStatus, JobStatus},
    job, product, purchase_order, purchase_order_line,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{Result, db};

/// Longest last error kept on a PO.
const ERROR_MAX: usize = 2000;

/// A PO line with the contract line it draws on and that line's product.
pub struct PartLine {
    pub line: purchase_order_line::Model,
    pub contract_line: Option<contract_line::Model>,
    pub product: Option<product::Model>,
}

/// Everything a PO's sales order is made from.
pub struct OrderParts {
    pub order: purchase_order::Model,
    pub account: Option<account::Model>,
    /// In the contract's line order.
    pub lines: Vec<PartLine>,
}

pub async fn order_parts(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<OrderParts>> {
    let Some(order) = purchase_order::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let account = account::Entity::find_by_id(order.account_id)
        .one(db)
        .await?;
    let lines = purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(id))
        .all(db)
        .await?;
    let contract_lines = contract_line::Entity::find()
        .filter(contract_line::Column::Id.is_in(lines.iter().map(|l| l.contract_line_id)))
        .all(db)
        .await?;
    let products = product::Entity::find()
        .filter(product::Column::Id.is_in(contract_lines.iter().map(|l| l.product_id)))
        .all(db)
        .await?;
    let mut lines: Vec<PartLine> = lines
        .into_iter()
        .map(|line| {
            let contract_line = contract_lines
                .iter()
                .find(|c| c.id == line.contract_line_id)
                .cloned();
            let product = contract_line
                .as_ref()
                .and_then(|c| products.iter().find(|p| p.id == c.product_id).cloned());
            PartLine {
                line,
                contract_line,
                product,
            }
        })
        .collect();
    lines.sort_by_key(|l| l.contract_line.as_ref().map(|c| c.position));
    Ok(Some(OrderParts {
        order,
        account,
        lines,
    }))
}

fn clipped(message: &str) -> String {
    message.chars().take(ERROR_MAX).collect()
}

/// Counts one more push attempt.
pub async fn record_attempt(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    purchase_order::Entity::update_many()
        .col_expr(
            purchase_order::Column::ErpAttempts,
            Expr::col(purchase_order::Column::ErpAttempts).add(1),
        )
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(db::now()))
        .filter(purchase_order::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn mark_synced(db: &impl ConnectionTrait, id: Uuid, erp_ref: &str) -> Result<()> {
    purchase_order::Entity::update_many()
        .col_expr(
            purchase_order::Column::ErpSyncStatus,
            Expr::value(ErpSyncStatus::Synced),
        )
        .col_expr(purchase_order::Column::ErpOrderRef, Expr::value(erp_ref))
        .col_expr(
            purchase_order::Column::ErpLastError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(db::now()))
        .filter(purchase_order::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// `FAILED` (retrying) or `DEAD` (given up) with the error; a synced PO stays synced.
pub async fn mark_failure(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: ErpSyncStatus,
    message: &str,
) -> Result<()> {
    purchase_order::Entity::update_many()
        .col_expr(purchase_order::Column::ErpSyncStatus, Expr::value(status))
        .col_expr(
            purchase_order::Column::ErpLastError,
            Expr::value(clipped(message)),
        )
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(db::now()))
        .filter(purchase_order::Column::Id.eq(id))
        .filter(purchase_order::Column::ErpSyncStatus.ne(ErpSyncStatus::Synced))
        .exec(db)
        .await?;
    Ok(())
}

/// Back to `PENDING` for a new push, if the status is still `expected`.
pub async fn set_pending(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected: ErpSyncStatus,
) -> Result<bool> {
    let result = purchase_order::Entity::update_many()
        .col_expr(
            purchase_order::Column::ErpSyncStatus,
            Expr::value(ErpSyncStatus::Pending),
        )
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(db::now()))
        .filter(purchase_order::Column::Id.eq(id))
        .filter(purchase_order::Column::ErpSyncStatus.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A PO's push job due now with fresh attempts, whether it was waiting for
/// its next try, dead, or done; a running one is left alone (`false`).
/// `outbox::repo::requeue` does this for dead jobs only; a person retrying
/// a PO that is still backing off wants it tried now, too.
pub async fn rearm_job(db: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    crate::outbox::repo::rearm(db, id, job::Column::Status.ne(JobStatus::Running)).await
}
