//! The rules that create receivables, exactly to the minor unit.
//!
//! The contract total T is first split over its milestones: milestone i gets
//! round(T × pᵢ / 100), and the last milestone (by position) takes the
//! remainder, so the shares add up to T. Then:
//! - `ON_SIGNING`: when the contract is signed, one receivable of the whole share.
//! - `ON_DELIVERY` / `ON_ACCEPTANCE`: when a PO is delivered / accepted, one
//!   receivable of round(share × V / T) − what this milestone already raised,
//!   where V is the value of all the contract's POs that have reached the
//!   trigger. Once the POs cover the contract (V = T) the milestone has raised
//!   exactly its share, so all receivables add up to exactly T; the rounding
//!   remainder lands on the last one created.
//!
//! The due date is the trigger date plus the milestone's days.

use chrono::NaiveDate;
use entity::{
    contract,
    enums::{MilestoneTrigger, PurchaseOrderStatus, ReceivableStatus, SubjectKind},
    payment_milestone, purchase_order, receivable,
};
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;

use super::repo;
use crate::{
    Error, Result,
    auth::Actor,
    db,
    history::repo::{Transition, record},
    money::{Currency, Money},
};

/// Splits `total_minor` over the milestones' percents; the last takes the remainder.
pub fn allocate(total_minor: i64, percents: &[Decimal]) -> Vec<i64> {
    let mut shares = Vec::with_capacity(percents.len());
    let mut given = 0_i64;
    for (i, percent) in percents.iter().enumerate() {
        let share = if i + 1 == percents.len() {
            total_minor - given
        } else {
            round_minor(Decimal::from(total_minor) * percent / Decimal::from(100))
        };
        given += share;
        shares.push(share);
    }
    shares
}

/// Rounds an amount in minor units to a whole minor unit, half to even.
fn round_minor(amount: Decimal) -> i64 {
    let rounded =
        amount.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointNearestEven);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// The part of `share` owed once `covered` of `total` has reached the trigger.
pub fn cumulative_target(share: i64, covered: i64, total: i64) -> i64 {
    if total == 0 || covered >= total {
        return share;
    }
    round_minor(Decimal::from(share) * Decimal::from(covered) / Decimal::from(total))
}

pub struct ContractMoney {
    pub currency: Currency,
    pub total_minor: i64,
}

pub fn contract_money(contract: &contract::Model) -> Result<ContractMoney> {
    let currency = Currency::parse("currency", &contract.currency)?;
    let total_minor = Money {
        amount: contract.total.0,
        currency,
    }
    .to_minor()?;
    Ok(ContractMoney {
        currency,
        total_minor,
    })
}

/// Each milestone with its share of the contract total, by position.
async fn shares(
    db: &impl ConnectionTrait,
    contract: &contract::Model,
) -> Result<(ContractMoney, Vec<(payment_milestone::Model, i64)>)> {
    let money = contract_money(contract)?;
    let milestones = repo::milestones(db, contract.id).await?;
    let percents: Vec<Decimal> = milestones.iter().map(|m| m.percent.0).collect();
    let shares = allocate(money.total_minor, &percents);
    Ok((money, milestones.into_iter().zip(shares).collect()))
}

fn due(date: NaiveDate, days: i32) -> NaiveDate {
    date + chrono::Duration::days(i64::from(days))
}

async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contract: &contract::Model,
    order: Option<&purchase_order::Model>,
    milestone: &payment_milestone::Model,
    amount_minor: i64,
    trigger_date: NaiveDate,
) -> Result<()> {
    if amount_minor <= 0 {
        return Ok(());
    }
    let now = db::now();
    let row = repo::insert(
        db,
        receivable::Model {
            id: db::new_id(),
            contract_id: contract.id,
            account_id: contract.account_id,
            purchase_order_id: order.map(|o| o.id),
            milestone_id: milestone.id,
            trigger: milestone.trigger,
            status: ReceivableStatus::Planned,
            currency: contract.currency.clone(),
            amount_minor,
            paid_minor: 0,
            due_date: due(trigger_date, milestone.due_days),
            billing_invoice_id: None,
            invoiced_at: None,
            billing_status: None,
            billing_synced_at: None,
            billing_flag: None,
            closed_reason: None,
            closed_at: None,
            settled_at: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    record(
        db,
        actor,
        Transition {
            kind: SubjectKind::Receivable,
            subject_id: row.id,
            from: None,
            to: "PLANNED",
            reason: None,
        },
    )
    .await
}

/// `ON_SIGNING` milestones fall due when the contract is signed.
pub async fn on_contract_signed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contract: &contract::Model,
    signed_on: NaiveDate,
) -> Result<()> {
    let (_, milestones) = shares(db, contract).await?;
    for (milestone, share) in milestones {
        if milestone.trigger == MilestoneTrigger::OnSigning {
            create(db, actor, contract, None, &milestone, share, signed_on).await?;
        }
    }
    Ok(())
}

/// `ON_DELIVERY` / `ON_ACCEPTANCE` milestones fall due as each PO reaches
/// that state. Call after the PO's new status is written.
pub async fn on_order_reached(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contract: &contract::Model,
    order: &purchase_order::Model,
    trigger: MilestoneTrigger,
    on: NaiveDate,
) -> Result<()> {
    let (money, milestones) = shares(db, contract).await?;
    let reached: &[PurchaseOrderStatus] = match trigger {
        MilestoneTrigger::OnDelivery => &[
            PurchaseOrderStatus::Delivered,
            PurchaseOrderStatus::Accepted,
        ],
        MilestoneTrigger::OnAcceptance => &[PurchaseOrderStatus::Accepted],
        MilestoneTrigger::OnSigning => {
            return Err(Error::Internal(anyhow::anyhow!(
                "signing is not a PO trigger"
            )));
        }
    };
    let mut covered = 0_i64;
    for live in crate::purchase_orders::repo::live_orders(db, contract.id).await? {
        if reached.contains(&live.status) {
            covered += Money {
                amount: live.total.0,
                currency: money.currency,
            }
            .to_minor()?;
        }
    }
    for (milestone, share) in milestones {
        if milestone.trigger != trigger {
            continue;
        }
        let raised = repo::raised_for_milestone(db, milestone.id).await?;
        let owed = cumulative_target(share, covered, money.total_minor) - raised;
        create(db, actor, contract, Some(order), &milestone, owed, on).await?;
    }
    Ok(())
}

/// Cancels the receivables of a contract (or of one of its POs) that are not
/// invoiced yet; invoiced ones stay for finance to settle.
pub async fn cancel_uninvoiced(
    db: &impl ConnectionTrait,
    actor: &Actor,
    contract_id: uuid::Uuid,
    order_id: Option<uuid::Uuid>,
    reason: &str,
) -> Result<()> {
    for mut row in repo::planned(db, contract_id, order_id).await? {
        let id = row.id;
        row.status = ReceivableStatus::Cancelled;
        row.closed_reason = Some(reason.to_owned());
        let now = db::now();
        row.closed_at = Some(now);
        row.settled_at = Some(now);
        row.updated_at = now;
        if repo::update_if_status(db, row, ReceivableStatus::Planned).await? {
            record(
                db,
                actor,
                Transition {
                    kind: SubjectKind::Receivable,
                    subject_id: id,
                    from: Some("PLANNED"),
                    to: "CANCELLED",
                    reason: Some(reason),
                },
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn milestone_shares_add_up_to_the_total() {
        let shares = allocate(100_001, &[d("33.33"), d("33.33"), d("33.34")]);
        assert_eq!(shares.iter().sum::<i64>(), 100_001);
        assert_eq!(shares, vec![33_330, 33_330, 33_341]);
    }

    #[test]
    fn cumulative_targets_reach_the_share_exactly() {
        // A share of 600.01 over POs worth a third and two thirds of 1000.00.
        let first = cumulative_target(60_001, 33_333, 100_000);
        let second = cumulative_target(60_001, 100_000, 100_000) - first;
        assert_eq!(first, 20_000);
        assert_eq!(first + second, 60_001);
    }
}
