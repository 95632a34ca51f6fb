//! The lead's state machine:
//! `NEW → WORKING → QUALIFIED → CONVERTED`, and `NEW | WORKING → DISQUALIFIED(reason)`.
//! Each transition is checked, written only if the status is still the one
//! read, and recorded in the history, all in one transaction.

use entity::{
    enums::{LeadStatus, SubjectKind},
    lead,
};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::{repo, service};
use crate::{
    Error, Result,
    auth::{Actor, Capability, Visibility},
    db,
    history::repo::{Transition, record},
    input::{self, REF_MAX, TEXT_MAX},
};

/// The schema's spelling of a status, as the history stores it.
pub fn status_name(status: LeadStatus) -> &'static str {
    match status {
        LeadStatus::New => "NEW",
        LeadStatus::Working => "WORKING",
        LeadStatus::Qualified => "QUALIFIED",
        LeadStatus::Disqualified => "DISQUALIFIED",
        LeadStatus::Converted => "CONVERTED",
    }
}

/// Checks that `to` may follow the lead's status, without writing anything.
pub fn check(current: LeadStatus, to: LeadStatus) -> Result<()> {
    use LeadStatus::*;
    let allowed = matches!(
        (current, to),
        (New, Working)
            | (Working, Qualified)
            | (New | Working, Disqualified)
            | (Qualified, Converted)
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

/// Moves `before` to `after.status` inside `txn`: a guarded write and a history entry.
pub async fn commit_transition(
    txn: &DatabaseTransaction,
    actor: &Actor,
    before: &lead::Model,
    mut after: lead::Model,
    reason: Option<&str>,
) -> Result<lead::Model> {
    after.updated_at = db::now();
    if !repo::update_if_status(txn, after.clone(), before.status).await? {
        return Err(Error::Conflict(
            "the lead changed meanwhile; read it again".into(),
        ));
    }
    record(
        txn,
        actor,
        Transition {
            kind: SubjectKind::Lead,
            subject_id: after.id,
            from: Some(status_name(before.status)),
            to: status_name(after.status),
            reason,
        },
    )
    .await?;
    crate::events::publish(txn, crate::events::lead_transitioned(before, &after)).await?;
    Ok(after)
}

async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    to: LeadStatus,
    reason: Option<&str>,
    change: impl FnOnce(&mut lead::Model),
) -> Result<lead::Model> {
    let txn = db::begin_write(db).await?;
    let before =
        crate::db::visible::get_as::<lead::Entity>(&txn, actor, Capability::WriteLeads, id).await?;
    check(before.status, to)?;
    let mut after = before.clone();
    after.status = to;
    change(&mut after);
    let after = commit_transition(&txn, actor, &before, after, reason).await?;
    txn.commit().await?;
    Ok(after)
}

/// `NEW → WORKING`. A sales user who starts on an unassigned lead takes it.
pub async fn start_working(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<lead::Model> {
    // Whoever works only their own leads takes an unassigned one they start.
    let takes_it = actor.visibility(Capability::WriteLeads)? != Visibility::All;
    transition(db, actor, id, LeadStatus::Working, None, |lead| {
        if takes_it && lead.owner_id.is_none() {
            lead.owner_id = Some(actor.sub.clone());
        }
    })
    .await
}

/// `WORKING → QUALIFIED`.
pub async fn qualify(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<lead::Model> {
    transition(db, actor, id, LeadStatus::Qualified, None, |_| {}).await
}

/// `NEW | WORKING → DISQUALIFIED`, with the reason kept on the lead and in its history.
pub async fn disqualify(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<lead::Model> {
    let reason = input::required("reason", reason, TEXT_MAX)?;
    let kept = reason.clone();
    transition(
        db,
        actor,
        id,
        LeadStatus::Disqualified,
        Some(&reason),
        move |lead| {
            lead.disqualify_reason = Some(kept);
        },
    )
    .await
}

/// Gives an open lead to a user. Managers assign to anyone; a sales user may
/// only take an unassigned lead for themselves.
pub async fn assign(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    user_id: &str,
) -> Result<lead::Model> {
    actor.require(Capability::WriteLeads)?;
    let user_id = input::required("userId", user_id, REF_MAX)?;
    let txn = db::begin_write(db).await?;
    let before =
        crate::db::visible::get_as::<lead::Entity>(&txn, actor, Capability::WriteLeads, id).await?;
    if !repo::OPEN.contains(&before.status) {
        return Err(Error::validation(
            "id",
            format!("a {} lead cannot be reassigned", status_name(before.status)),
        ));
    }
    let takes_unassigned = before.owner_id.is_none() && user_id == actor.sub;
    if !(actor.can(Capability::SuperviseSales) || takes_unassigned) {
        return Err(Error::forbidden(
            "only a sales manager or admin assigns leads; you may take an unassigned lead yourself",
        ));
    }
    let mut after = before.clone();
    after.owner_id = Some(user_id);
    let saved = service::save(&txn, &before, after).await?;
    txn.commit().await?;
    Ok(saved)
}
