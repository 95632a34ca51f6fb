//! Contract rules: making one from an accepted quote, signing (which wins
//! the deal), the handover to delivery, execution, completion and termination.
//!
//! **Access.** Contracts follow their opportunity like quotes do: reading
//! needs `ReadAccounts` and a deal the caller sees (else `NOT_FOUND`).
//! Creating and signing need `WriteAccounts`. The handover is made by the
//! deal's AR or SR, or a sales manager or admin (anyone else: `FORBIDDEN`).
//! Starting, completing and terminating need `ExecuteContracts` (sales,
//! delivery, managers); delivery users see every contract.
//!
//! **Handover** happens once, on a `SIGNED` contract, with an FR on the deal
//! team (none: `VALIDATION`). A second handover is a `CONFLICT`; one on a
//! contract that is not `SIGNED` is a `VALIDATION` error (field `id`). It is
//! not a status change, so it is kept on the contract (method, notes, who,
//! when) rather than in the history.

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use entity::{
    DecimalText, contract, contract_line,
    enums::{ContractStatus, HandoverMethod, OpportunityStage, QuoteStatus, SubjectKind, TeamRole},
    payment_milestone,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::{
    lifecycle::{self, check, commit_transition, status_name},
    repo::{self, ListFilter},
    terms::{self, Term},
};
use crate::{
    Error, Result,
    auth::{Actor, Capability, Visibility},
    db::visible,
    db::{self, Counter, Page, PageRequest, SortValue},
    history::repo::{Transition, record},
    input::{self, TEXT_MAX},
    opportunities, quotes,
};

/// The sequence contract numbers are drawn from.
pub const NUMBER_SEQUENCE: &str = "contract";

/// `C-2026-000042`: the year the contract was made and its place in the sequence.
pub fn contract_number(year: i32, sequence: i64) -> String {
    format!("C-{year}-{sequence:06}")
}

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<contract::Model> {
    visible::get_as::<contract::Entity>(db, actor, Capability::ReadAccounts, id).await
}

/// Makes a `DRAFT` contract from an `ACCEPTED` quote: its lines, totals and
/// currency, the payment terms given, and the next contract number. One
/// contract per quote (a second is a `CONFLICT`).
pub async fn create_from_quote(
    db: &DatabaseConnection,
    actor: &Actor,
    quote_id: Uuid,
    payment_terms: &[Term],
) -> Result<contract::Model> {
    actor.require(Capability::WriteAccounts)?;
    let payment_terms = terms::check(payment_terms)?;
    let txn = db::begin_write(db).await?;
    let quote = crate::db::visible::get_as::<entity::quote::Entity>(
        &txn,
        actor,
        Capability::WriteAccounts,
        quote_id,
    )
    .await?;
    if quote.status != QuoteStatus::Accepted {
        let shown = quotes::lifecycle::effective_status(
            quote.status,
            quote.valid_until,
            quotes::lifecycle::today(),
        );
        return Err(Error::validation(
            "quoteId",
            format!(
                "only an ACCEPTED quote becomes a contract; this one is {}",
                quotes::lifecycle::status_name(shown)
            ),
        ));
    }
    if let Some(existing) = repo::find_by_quote(&txn, quote.id).await? {
        return Err(Error::Conflict(format!(
            "the quote already has contract {}",
            existing.number
        )));
    }
    let opp = crate::db::visible::find::<entity::opportunity::Entity>(
        &txn,
        &Visibility::All,
        quote.opportunity_id,
    )
    .await?
    .ok_or(Error::NotFound("opportunity"))?;
    if opp.stage == OpportunityStage::Lost {
        return Err(Error::validation(
            "quoteId",
            "the opportunity is LOST; reopen it before making its contract",
        ));
    }
    let now = db::now();
    let sequence = repo::next_in_sequence(&txn, NUMBER_SEQUENCE).await?;
    let id = db::new_id();
    let contract = repo::insert(
        &txn,
        contract::Model {
            id,
            number: contract_number(now.year(), sequence),
            opportunity_id: opp.id,
            account_id: opp.account_id,
            quote_id: quote.id,
            status: ContractStatus::Draft,
            currency: quote.currency.clone(),
            subtotal: quote.subtotal,
            discount_total: quote.discount_total,
            tax: quote.tax,
            total: quote.total,
            signed_at: None,
            handover_method: None,
            handover_notes: None,
            handed_over_by: None,
            handed_over_at: None,
            execution_started_at: None,
            completed_at: None,
            terminated_reason: None,
            term_start: None,
            term_end: None,
            renewal_opportunity_id: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    let lines = quotes::repo::lines_of(&txn, &[quote.id])
        .await?
        .into_iter()
        .map(|l| contract_line::Model {
            id: db::new_id(),
            contract_id: id,
            position: l.position,
            product_id: l.product_id,
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount_percent: l.discount_percent,
            gross: l.gross,
            net: l.net,
        })
        .collect();
    repo::insert_lines(&txn, lines).await?;
    let milestones = payment_terms
        .iter()
        .enumerate()
        .map(|(i, t)| payment_milestone::Model {
            id: db::new_id(),
            contract_id: id,
            position: i as i32 + 1,
            trigger: t.trigger,
            percent: DecimalText(t.percent),
            due_days: t.due_in_days,
        })
        .collect();
    repo::insert_milestones(&txn, milestones).await?;
    record(
        &txn,
        actor,
        Transition {
            kind: SubjectKind::Contract,
            subject_id: id,
            from: None,
            to: status_name(ContractStatus::Draft),
            reason: Some(&format!("from quote version {}", quote.version)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(contract)
}

/// Opens a write on a contract the caller may exercise `capability` on.
async fn open_for_write(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    capability: Capability,
) -> Result<(DatabaseTransaction, contract::Model)> {
    let txn = db::begin_write(db).await?;
    let contract = visible::get_as::<contract::Entity>(&txn, actor, capability, id).await?;
    Ok((txn, contract))
}

/// `DRAFT → SIGNED` at `signed_at` (default now; not in the future), and the
/// deal becomes `WON` in the same transaction. A LOST deal cannot be won
/// this way (`VALIDATION`): reopen it first.
pub async fn sign(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    signed_at: Option<DateTime<Utc>>,
) -> Result<contract::Model> {
    let signed_at = match signed_at {
        Some(at) if at > Utc::now() => {
            return Err(Error::validation("signedAt", "must not be in the future"));
        }
        Some(at) => at.trunc_subsecs(6),
        None => db::now(),
    };
    let (txn, before) = open_for_write(db, actor, id, Capability::WriteAccounts).await?;
    check(before.status, ContractStatus::Signed)?;
    let opp = crate::db::visible::find::<entity::opportunity::Entity>(
        &txn,
        &Visibility::All,
        before.opportunity_id,
    )
    .await?
    .ok_or(Error::NotFound("opportunity"))?;
    if opp.stage == OpportunityStage::Lost {
        return Err(Error::validation(
            "id",
            "the opportunity is LOST; reopen it before signing its contract",
        ));
    }
    let mut after = before.clone();
    after.status = ContractStatus::Signed;
    after.signed_at = Some(signed_at);
    let after = commit_transition(&txn, actor, &before, after, None).await?;
    crate::events::publish(&txn, crate::events::contract_signed(&after)).await?;
    crate::receivables::rules::on_contract_signed(&txn, actor, &after, signed_at.date_naive())
        .await?;
    if opp.stage != OpportunityStage::Won {
        let mut won = opp.clone();
        won.stage = OpportunityStage::Won;
        let reason = format!("contract {} signed", after.number);
        opportunities::service::save(&txn, actor, &opp, won, Some(&reason)).await?;
    }
    txn.commit().await?;
    Ok(after)
}

/// Sales hands the signed contract over to delivery: by the deal's AR or SR
/// (or a manager), with an FR on the team; records how, who and when.
pub async fn hand_over(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    method: HandoverMethod,
    notes: Option<&str>,
) -> Result<contract::Model> {
    let notes = input::optional("notes", notes, TEXT_MAX)?;
    let (txn, before) = open_for_write(db, actor, id, Capability::WriteAccounts).await?;
    let team = opportunities::repo::teams(&txn, &[before.opportunity_id]).await?;
    let sells_it = team
        .iter()
        .any(|m| m.user_id == actor.sub && matches!(m.role, TeamRole::Ar | TeamRole::Sr));
    if !(sells_it || actor.can(Capability::SuperviseSales)) {
        return Err(Error::forbidden(
            "only the deal's AR or SR, or a sales manager, hands a contract over",
        ));
    }
    if before.handed_over_at.is_some() {
        return Err(Error::Conflict(
            "the contract has already been handed over".into(),
        ));
    }
    if before.status != ContractStatus::Signed {
        return Err(Error::validation(
            "id",
            format!(
                "only a SIGNED contract can be handed over; this one is {}",
                status_name(before.status)
            ),
        ));
    }
    if !team.iter().any(|m| m.role == TeamRole::Fr) {
        return Err(Error::validation(
            "id",
            "the deal team has no FR to hand over to; add one first",
        ));
    }
    let now = db::now();
    let mut after = before.clone();
    after.handover_method = Some(method);
    after.handover_notes = notes;
    after.handed_over_by = Some(actor.sub.clone());
    after.handed_over_at = Some(now);
    after.updated_at = now;
    if !repo::update_if_not_handed_over(&txn, after.clone()).await? {
        return Err(Error::Conflict(
            "the contract changed meanwhile; read it again".into(),
        ));
    }
    txn.commit().await?;
    Ok(after)
}

/// `SIGNED → EXECUTING`, once handed over; from then on the FR leads.
pub async fn start_execution(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<contract::Model> {
    let (txn, before) = open_for_write(db, actor, id, Capability::ExecuteContracts).await?;
    check(before.status, ContractStatus::Executing)?;
    lifecycle::check_handed_over(&before)?;
    let mut after = before.clone();
    after.status = ContractStatus::Executing;
    after.execution_started_at = Some(db::now());
    let after = commit_transition(&txn, actor, &before, after, None).await?;
    txn.commit().await?;
    Ok(after)
}

/// `EXECUTING → COMPLETED`, when nothing blocks it.
pub async fn complete(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<contract::Model> {
    let (txn, before) = open_for_write(db, actor, id, Capability::ExecuteContracts).await?;
    check(before.status, ContractStatus::Completed)?;
    lifecycle::completion_blockers(&txn, &before).await?;
    let mut after = before.clone();
    after.status = ContractStatus::Completed;
    after.completed_at = Some(db::now());
    let after = commit_transition(&txn, actor, &before, after, None).await?;
    txn.commit().await?;
    Ok(after)
}

/// `DRAFT | SIGNED | EXECUTING → TERMINATED`, with a reason.
pub async fn terminate(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<contract::Model> {
    let reason = input::required("reason", reason, TEXT_MAX)?;
    let (txn, before) = open_for_write(db, actor, id, Capability::ExecuteContracts).await?;
    check(before.status, ContractStatus::Terminated)?;
    let mut after = before.clone();
    after.status = ContractStatus::Terminated;
    after.terminated_reason = Some(reason.clone());
    let after = commit_transition(&txn, actor, &before, after, Some(&reason)).await?;
    crate::receivables::rules::cancel_uninvoiced(&txn, actor, after.id, None, &reason).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<contract::Model>, Counter)> {
    let visibility = actor.visibility(Capability::ReadAccounts)?;
    let page = page.ordered("CreatedAt", &direction, |k| matches!(k, SortValue::Time(_)))?;
    let select = repo::list_query(&visibility, &filter);
    let rows = db::fetch_page(
        db,
        select.clone(),
        contract::Column::CreatedAt,
        contract::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_numbers_carry_the_year_and_six_digits() {
        assert_eq!(contract_number(2026, 42), "C-2026-000042");
        assert_eq!(contract_number(2027, 1_234_567), "C-2027-1234567");
    }
}
