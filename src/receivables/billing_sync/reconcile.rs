//! What a billing snapshot means for a receivable: which payments are new,
//! and what finance must be told. Pure, so every rule is tested here; the
//! receivables service applies the plan in one transaction.
//!
//! - New paid amounts become payments keyed by the billing system's ids, so
//!   the same snapshot seen twice records nothing the second time:
//!   `generic:{invoice}:{payment id}` per itemized payment, and for Stripe's
//!   running total `stripe:{invoice}:{amount_paid}` for each increase seen
//!   (two partial payments seen by two syncs are two payments; both seen by
//!   one sync are one).
//! - Never more than is outstanding: if the new amounts would pass it,
//!   nothing is recorded and the receivable is flagged `OVERPAID`.
//! - Nothing is ever written off or cancelled here: a void or uncollectible
//!   invoice only sets the flag, and finance decides.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{
    enums::{PaymentSource, ReceivableStatus},
    payment, receivable,
};

use crate::connectors::billing::client::{
    Invoice, InvoicePayment, Paid, STATUS_PAID, STATUS_UNCOLLECTIBLE, STATUS_VOID,
};

/// Receivables whose invoice is synced on request; the periodic sync stops
/// at `PAID` (see [`PERIODIC`]).
pub const SYNCABLE: [ReceivableStatus; 3] = [
    ReceivableStatus::Invoiced,
    ReceivableStatus::PartiallyPaid,
    ReceivableStatus::Paid,
];

/// Receivables the periodic sync visits: invoiced and not yet paid in full.
pub const PERIODIC: [ReceivableStatus; 2] =
    [ReceivableStatus::Invoiced, ReceivableStatus::PartiallyPaid];

/// The values of `billing_flag`: what the last sync found that finance must
/// decide on. A later sync that no longer finds it clears it.
pub mod flag {
    /// The invoice is in another currency than the receivable: nothing recorded.
    pub const CURRENCY_MISMATCH: &str = "CURRENCY_MISMATCH";
    /// The billing system voided the invoice.
    pub const VOID: &str = "VOID";
    /// The billing system marked the invoice uncollectible.
    pub const UNCOLLECTIBLE: &str = "UNCOLLECTIBLE";
    /// The billing system reports more paid than is outstanding: nothing recorded.
    pub const OVERPAID: &str = "OVERPAID";
    /// The billing system now reports less (or other amounts) than ltc
    /// already recorded from it.
    pub const AMOUNT_MISMATCH: &str = "AMOUNT_MISMATCH";
    /// The invoice is `paid` but what was paid does not cover the receivable.
    pub const PAID_SHORT: &str = "PAID_SHORT";
}

/// A payment to record from the billing system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    pub reference: String,
    pub amount_minor: i64,
    pub received_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub payments: Vec<NewPayment>,
    pub flag: Option<&'static str>,
}

/// What to do about `receivable` (with its `recorded` payments) given the
/// `invoice` read at `now`.
pub fn plan(
    receivable: &receivable::Model,
    recorded: &[payment::Model],
    invoice: &Invoice,
    now: DateTime<Utc>,
) -> Plan {
    if invoice.currency != receivable.currency {
        return Plan {
            payments: Vec::new(),
            flag: Some(flag::CURRENCY_MISMATCH),
        };
    }
    let prefix = format!("{}:{}:", invoice.system, invoice.id);
    let (new, mismatch) = match &invoice.paid {
        Paid::Cumulative { amount, paid_at } => {
            cumulative(&prefix, recorded, *amount, paid_at.unwrap_or(now))
        }
        Paid::Itemized(payments) => itemized(&prefix, recorded, payments, now),
    };
    let outstanding = (receivable.amount_minor - receivable.paid_minor).max(0);
    let total = new
        .iter()
        .fold(0_i64, |sum, p| sum.saturating_add(p.amount_minor));
    let overpaid = total > outstanding;
    let payments = if overpaid { Vec::new() } else { new };
    let paid_after = receivable.paid_minor + if overpaid { 0 } else { total };
    let flag = match invoice.status.as_str() {
        STATUS_VOID => Some(flag::VOID),
        STATUS_UNCOLLECTIBLE => Some(flag::UNCOLLECTIBLE),
        _ if overpaid => Some(flag::OVERPAID),
        _ if mismatch => Some(flag::AMOUNT_MISMATCH),
        STATUS_PAID if paid_after < receivable.amount_minor => Some(flag::PAID_SHORT),
        _ => None,
    };
    Plan { payments, flag }
}

/// A running total: its increase since the last sync is one new payment.
/// Returns the new payments and whether the total went down.
fn cumulative(
    prefix: &str,
    recorded: &[payment::Model],
    amount_paid: i64,
    received_at: DateTime<Utc>,
) -> (Vec<NewPayment>, bool) {
    let already: i64 = recorded
        .iter()
        .filter(|p| p.source == PaymentSource::Billing && p.reference.starts_with(prefix))
        .map(|p| p.amount_minor)
        .sum();
    let reference = format!("{prefix}{amount_paid}");
    let seen = recorded.iter().any(|p| p.reference == reference);
    match amount_paid - already {
        0 => (Vec::new(), false),
        delta if delta < 0 || seen => (Vec::new(), true),
        delta => (
            vec![NewPayment {
                reference,
                amount_minor: delta,
                received_at,
            }],
            false,
        ),
    }
}

/// Itemized payments: each one not recorded yet is new. Returns the new
/// payments and whether a recorded one changed or disappeared.
fn itemized(
    prefix: &str,
    recorded: &[payment::Model],
    payments: &[InvoicePayment],
    now: DateTime<Utc>,
) -> (Vec<NewPayment>, bool) {
    let mut mismatch = false;
    let mut new: Vec<NewPayment> = Vec::new();
    let mut listed = HashSet::new();
    for p in payments {
        let reference = format!("{prefix}{}", p.id);
        if !listed.insert(reference.clone()) {
            // The same payment twice in one answer: the first one counts.
            continue;
        }
        match recorded.iter().find(|r| r.reference == reference) {
            Some(r) if r.amount_minor == p.amount => {}
            Some(_) => mismatch = true,
            None => new.push(NewPayment {
                reference,
                amount_minor: p.amount,
                received_at: p.paid_at.unwrap_or(now),
            }),
        }
    }
    let vanished = recorded
        .iter()
        .any(|r| r.reference.starts_with(prefix) && !listed.contains(&r.reference));
    (new, mismatch || vanished)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn receivable(amount: i64, paid: i64) -> receivable::Model {
        receivable::Model {
            id: Uuid::nil(),
            contract_id: Uuid::nil(),
            account_id: Uuid::nil(),
            purchase_order_id: None,
            milestone_id: Uuid::nil(),
            trigger: entity::enums::MilestoneTrigger::OnSigning,
            status: ReceivableStatus::Invoiced,
            currency: "EUR".into(),
            amount_minor: amount,
            paid_minor: paid,
            due_date: at(0).date_naive(),
            billing_invoice_id: Some("in_1".into()),
            invoiced_at: Some(at(0)),
            billing_status: None,
            billing_synced_at: None,
            billing_flag: None,
            closed_reason: None,
            closed_at: None,
            settled_at: None,
            created_at: at(0),
            updated_at: at(0),
        }
    }

    fn recorded(plan: &Plan, source: PaymentSource) -> Vec<payment::Model> {
        plan.payments
            .iter()
            .map(|p| payment::Model {
                id: Uuid::new_v4(),
                receivable_id: Uuid::nil(),
                amount_minor: p.amount_minor,
                currency: "EUR".into(),
                received_at: p.received_at,
                reference: p.reference.clone(),
                source,
                recorded_by: "billing-sync".into(),
                created_at: p.received_at,
            })
            .collect()
    }

    fn stripe(status: &str, paid: i64, paid_at: Option<DateTime<Utc>>) -> Invoice {
        Invoice {
            system: "stripe",
            id: "in_1".into(),
            status: status.into(),
            currency: "EUR".into(),
            amount_due: 100_000,
            paid: Paid::Cumulative {
                amount: paid,
                paid_at,
            },
        }
    }

    #[test]
    fn each_increase_of_a_running_total_is_one_payment_and_a_repeat_is_none() {
        let r = receivable(100_000, 0);
        let first = plan(&r, &[], &stripe("open", 30_000, None), at(10));
        assert_eq!(
            first.payments,
            vec![NewPayment {
                reference: "stripe:in_1:30000".into(),
                amount_minor: 30_000,
                received_at: at(10),
            }]
        );
        assert_eq!(first.flag, None);

        let mut so_far = recorded(&first, PaymentSource::Billing);
        let r = receivable(100_000, 30_000);
        let again = plan(&r, &so_far, &stripe("open", 30_000, None), at(20));
        assert_eq!(again.payments, vec![]);

        let paid = plan(&r, &so_far, &stripe("paid", 100_000, Some(at(15))), at(30));
        assert_eq!(
            paid.payments,
            vec![NewPayment {
                reference: "stripe:in_1:100000".into(),
                amount_minor: 70_000,
                received_at: at(15),
            }]
        );
        assert_eq!(paid.flag, None);
        so_far.extend(recorded(&paid, PaymentSource::Billing));
        let r = receivable(100_000, 100_000);
        let after = plan(&r, &so_far, &stripe("paid", 100_000, Some(at(15))), at(40));
        assert_eq!(
            after,
            Plan {
                payments: vec![],
                flag: None
            }
        );
    }

    #[test]
    fn more_than_outstanding_is_flagged_and_nothing_recorded() {
        // Finance recorded 500.00 by hand; Stripe then reports 800.00 paid.
        let r = receivable(100_000, 50_000);
        let p = plan(&r, &[], &stripe("open", 80_000, None), at(0));
        assert_eq!(p.payments, vec![]);
        assert_eq!(p.flag, Some(flag::OVERPAID));
    }

    #[test]
    fn void_and_uncollectible_invoices_are_flagged_never_acted_on() {
        let r = receivable(100_000, 0);
        for (status, expected) in [("void", flag::VOID), ("uncollectible", flag::UNCOLLECTIBLE)] {
            let p = plan(&r, &[], &stripe(status, 0, None), at(0));
            assert_eq!(
                p,
                Plan {
                    payments: vec![],
                    flag: Some(expected)
                }
            );
        }
    }

    #[test]
    fn another_currency_records_nothing() {
        let r = receivable(100_000, 0);
        let mut invoice = stripe("paid", 100_000, Some(at(0)));
        invoice.currency = "USD".into();
        let p = plan(&r, &[], &invoice, at(0));
        assert_eq!(p.payments, vec![]);
        assert_eq!(p.flag, Some(flag::CURRENCY_MISMATCH));
    }

    #[test]
    fn paid_without_the_money_is_flagged() {
        let r = receivable(100_000, 0);
        let p = plan(&r, &[], &stripe("paid", 90_000, Some(at(0))), at(0));
        assert_eq!(p.payments.len(), 1);
        assert_eq!(p.flag, Some(flag::PAID_SHORT));
    }

    #[test]
    fn a_running_total_that_goes_down_is_flagged() {
        let r = receivable(100_000, 0);
        let first = plan(&r, &[], &stripe("open", 30_000, None), at(0));
        let so_far = recorded(&first, PaymentSource::Billing);
        let r = receivable(100_000, 30_000);
        let p = plan(&r, &so_far, &stripe("open", 20_000, None), at(0));
        assert_eq!(p.payments, vec![]);
        assert_eq!(p.flag, Some(flag::AMOUNT_MISMATCH));
    }

    #[test]
    fn itemized_payments_are_keyed_by_their_ids() {
        let invoice = |payments: Vec<(&str, i64)>| Invoice {
            system: "generic",
            id: "INV-9".into(),
            status: "open".into(),
            currency: "EUR".into(),
            amount_due: 100_000,
            paid: Paid::Itemized(
                payments
                    .into_iter()
                    .map(|(id, amount)| InvoicePayment {
                        id: id.into(),
                        amount,
                        paid_at: Some(at(5)),
                    })
                    .collect(),
            ),
        };
        let r = receivable(100_000, 0);
        let first = plan(
            &r,
            &[],
            &invoice(vec![("p1", 10_000), ("p1", 10_000)]),
            at(9),
        );
        assert_eq!(
            first.payments,
            vec![NewPayment {
                reference: "generic:INV-9:p1".into(),
                amount_minor: 10_000,
                received_at: at(5),
            }]
        );
        let so_far = recorded(&first, PaymentSource::Billing);
        let r = receivable(100_000, 10_000);
        let second = plan(
            &r,
            &so_far,
            &invoice(vec![("p1", 10_000), ("p2", 5_000)]),
            at(9),
        );
        assert_eq!(second.payments.len(), 1);
        assert_eq!(second.payments[0].reference, "generic:INV-9:p2");
        assert_eq!(second.flag, None);
        // A recorded payment with another amount, or gone: flagged, not changed.
        let changed = plan(&r, &so_far, &invoice(vec![("p1", 9_000)]), at(9));
        assert_eq!(
            changed,
            Plan {
                payments: vec![],
                flag: Some(flag::AMOUNT_MISMATCH)
            }
        );
        let gone = plan(&r, &so_far, &invoice(vec![]), at(9));
        assert_eq!(
            gone,
            Plan {
                payments: vec![],
                flag: Some(flag::AMOUNT_MISMATCH)
            }
        );
    }
}
