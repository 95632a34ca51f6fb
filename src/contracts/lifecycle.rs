//! The contract's state machine:
//!
//! ```text
//! DRAFT → SIGNED → EXECUTING → COMPLETED
//! DRAFT | SIGNED | EXECUTING → TERMINATED (with a reason)
//! ```
//!
//! `SIGNED → EXECUTING` also needs the handover to have happened; completing
//! has its preconditions in [`completion_blockers`]. Each transition is
//! checked, written only if the status is still the one read, and recorded
//! in the history, all in one transaction.

use entity::{
    contract,
    enums::{ContractStatus, SubjectKind},
};
use sea_orm::DatabaseTransaction;

use super::repo;
use crate::{
    Error, Result,
    auth::Actor,
    db,
    history::repo::{Transition, record},
};

/// The schema's spelling of a status, as the history stores it.
pub fn status_name(status: ContractStatus) -> &'static str {
    match status {
        ContractStatus::Draft => "DRAFT",
        ContractStatus::Signed => "SIGNED",
        ContractStatus::Executing => "EXECUTING",
        ContractStatus::Completed => "COMPLETED",
        ContractStatus::Terminated => "TERMINATED",
    }
}

pub fn refused(from: ContractStatus, to: ContractStatus) -> Error {
    Error::InvalidTransition {
        from: status_name(from).into(),
        to: status_name(to).into(),
    }
}

/// Checks that `to` may follow `current`, without writing anything.
pub fn check(current: ContractStatus, to: ContractStatus) -> Result<()> {
    use ContractStatus::*;
    let allowed = matches!(
        (current, to),
        (Draft, Signed)
            | (Signed, Executing)
            | (Executing, Completed)
            | (Draft | Signed | Executing, Terminated)
    );
    if allowed {
        Ok(())
    } else {
        Err(refused(current, to))
    }
}

/// Execution starts only once sales has handed the contract over to the FR.
pub fn check_handed_over(contract: &contract::Model) -> Result<()> {
    if contract.handed_over_at.is_some() {
        Ok(())
    } else {
        Err(refused(contract.status, ContractStatus::Executing))
    }
}

/// What still stands in the way of completing an executing contract, as a
/// `VALIDATION` error; the one place completion's preconditions live: every
/// purchase order accepted (cancelled ones aside), and every receivable paid,
/// written off or cancelled.
pub async fn completion_blockers(
    txn: &DatabaseTransaction,
    contract: &contract::Model,
) -> Result<()> {
    let orders = crate::purchase_orders::repo::live_orders(txn, contract.id).await?;
    let waiting = orders
        .iter()
        .filter(|o| o.status != entity::enums::PurchaseOrderStatus::Accepted)
        .count();
    if waiting > 0 {
        return Err(Error::validation(
            "id",
            format!("{waiting} purchase order(s) not yet accepted"),
        ));
    }
    let open = crate::receivables::repo::open_for_contract(txn, contract.id).await?;
    if open > 0 {
        return Err(Error::validation(
            "id",
            format!("{open} receivable(s) still open: paid or written off first"),
        ));
    }
    Ok(())
}

/// Moves `before` to `after.status` inside `txn`: a guarded write and a history entry.
pub async fn commit_transition(
    txn: &DatabaseTransaction,
    actor: &Actor,
    before: &contract::Model,
    mut after: contract::Model,
    reason: Option<&str>,
) -> Result<contract::Model> {
    after.updated_at = db::now();
    if !repo::update_if_status(txn, after.clone(), before.status).await? {
        return Err(Error::Conflict(
            "the contract changed meanwhile; read it again".into(),
        ));
    }
    record(
        txn,
        actor,
        Transition {
            kind: SubjectKind::Contract,
            subject_id: after.id,
            from: Some(status_name(before.status)),
            to: status_name(after.status),
            reason,
        },
    )
    .await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractStatus::*;

    #[test]
    fn only_the_drawn_transitions_are_allowed() {
        for (from, to) in [
            (Draft, Signed),
            (Signed, Executing),
            (Executing, Completed),
            (Draft, Terminated),
            (Signed, Terminated),
            (Executing, Terminated),
        ] {
            assert!(check(from, to).is_ok(), "{from:?} -> {to:?}");
        }
        for (from, to) in [
            (Signed, Signed),
            (Draft, Executing),
            (Signed, Completed),
            (Completed, Terminated),
            (Terminated, Signed),
            (Completed, Executing),
        ] {
            assert!(
                matches!(check(from, to), Err(Error::InvalidTransition { .. })),
                "{from:?} -> {to:?}"
            );
        }
    }
}
