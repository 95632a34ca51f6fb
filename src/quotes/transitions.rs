//! The quote's transitions as the API offers them: submit, approve, reject,
//! send, accept, decline and revise. Each runs in one transaction opened by
//! `service::open_for_write`, which first stores a lapsed quote's expiry.

use chrono::NaiveDate;
use entity::{
    enums::{OpportunityStage, QuoteStatus},
    quote, quote_line,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    QuotePolicy,
    lifecycle::{self, check, check_from, commit_transition},
    lines::check_valid_until,
    pricing, repo,
    service::{
        check_deal_open, deal_of, follow_primary, open_for_write, record_creation, set_amount,
    },
};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db,
    input::{self, TEXT_MAX},
};

/// Moves a quote from one of `from` to `to` when the machine allows it and
/// `guard` agrees, applying `change`, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    capability: Capability,
    id: Uuid,
    from: &[QuoteStatus],
    to: QuoteStatus,
    reason: Option<&str>,
    guard: impl FnOnce(&quote::Model) -> Result<()>,
    change: impl FnOnce(&mut quote::Model),
) -> Result<quote::Model> {
    let (txn, before) = open_for_write(db, actor, capability, id).await?;
    check_from(before.status, from, to)?;
    guard(&before)?;
    let mut after = before.clone();
    after.status = to;
    change(&mut after);
    let after = commit_transition(&txn, actor, &before, after, reason).await?;
    txn.commit().await?;
    Ok(after)
}

/// Why a quote needs approval under `policy`, or `None` when it does not:
/// a line discount or the overall discount strictly above its threshold.
fn approval_reason(
    quote: &quote::Model,
    lines: &[quote_line::Model],
    policy: &QuotePolicy,
) -> Option<String> {
    if let Some(line) = lines
        .iter()
        .find(|l| l.discount_percent.0 > policy.line_discount_threshold)
    {
        return Some(format!(
            "line {} discount {} % is above the {} % threshold",
            line.position, line.discount_percent, policy.line_discount_threshold
        ));
    }
    if pricing::exceeds(
        quote.subtotal.0,
        quote.discount_total.0,
        policy.total_discount_threshold,
    ) {
        return Some(format!(
            "overall discount {} % is above the {} % threshold",
            pricing::discount_percent(quote.subtotal.0, quote.discount_total.0),
            policy.total_discount_threshold
        ));
    }
    None
}

/// `DRAFT → PENDING_APPROVAL` when a discount passes a threshold, else `DRAFT → APPROVED`.
pub async fn submit(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    policy: &QuotePolicy,
) -> Result<quote::Model> {
    let (txn, before) = open_for_write(db, actor, Capability::WriteAccounts, id).await?;
    let lines = repo::lines_of(&txn, &[id]).await?;
    let reason = approval_reason(&before, &lines, policy);
    let to = if reason.is_some() {
        QuoteStatus::PendingApproval
    } else {
        QuoteStatus::Approved
    };
    check_from(before.status, &[QuoteStatus::Draft], to)?;
    let mut after = before.clone();
    after.status = to;
    let after = commit_transition(&txn, actor, &before, after, reason.as_deref()).await?;
    txn.commit().await?;
    Ok(after)
}

fn not_the_author(actor: &Actor, quote: &quote::Model) -> Result<()> {
    if quote.author_id == actor.sub {
        return Err(Error::forbidden(
            "the author of a quote cannot approve or reject it",
        ));
    }
    Ok(())
}

/// `PENDING_APPROVAL → APPROVED`, by a manager who is not the author.
pub async fn approve(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<quote::Model> {
    let approver = actor.sub.clone();
    transition(
        db,
        actor,
        Capability::ApproveQuotes,
        id,
        &[QuoteStatus::PendingApproval],
        QuoteStatus::Approved,
        None,
        |q| not_the_author(actor, q),
        |q| q.approved_by = Some(approver),
    )
    .await
}

/// `PENDING_APPROVAL → REJECTED`, by a manager who is not the author, with a reason.
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<quote::Model> {
    actor.require(Capability::ApproveQuotes)?;
    let reason = input::required("reason", reason, TEXT_MAX)?;
    let kept = reason.clone();
    transition(
        db,
        actor,
        Capability::ApproveQuotes,
        id,
        &[QuoteStatus::PendingApproval],
        QuoteStatus::Rejected,
        Some(&reason),
        |q| not_the_author(actor, q),
        |q| q.rejection_reason = Some(kept),
    )
    .await
}

/// `APPROVED → SENT`.
pub async fn send(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<quote::Model> {
    transition(
        db,
        actor,
        Capability::WriteAccounts,
        id,
        &[QuoteStatus::Approved],
        QuoteStatus::Sent,
        None,
        |_| Ok(()),
        |q| q.sent_at = Some(db::now()),
    )
    .await
}

/// `SENT → REJECTED`: the customer declined, with an optional reason.
pub async fn decline(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    reason: Option<&str>,
) -> Result<quote::Model> {
    let reason = input::optional("reason", reason, TEXT_MAX)?;
    let kept = reason.clone();
    transition(
        db,
        actor,
        Capability::WriteAccounts,
        id,
        &[QuoteStatus::Sent],
        QuoteStatus::Rejected,
        reason.as_deref(),
        |_| Ok(()),
        |q| q.rejection_reason = kept,
    )
    .await
}

/// `SENT → ACCEPTED`: at most one per deal (`CONFLICT`), and the deal takes
/// the quote's total as its amount and moves to at least `NEGOTIATE`.
pub async fn accept(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<quote::Model> {
    let (txn, before) = open_for_write(db, actor, Capability::WriteAccounts, id).await?;
    check(before.status, QuoteStatus::Accepted)?;
    let opp = deal_of(&txn, &before).await?;
    check_deal_open(&opp, "id")?;
    if let Some(accepted) = repo::accepted_for(&txn, opp.id).await? {
        return Err(Error::Conflict(format!(
            "version {} of this opportunity's quotes is already accepted",
            accepted.version
        )));
    }
    let mut after = before.clone();
    after.status = QuoteStatus::Accepted;
    after.accepted_at = Some(db::now());
    let reason = format!("quote version {} accepted", before.version);
    // The partial unique index catches a concurrent accept: CONFLICT.
    let after = commit_transition(&txn, actor, &before, after, None).await?;
    let stage = match opp.stage {
        OpportunityStage::Discover | OpportunityStage::Qualify | OpportunityStage::Propose => {
            Some(OpportunityStage::Negotiate)
        }
        _ => None,
    };
    set_amount(&txn, actor, &opp, &after, stage, Some(&reason)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Makes version n+1 as a `DRAFT` copy (same lines, prices and tax rate;
/// the caller as its author) and marks this one `SUPERSEDED`, from any
/// status but `ACCEPTED` and `SUPERSEDED`. The copy keeps `validUntil`
/// unless a new one is given; a date already past must be replaced.
pub async fn revise(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    valid_until: Option<NaiveDate>,
) -> Result<quote::Model> {
    let today = lifecycle::today();
    let valid_until = valid_until
        .map(|v| check_valid_until(v, today))
        .transpose()?;
    let (txn, before) = open_for_write(db, actor, Capability::WriteAccounts, id).await?;
    check(before.status, QuoteStatus::Superseded)?;
    let opp = deal_of(&txn, &before).await?;
    check_deal_open(&opp, "id")?;
    let valid_until = match valid_until {
        Some(v) => v,
        None if before.valid_until >= today => before.valid_until,
        None => {
            return Err(Error::validation(
                "validUntil",
                "this quote's validUntil has passed; give the revision a new one",
            ));
        }
    };
    let version = repo::max_version(&txn, opp.id).await? + 1;
    let mut old = before.clone();
    old.status = QuoteStatus::Superseded;
    commit_transition(
        &txn,
        actor,
        &before,
        old,
        Some(&format!("revised as version {version}")),
    )
    .await?;

    let now = db::now();
    let new_id = db::new_id();
    let draft = quote::Model {
        id: new_id,
        version,
        status: QuoteStatus::Draft,
        valid_until,
        author_id: actor.sub.clone(),
        approved_by: None,
        rejection_reason: None,
        revises_id: Some(before.id),
        sent_at: None,
        accepted_at: None,
        created_at: now,
        updated_at: now,
        ..before.clone()
    };
    let draft = repo::insert(&txn, draft).await?;
    let lines = repo::lines_of(&txn, &[before.id])
        .await?
        .into_iter()
        .map(|l| quote_line::Model {
            id: db::new_id(),
            quote_id: new_id,
            ..l
        })
        .collect();
    repo::insert_lines(&txn, lines).await?;
    record_creation(
        &txn,
        actor,
        &draft,
        Some(&format!("revises version {}", before.version)),
    )
    .await?;
    follow_primary(&txn, actor, &draft).await?;
    txn.commit().await?;
    Ok(draft)
}
