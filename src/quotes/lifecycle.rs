//! The quote's state machine:
//!
//! ```text
//! DRAFT → PENDING_APPROVAL → APPROVED → SENT → ACCEPTED
//! DRAFT → APPROVED                (submit, no discount past the thresholds)
//! PENDING_APPROVAL → REJECTED     (rejectQuote, with a reason)
//! SENT → REJECTED                 (declineQuote, reason optional)
//! DRAFT | PENDING_APPROVAL | APPROVED | SENT → EXPIRED   (validUntil passed)
//! any but ACCEPTED | SUPERSEDED → SUPERSEDED              (reviseQuote)
//! ```
//!
//! **Expiry.** A quote in one of the open states whose `validUntil` is before
//! today (UTC) is expired whatever its stored status says: the API shows it
//! as `EXPIRED` ([`effective_status`]), and the first write that touches it
//! stores `EXPIRED` and records the transition in a committed step of its
//! own (by the `system` actor) before refusing what was asked with
//! `INVALID_TRANSITION` from `EXPIRED`. Revising an expired quote is allowed:
//! that is how an expired offer is renewed.
//!
//! Each transition is checked, written only if the status is still the one
//! read, and recorded in the history, all in one transaction.

use chrono::NaiveDate;
use entity::{
    enums::{QuoteStatus, SubjectKind},
    quote,
};
use sea_orm::DatabaseTransaction;

use super::repo;
use crate::{
    Error, Result,
    auth::Actor,
    db,
    history::repo::{Transition, record},
};

/// The statuses a quote can expire from.
pub const LAPSING: [QuoteStatus; 4] = [
    QuoteStatus::Draft,
    QuoteStatus::PendingApproval,
    QuoteStatus::Approved,
    QuoteStatus::Sent,
];

/// The schema's spelling of a status, as the history stores it.
pub fn status_name(status: QuoteStatus) -> &'static str {
    match status {
        QuoteStatus::Draft => "DRAFT",
        QuoteStatus::PendingApproval => "PENDING_APPROVAL",
        QuoteStatus::Approved => "APPROVED",
        QuoteStatus::Sent => "SENT",
        QuoteStatus::Accepted => "ACCEPTED",
        QuoteStatus::Rejected => "REJECTED",
        QuoteStatus::Expired => "EXPIRED",
        QuoteStatus::Superseded => "SUPERSEDED",
    }
}

/// Today in UTC: the day `validUntil` is compared with.
pub fn today() -> NaiveDate {
    db::now().date_naive()
}

/// True when a quote stored as `status` has lapsed by `today`: it is open and
/// its last valid day is before today. A quote valid until today is still valid.
pub fn lapsed(status: QuoteStatus, valid_until: NaiveDate, today: NaiveDate) -> bool {
    LAPSING.contains(&status) && valid_until < today
}

/// The status the API shows: `EXPIRED` for a lapsed quote, else the stored one.
pub fn effective_status(
    status: QuoteStatus,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> QuoteStatus {
    if lapsed(status, valid_until, today) {
        QuoteStatus::Expired
    } else {
        status
    }
}

/// The `INVALID_TRANSITION` error for `from → to`.
pub fn refused(from: QuoteStatus, to: QuoteStatus) -> Error {
    Error::InvalidTransition {
        from: status_name(from).into(),
        to: status_name(to).into(),
    }
}

/// Checks that an action which starts only from `from` may move a quote in
/// `current` to `to`: approving and rejecting start from `PENDING_APPROVAL`,
/// declining from `SENT`, though the machine reaches `APPROVED` and
/// `REJECTED` from more than one state.
pub fn check_from(current: QuoteStatus, from: &[QuoteStatus], to: QuoteStatus) -> Result<()> {
    if !from.contains(&current) {
        return Err(refused(current, to));
    }
    check(current, to)
}

/// Checks that `to` may follow `current`, without writing anything.
pub fn check(current: QuoteStatus, to: QuoteStatus) -> Result<()> {
    use QuoteStatus::*;
    let allowed = match to {
        Superseded => !matches!(current, Accepted | Superseded),
        Expired => LAPSING.contains(&current),
        _ => matches!(
            (current, to),
            (Draft, PendingApproval | Approved)
                | (PendingApproval, Approved | Rejected)
                | (Approved, Sent)
                | (Sent, Accepted | Rejected)
        ),
    };
    if allowed {
        Ok(())
    } else {
        Err(refused(current, to))
    }
}

/// Who the history names for an expiry: nobody did it, the calendar did.
pub fn system_actor() -> Actor {
    Actor {
        sub: "system".into(),
        name: Some("ltc".into()),
        roles: Default::default(),
        scopes: None,
    }
}

/// Moves `before` to `after.status` inside `txn`: a guarded write and a history entry.
pub async fn commit_transition(
    txn: &DatabaseTransaction,
    actor: &Actor,
    before: &quote::Model,
    mut after: quote::Model,
    reason: Option<&str>,
) -> Result<quote::Model> {
    after.updated_at = db::now();
    if !repo::update_if_status(txn, after.clone(), before.status).await? {
        return Err(Error::Conflict(
            "the quote changed meanwhile; read it again".into(),
        ));
    }
    record(
        txn,
        actor,
        Transition {
            kind: SubjectKind::Quote,
            subject_id: after.id,
            from: Some(status_name(before.status)),
            to: status_name(after.status),
            reason,
        },
    )
    .await?;
    Ok(after)
}

/// Stores `EXPIRED` on a lapsed quote and records it, inside `txn`.
pub async fn expire(txn: &DatabaseTransaction, before: &quote::Model) -> Result<quote::Model> {
    let mut after = before.clone();
    after.status = QuoteStatus::Expired;
    let reason = format!("valid until {} passed", before.valid_until);
    commit_transition(txn, &system_actor(), before, after, Some(&reason)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use QuoteStatus::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn an_open_quote_expires_the_day_after_its_valid_until() {
        let today = day("2026-03-10");
        for status in LAPSING {
            assert_eq!(effective_status(status, day("2026-03-10"), today), status);
            assert_eq!(effective_status(status, day("2026-03-09"), today), Expired);
        }
    }

    #[test]
    fn settled_quotes_never_expire() {
        let today = day("2026-03-10");
        for status in [Accepted, Rejected, Superseded, Expired] {
            assert_eq!(effective_status(status, day("2020-01-01"), today), status);
        }
    }

    #[test]
    fn only_the_drawn_transitions_are_allowed() {
        let ok = [
            (Draft, PendingApproval),
            (Draft, Approved),
            (PendingApproval, Approved),
            (PendingApproval, Rejected),
            (Approved, Sent),
            (Sent, Accepted),
            (Sent, Rejected),
            (Sent, Expired),
            (Draft, Expired),
            (Rejected, Superseded),
            (Expired, Superseded),
            (Draft, Superseded),
        ];
        for (from, to) in ok {
            assert!(check(from, to).is_ok(), "{from:?} -> {to:?}");
        }
        let refused = [
            (Draft, Sent),
            (Approved, Accepted),
            (Expired, Accepted),
            (Expired, Sent),
            (Accepted, Superseded),
            (Superseded, Superseded),
            (Accepted, Expired),
            (Rejected, Approved),
            (Accepted, Rejected),
        ];
        for (from, to) in refused {
            assert!(
                matches!(check(from, to), Err(Error::InvalidTransition { .. })),
                "{from:?} -> {to:?}"
            );
        }
    }

    #[test]
    fn actions_start_only_from_their_own_state() {
        assert!(check_from(PendingApproval, &[PendingApproval], Approved).is_ok());
        assert!(check_from(Draft, &[PendingApproval], Approved).is_err());
        assert!(check_from(Sent, &[PendingApproval], Rejected).is_err());
        assert!(check_from(Sent, &[Sent], Rejected).is_ok());
    }

    #[test]
    fn a_refused_transition_names_both_states_as_the_schema_does() {
        let Err(Error::InvalidTransition { from, to }) = check(Expired, Accepted) else {
            panic!("expected a refusal");
        };
        assert_eq!((from.as_str(), to.as_str()), ("EXPIRED", "ACCEPTED"));
    }
}
