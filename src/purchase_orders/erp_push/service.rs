//! Queueing a PO's push, and a person's `retryErpSync`.

use entity::{
    enums::{ErpSyncStatus, JobStatus},
    purchase_order,
};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;
use uuid::Uuid;

use super::{
    job::{PUSH_ORDER, dedupe_key},
    repo,
};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    connectors::erp::ErpSettings,
    db, outbox, purchase_orders,
};

/// Queues the push of a new PO in the caller's transaction, so the job
/// exists if and only if the PO does.
pub async fn enqueue_push(db: &impl ConnectionTrait, purchase_order_id: Uuid) -> Result<()> {
    outbox::enqueue(
        db,
        PUSH_ORDER,
        json!({ "purchase_order_id": purchase_order_id }),
        Some(dedupe_key(purchase_order_id)),
    )
    .await?;
    Ok(())
}

fn sync_status_name(status: ErpSyncStatus) -> &'static str {
    match status {
        ErpSyncStatus::Pending => "PENDING",
        ErpSyncStatus::Synced => "SYNCED",
        ErpSyncStatus::Failed => "FAILED",
        ErpSyncStatus::Dead => "DEAD",
    }
}

/// Pushes a PO again, now, with fresh attempts: its one push job is
/// re-armed (dead, done, or still waiting to retry), or queued when there
/// is none (the PO was taken while no ERP was configured). The PO goes back
/// to `PENDING`; its attempt count and last error stay until the push ends.
/// Refused on a `SYNCED` PO (`INVALID_TRANSITION`), while a push is running
/// (`CONFLICT`), and with no ERP configured (`VALIDATION`).
pub async fn retry(
    db: &DatabaseConnection,
    actor: &Actor,
    settings: &ErpSettings,
    id: Uuid,
) -> Result<purchase_order::Model> {
    let txn = db::begin_write(db).await?;
    let order = purchase_orders::service::get_as(&txn, actor, Capability::WriteOrders, id).await?;
    if order.erp_sync_status == ErpSyncStatus::Synced {
        return Err(Error::InvalidTransition {
            from: "SYNCED".into(),
            to: "PENDING".into(),
        });
    }
    if !settings.enabled() {
        return Err(Error::validation(
            "poId",
            "no ERP is configured (LTC_ERP_KIND), so there is nothing to push to",
        ));
    }
    let running = || {
        Error::Conflict(
            "the purchase order is being pushed right now; read it again shortly".into(),
        )
    };
    match outbox::repo::latest_for(&txn, &dedupe_key(id)).await? {
        None => enqueue_push(&txn, id).await?,
        Some(job) if job.status == JobStatus::Running => return Err(running()),
        Some(job) => {
            if !repo::rearm_job(&txn, job.id).await? {
                return Err(running());
            }
        }
    }
    if order.erp_sync_status != ErpSyncStatus::Pending
        && !repo::set_pending(&txn, id, order.erp_sync_status).await?
    {
        return Err(Error::Conflict(
            "the purchase order's ERP sync changed meanwhile; read it again".into(),
        ));
    }
    txn.commit().await?;
    tracing::info!(
        purchase_order = %id,
        actor = %actor.sub,
        from = sync_status_name(order.erp_sync_status),
        "ERP push retried by hand"
    );
    purchase_orders::service::get(db, actor, id).await
}
