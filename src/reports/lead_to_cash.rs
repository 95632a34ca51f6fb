//! The lead-to-cash trace of one deal: the lead, the opportunity, every
//! quote version, the contract, its POs and receivables with payments, and
//! how long each hand-off took, so a user sees where a deal waits.
//!
//! Hand-offs: lead → opportunity (lead created to opportunity created),
//! → contract (opportunity created to first signing), → first delivery
//! (signing to the first PO delivered), → cash (first delivery to the moment
//! every receivable was settled: the last payment, when all are paid,
//! written off or cancelled). A step not reached yet has no duration, and
//! `waitingFor` names the first one. Timings come from the records the
//! caller sees: a hidden lead gives no lead time.

use chrono::{DateTime, Utc};
use entity::{
    contract,
    enums::{PurchaseOrderStatus, QuoteStatus, ReceivableStatus},
    lead, opportunity, payment, purchase_order, quote, receivable,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Error, Result,
    auth::{Actor, Capability},
};

pub struct Trace {
    pub opportunity: opportunity::Model,
    pub lead: Option<lead::Model>,
    pub quotes: Vec<quote::Model>,
    pub contracts: Vec<contract::Model>,
    pub orders: Vec<purchase_order::Model>,
    pub receivables: Vec<receivable::Model>,
    /// The receivables' payments, which the answer shows under each of them.
    pub payments: Vec<payment::Model>,
    pub timing: Timing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Quote,
    Contract,
    Delivery,
    Cash,
}

#[derive(Default)]
pub struct Timing {
    pub lead_created_at: Option<DateTime<Utc>>,
    pub opportunity_created_at: Option<DateTime<Utc>>,
    pub contract_signed_at: Option<DateTime<Utc>>,
    pub first_delivery_at: Option<DateTime<Utc>>,
    pub first_payment_at: Option<DateTime<Utc>>,
    pub cash_collected_at: Option<DateTime<Utc>>,
    /// The first step not reached yet; `None` once all cash is in.
    pub waiting_for: Option<Step>,
}

fn timing(
    lead: Option<&lead::Model>,
    opportunity: &opportunity::Model,
    quotes: &[quote::Model],
    contracts: &[contract::Model],
    orders: &[purchase_order::Model],
    receivables: &[receivable::Model],
    payments: &[payment::Model],
) -> Timing {
    let signed = contracts.iter().filter_map(|c| c.signed_at).min();
    let delivered = orders.iter().filter_map(|o| o.delivered_at).min();
    let first_payment = payments.iter().map(|p| p.received_at).min();
    // Cash is in when every receivable is settled and every live PO accepted
    // (so no more receivables can come).
    let settled = !receivables.is_empty()
        && receivables.iter().all(|r| {
            matches!(
                r.status,
                ReceivableStatus::Paid | ReceivableStatus::WrittenOff | ReceivableStatus::Cancelled
            )
        });
    let orders_done = orders.iter().all(|o| {
        matches!(
            o.status,
            PurchaseOrderStatus::Accepted | PurchaseOrderStatus::Cancelled
        )
    });
    let cash = (settled && orders_done && !orders.is_empty())
        .then(|| payments.iter().map(|p| p.received_at).max())
        .flatten();
    let accepted = quotes.iter().any(|q| q.status == QuoteStatus::Accepted);
    let waiting_for = if !accepted && signed.is_none() {
        Some(Step::Quote)
    } else if signed.is_none() {
        Some(Step::Contract)
    } else if delivered.is_none() {
        Some(Step::Delivery)
    } else if cash.is_none() {
        Some(Step::Cash)
    } else {
        None
    };
    Timing {
        lead_created_at: lead.map(|l| l.created_at),
        opportunity_created_at: Some(opportunity.created_at),
        contract_signed_at: signed,
        first_delivery_at: delivered,
        first_payment_at: first_payment,
        cash_collected_at: cash,
        waiting_for,
    }
}

pub async fn trace(db: &DatabaseConnection, actor: &Actor, opportunity_id: Uuid) -> Result<Trace> {
    let visibility = actor.visibility(Capability::ReadAccounts)?;
    let opportunity =
        crate::db::visible::find::<entity::opportunity::Entity>(db, &visibility, opportunity_id)
            .await?
            .ok_or(Error::NotFound("opportunity"))?;
    // Everything below hangs off the deal or its contracts: two rounds of
    // independent reads instead of one read after another. Each kind is
    // read under its own capability's row rule, as `lead(id)` and the
    // lists read it: seeing the deal does not open its lead (a deal-team
    // member sees the lead only if they own it or it is unassigned).
    let lead = async {
        match (opportunity.lead_id, actor.visibility(Capability::ReadLeads)) {
            (Some(id), Ok(leads)) => {
                crate::db::visible::find::<entity::lead::Entity>(db, &leads, id).await
            }
            _ => Ok(None),
        }
    };
    let (lead, quotes, contracts) = tokio::try_join!(
        lead,
        repo::quotes_of(db, opportunity.id),
        repo::contracts_of(db, opportunity.id),
    )?;
    let contract_ids: Vec<Uuid> = contracts.iter().map(|c| c.id).collect();
    let orders = async {
        match actor.visibility(Capability::ReadOrders) {
            Ok(rows) => repo::orders_of(db, &rows, &contract_ids).await,
            Err(_) => Ok(Vec::new()),
        }
    };
    let cash = async {
        match actor.visibility(Capability::ReadReceivables) {
            Ok(rows) => tokio::try_join!(
                repo::receivables_of(db, &rows, &contract_ids),
                repo::payments_under(db, &rows, &contract_ids),
            ),
            Err(_) => Ok((Vec::new(), Vec::new())),
        }
    };
    let (orders, (receivables, payments)) = tokio::try_join!(orders, cash)?;
    let timing = timing(
        lead.as_ref(),
        &opportunity,
        &quotes,
        &contracts,
        &orders,
        &receivables,
        &payments,
    );
    Ok(Trace {
        opportunity,
        lead,
        quotes,
        contracts,
        orders,
        receivables,
        payments,
        timing,
    })
}
