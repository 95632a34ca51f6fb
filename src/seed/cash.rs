//! Contract execution and cash: a contract for each won deal (copied from
//! its accepted quote), payment milestones, purchase orders that draw the
//! whole contract down (`purchase_orders::drawdown`), the receivables the
//! real rules raise as POs are delivered and accepted
//! (`receivables::rules`), invoices and payments.
//!
//! A contract whose POs are all accepted has receivables that add up to its
//! total exactly; before that, to the part its POs have reached.

use chrono::{DateTime, Datelike, Duration, Utc};
use entity::{
    DecimalText, contract, contract_line, counter,
    enums::{
        ContractStatus, ErpSyncStatus, HandoverMethod, MilestoneTrigger, PaymentSource,
        PurchaseOrderStatus, ReceivableStatus,
    },
    payment, payment_milestone, purchase_order, purchase_order_line, receivable,
};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    crm::Account,
    deals::Deal,
    rng::Seeded,
    writer::{Sink, Writer},
};
use crate::{
    contracts::service::{NUMBER_SEQUENCE, contract_number},
    money::{Currency, Money},
    purchase_orders::drawdown,
    receivables::rules,
};

/// Payment terms: (trigger, percent, days until due), with a weight. The
/// first keeps 10 % back until 90 days after acceptance (a retention).
/// One payment milestone: what triggers it, its percent, days until due.
type Term = (MilestoneTrigger, i64, i32);

const TERMS: &[(&[Term], u32)] = &[
    (
        &[
            (MilestoneTrigger::OnSigning, 30, 30),
            (MilestoneTrigger::OnDelivery, 30, 30),
            (MilestoneTrigger::OnAcceptance, 30, 30),
            (MilestoneTrigger::OnAcceptance, 10, 90),
        ],
        40,
    ),
    (
        &[
            (MilestoneTrigger::OnSigning, 30, 30),
            (MilestoneTrigger::OnDelivery, 40, 30),
            (MilestoneTrigger::OnAcceptance, 30, 30),
        ],
        35,
    ),
    (
        &[
            (MilestoneTrigger::OnSigning, 20, 30),
            (MilestoneTrigger::OnDelivery, 50, 30),
            (MilestoneTrigger::OnAcceptance, 30, 60),
        ],
        15,
    ),
    (
        &[
            (MilestoneTrigger::OnSigning, 50, 14),
            (MilestoneTrigger::OnAcceptance, 50, 30),
        ],
        8,
    ),
    (&[(MilestoneTrigger::OnDelivery, 100, 45)], 2),
];

/// All rows of the cash side, in the order they are written.
#[derive(Default)]
struct Rows {
    contracts: Vec<contract::Model>,
    contract_lines: Vec<contract_line::Model>,
    milestones: Vec<payment_milestone::Model>,
    orders: Vec<purchase_order::Model>,
    order_lines: Vec<purchase_order_line::Model>,
    receivables: Vec<receivable::Model>,
    payments: Vec<payment::Model>,
}

/// Writes a contract for every won deal and about `orders` purchase orders in all.
pub async fn seed(
    rng: &mut Seeded,
    sink: &Sink<'_>,
    deals: &[Deal],
    accounts: &[Account],
    orders: usize,
) -> anyhow::Result<()> {
    let mut won: Vec<&Deal> = deals.iter().filter(|d| d.accepted.is_some()).collect();
    won.sort_by_key(|d| d.closed_at);
    // One PO per contract, the rest spread at random, at most four each.
    let mut po_counts = vec![1_usize; won.len()];
    let mut left = orders.saturating_sub(won.len());
    while left > 0 && !won.is_empty() {
        let i = rng.index(won.len());
        if po_counts[i] < 4 {
            po_counts[i] += 1;
            left -= 1;
        }
        if po_counts.iter().all(|&c| c >= 4) {
            break;
        }
    }
    let mut rows = Rows::default();
    let mut po_number = 0_u64;
    let mut remittance = 0_u64;
    for (sequence, (deal, po_count)) in won.iter().zip(po_counts).enumerate() {
        let account = &accounts[deal.account];
        contract_rows(
            rng,
            &mut rows,
            deal,
            account,
            sequence as i64 + 1,
            po_count,
            &mut po_number,
            &mut remittance,
        )?;
    }
    let Rows {
        contracts,
        contract_lines,
        milestones,
        orders,
        order_lines,
        receivables,
        payments,
    } = rows;
    let count = contracts.len() as i64;
    write::<contract::Entity>(sink, "contracts", contracts).await?;
    write::<contract_line::Entity>(sink, "contract_lines", contract_lines).await?;
    write::<payment_milestone::Entity>(sink, "payment_milestones", milestones).await?;
    write::<purchase_order::Entity>(sink, "purchase_orders", orders).await?;
    write::<purchase_order_line::Entity>(sink, "purchase_order_lines", order_lines).await?;
    write::<receivable::Entity>(sink, "receivables", receivables).await?;
    write::<payment::Entity>(sink, "payments", payments).await?;
    // The next contract made through the API numbers on from here.
    write::<counter::Entity>(
        sink,
        "counters",
        vec![counter::Model {
            name: NUMBER_SEQUENCE.to_owned(),
            value: count,
        }],
    )
    .await?;
    Ok(())
}

async fn write<E>(sink: &Sink<'_>, table: &'static str, rows: Vec<E::Model>) -> anyhow::Result<()>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E>,
{
    let mut writer = Writer::<E>::new(sink, table, Some(rows.len() as u64));
    for row in rows {
        if writer.push(row) {
            writer.flush(sink).await?;
        }
    }
    writer.finish(sink).await?;
    Ok(())
}

fn minor(amount: Decimal, currency: Currency) -> anyhow::Result<i64> {
    Ok(Money { amount, currency }.to_minor()?)
}

#[allow(clippy::too_many_arguments)]
fn contract_rows(
    rng: &mut Seeded,
    rows: &mut Rows,
    deal: &Deal,
    account: &Account,
    sequence: i64,
    po_count: usize,
    po_number: &mut u64,
    remittance: &mut u64,
) -> anyhow::Result<()> {
    let Some(accepted) = &deal.accepted else {
        return Ok(());
    };
    let quote = &accepted.quote;
    let currency = Currency::parse("currency", &quote.currency)?;
    let signed_at = deal.closed_at.unwrap_or(quote.created_at);
    let age = (rng.now - signed_at).num_days();
    let status = if age < 30 {
        rng.weighted(&[
            (ContractStatus::Signed, 70),
            (ContractStatus::Executing, 30),
        ])
    } else if age > 180 {
        rng.weighted(&[
            (ContractStatus::Completed, 90),
            (ContractStatus::Executing, 10),
        ])
    } else if age > 60 {
        rng.weighted(&[
            (ContractStatus::Completed, 60),
            (ContractStatus::Executing, 40),
        ])
    } else {
        ContractStatus::Executing
    };
    let contract_id = rng.id_at(signed_at);
    let handed_over_at = (status != ContractStatus::Signed).then(|| rng.later(signed_at, 1, 7));
    let execution_started_at = handed_over_at.map(|at| rng.later(at, 0, 3));
    let term_start = signed_at.date_naive();
    let term_months = *rng.pick(&[12_u32, 12, 24, 36]);
    let term_end = term_start
        .checked_add_months(chrono::Months::new(term_months))
        .map(|d| d - Duration::days(1));

    // Lines, copied from the accepted quote.
    let lines: Vec<contract_line::Model> = accepted
        .lines
        .iter()
        .map(|l| contract_line::Model {
            id: rng.id_at(signed_at),
            contract_id,
            position: l.position,
            product_id: l.product_id,
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount_percent: l.discount_percent,
            gross: l.gross,
            net: l.net,
        })
        .collect();

    let weights: Vec<(usize, u32)> = TERMS.iter().enumerate().map(|(i, t)| (i, t.1)).collect();
    let terms = TERMS[rng.weighted(&weights)].0;
    let milestones: Vec<payment_milestone::Model> = terms
        .iter()
        .enumerate()
        .map(|(i, (trigger, percent, days))| payment_milestone::Model {
            id: rng.id_at(signed_at),
            contract_id,
            position: i as i32 + 1,
            trigger: *trigger,
            percent: DecimalText(Decimal::from(*percent)),
            due_days: *days,
        })
        .collect();
    let total_minor = minor(quote.total.0, currency)?;
    let percents: Vec<Decimal> = milestones.iter().map(|m| m.percent.0).collect();
    let shares = rules::allocate(total_minor, &percents);

    // Purchase orders that draw every line down completely.
    let orders = purchase_orders(
        rng,
        rows,
        account,
        contract_id,
        &lines,
        quote,
        currency,
        status,
        signed_at,
        po_count,
        po_number,
    )?;

    // Receivables as the rules raise them: at signing, then per PO event.
    let mut raised: Vec<(usize, Option<Uuid>, i64, DateTime<Utc>)> = Vec::new();
    for (m, milestone) in milestones.iter().enumerate() {
        if milestone.trigger == MilestoneTrigger::OnSigning && shares[m] > 0 {
            raised.push((m, None, shares[m], signed_at));
        }
    }
    let mut events: Vec<(DateTime<Utc>, MilestoneTrigger, usize)> = Vec::new();
    for (o, order) in orders.iter().enumerate() {
        if let Some(at) = order.delivered_at {
            events.push((at, MilestoneTrigger::OnDelivery, o));
        }
        if let Some(at) = order.accepted_at {
            events.push((at, MilestoneTrigger::OnAcceptance, o));
        }
    }
    events.sort_by_key(|(at, trigger, o)| (*at, *trigger == MilestoneTrigger::OnAcceptance, *o));
    let mut covered = [0_i64; 2];
    for (at, trigger, o) in events {
        let slot = usize::from(trigger == MilestoneTrigger::OnAcceptance);
        covered[slot] += minor(orders[o].total.0, currency)?;
        for (m, milestone) in milestones.iter().enumerate() {
            if milestone.trigger != trigger {
                continue;
            }
            let so_far: i64 = raised
                .iter()
                .filter(|(mm, ..)| *mm == m)
                .map(|(_, _, amount, _)| amount)
                .sum();
            let owed = rules::cumulative_target(shares[m], covered[slot], total_minor) - so_far;
            if owed > 0 {
                raised.push((m, Some(orders[o].id), owed, at));
            }
        }
    }
    let completed = status == ContractStatus::Completed;
    let mut last_cash = signed_at;
    for (m, order_id, amount, at) in raised {
        let milestone = &milestones[m];
        let settled_at = receivable_rows(
            rng,
            rows,
            contract_id,
            account,
            order_id,
            milestone,
            &quote.currency,
            amount,
            at,
            completed,
            remittance,
        );
        last_cash = last_cash.max(settled_at.unwrap_or(at));
    }
    let last_acceptance = orders
        .iter()
        .filter_map(|o| o.accepted_at)
        .max()
        .unwrap_or(signed_at);
    let completed_at = completed.then(|| rng.later(last_cash.max(last_acceptance), 0, 5));
    rows.orders.extend(orders);
    rows.contract_lines.extend(lines);
    rows.milestones.extend(milestones);
    let updated_at = completed_at.or(execution_started_at).unwrap_or(signed_at);
    rows.contracts.push(contract::Model {
        id: contract_id,
        number: contract_number(signed_at.year(), sequence),
        opportunity_id: deal.id,
        account_id: account.id,
        quote_id: quote.id,
        status,
        currency: quote.currency.clone(),
        subtotal: quote.subtotal,
        discount_total: quote.discount_total,
        tax: quote.tax,
        total: quote.total,
        signed_at: Some(signed_at),
        handover_method: handed_over_at.map(|_| {
            rng.weighted(&[
                (HandoverMethod::Meeting, 60),
                (HandoverMethod::Email, 25),
                (HandoverMethod::Document, 15),
            ])
        }),
        handover_notes: handed_over_at.map(|_| "Kick-off held; delivery plan agreed.".to_owned()),
        handed_over_by: handed_over_at.map(|_| super::user(deal.ar)),
        handed_over_at,
        execution_started_at,
        completed_at,
        terminated_reason: None,
        term_start: Some(term_start),
        term_end,
        renewal_opportunity_id: None,
        created_at: quote.accepted_at.unwrap_or(signed_at).min(signed_at),
        updated_at,
    });
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn purchase_orders(
    rng: &mut Seeded,
    rows: &mut Rows,
    account: &Account,
    contract_id: Uuid,
    lines: &[contract_line::Model],
    quote: &entity::quote::Model,
    currency: Currency,
    status: ContractStatus,
    signed_at: DateTime<Utc>,
    po_count: usize,
    po_number: &mut u64,
) -> anyhow::Result<Vec<purchase_order::Model>> {
    let k = po_count.clamp(1, lines.len().max(1));
    // Which PO takes which part of each line: whole lines dealt out in
    // turn, and now and then a line split over two POs.
    let mut order_of_lines: Vec<usize> = (0..lines.len()).collect();
    rng.shuffle(&mut order_of_lines);
    let mut parts: Vec<Vec<(usize, Decimal)>> = vec![Vec::new(); k];
    for (turn, &l) in order_of_lines.iter().enumerate() {
        let po = turn % k;
        let quantity = lines[l].quantity.0;
        let whole = quantity.fract().is_zero() && quantity >= Decimal::from(2);
        if k > 1 && whole && rng.chance(0.15) {
            let q = i64::try_from(quantity).unwrap_or(2);
            let first = Decimal::from(rng.int(1..=q - 1));
            parts[po].push((l, first));
            parts[(po + 1) % k].push((l, quantity - first));
        } else {
            parts[po].push((l, quantity));
        }
    }
    let contract_net = quote.subtotal.0 - quote.discount_total.0;
    let mut drawn: Vec<(Decimal, Decimal)> = vec![(Decimal::ZERO, Decimal::ZERO); lines.len()];
    let mut nets_before = Decimal::ZERO;
    let mut values_before = Decimal::ZERO;
    let mut created: Vec<DateTime<Utc>> = (0..k).map(|_| rng.later(signed_at, 1, 120)).collect();
    created.sort();
    let mut orders = Vec::with_capacity(k);
    for (po, part) in parts.into_iter().enumerate() {
        let created_at = created[po];
        let order_id = rng.id_at(created_at);
        let mut order_net = Decimal::ZERO;
        for (l, quantity) in part {
            let line = &lines[l];
            let (drawn_quantity, drawn_net) = drawn[l];
            let share = drawdown::line_share(
                currency,
                line.net.0,
                line.quantity.0,
                quantity,
                drawn_quantity,
                drawn_net,
            );
            drawn[l] = (drawn_quantity + quantity, drawn_net + share);
            order_net += share;
            rows.order_lines.push(purchase_order_line::Model {
                id: rng.id_at(created_at),
                purchase_order_id: order_id,
                contract_line_id: line.id,
                quantity: DecimalText(quantity),
                net: DecimalText(share),
            });
        }
        let value = drawdown::order_value(
            currency,
            quote.total.0,
            contract_net,
            order_net,
            nets_before,
            values_before,
        );
        nets_before += order_net;
        values_before += value;
        let po_status = match status {
            ContractStatus::Completed => PurchaseOrderStatus::Accepted,
            ContractStatus::Signed => rng.weighted(&[
                (PurchaseOrderStatus::Received, 70),
                (PurchaseOrderStatus::InFulfillment, 30),
            ]),
            _ => rng.weighted(&[
                (PurchaseOrderStatus::Accepted, 55),
                (PurchaseOrderStatus::Delivered, 20),
                (PurchaseOrderStatus::InFulfillment, 15),
                (PurchaseOrderStatus::Received, 10),
            ]),
        };
        let delivered_at = matches!(
            po_status,
            PurchaseOrderStatus::Delivered | PurchaseOrderStatus::Accepted
        )
        .then(|| rng.later(created_at, 5, 60));
        let accepted_at = (po_status == PurchaseOrderStatus::Accepted)
            .then(|| rng.later(delivered_at.unwrap_or(created_at), 1, 20));
        *po_number += 1;
        let erp = rng.weighted(&[
            (ErpSyncStatus::Synced, 90),
            (ErpSyncStatus::Pending, 6),
            (ErpSyncStatus::Failed, 3),
            (ErpSyncStatus::Dead, 1),
        ]);
        orders.push(purchase_order::Model {
            id: order_id,
            contract_id,
            account_id: account.id,
            po_number: format!("PO-{:07}", *po_number),
            status: po_status,
            currency: quote.currency.clone(),
            total: DecimalText(value),
            delivered_at,
            accepted_at,
            cancelled_reason: None,
            erp_sync_status: erp,
            erp_order_ref: (erp == ErpSyncStatus::Synced).then(|| format!("SO-{:07}", *po_number)),
            erp_attempts: match erp {
                ErpSyncStatus::Pending => 0,
                ErpSyncStatus::Synced => 1,
                ErpSyncStatus::Failed => 2,
                ErpSyncStatus::Dead => 8,
            },
            erp_last_error: match erp {
                ErpSyncStatus::Failed => Some("The ERP timed out".to_owned()),
                ErpSyncStatus::Dead => {
                    Some("The ERP refused the order: unknown customer".to_owned())
                }
                _ => None,
            },
            created_at,
            updated_at: accepted_at.or(delivered_at).unwrap_or(created_at),
        });
    }
    Ok(orders)
}

/// One receivable, invoiced and paid as far as its age makes likely (all
/// of it for a completed contract); returns when it was settled.
#[allow(clippy::too_many_arguments)]
fn receivable_rows(
    rng: &mut Seeded,
    rows: &mut Rows,
    contract_id: Uuid,
    account: &Account,
    order_id: Option<Uuid>,
    milestone: &payment_milestone::Model,
    currency: &str,
    amount: i64,
    at: DateTime<Utc>,
    completed: bool,
    remittance: &mut u64,
) -> Option<DateTime<Utc>> {
    let id = rng.id_at(at);
    let due_date = at.date_naive() + Duration::days(i64::from(milestone.due_days));
    let invoiced = completed || (rng.now - at > Duration::days(2) && rng.chance(0.95));
    let invoiced_at = invoiced.then(|| rng.later(at, 0, 2));
    let billing_invoice_id =
        (invoiced && rng.chance(0.6)).then(|| format!("in_{:016x}", id.as_u128() as u64));
    let overdue = due_date < rng.as_of;
    // What share of the amount gets paid: all, part, or nothing.
    let paid_share = match invoiced_at {
        None => 0,
        Some(_) if completed => 100,
        Some(_) if overdue => rng.weighted(&[(100, 70), (50, 10), (0, 20)]),
        Some(_) => rng.weighted(&[(100, 25), (50, 5), (0, 70)]),
    };
    let mut paid = 0_i64;
    let mut last_payment = None;
    if let Some(invoiced_at) = invoiced_at
        && paid_share > 0
    {
        let target = if paid_share == 100 {
            amount
        } else {
            (amount * rng.int(20..=80) / 100).max(1)
        };
        let instalments = if paid_share == 100 && rng.chance(0.2) && target > 1 {
            let first = (target * rng.int(30..=70) / 100).max(1);
            vec![first, target - first]
        } else {
            vec![target]
        };
        let mut when = invoiced_at;
        for part in instalments {
            when = rng.later(when, 3, 45);
            *remittance += 1;
            rows.payments.push(payment::Model {
                id: rng.id_at(when),
                receivable_id: id,
                amount_minor: part,
                currency: currency.to_owned(),
                received_at: when,
                reference: format!("REM-{:08}", *remittance),
                source: if billing_invoice_id.is_some() {
                    PaymentSource::Billing
                } else {
                    PaymentSource::Manual
                },
                recorded_by: if billing_invoice_id.is_some() {
                    "billing-sync".to_owned()
                } else {
                    "finance-01".to_owned()
                },
                created_at: when,
            });
            paid += part;
        }
        last_payment = Some(when);
    }
    let written_off = !completed
        && paid == 0
        && invoiced
        && (rng.as_of - due_date).num_days() > 120
        && rng.chance(0.05);
    let status = if written_off {
        ReceivableStatus::WrittenOff
    } else if paid == amount {
        ReceivableStatus::Paid
    } else if paid > 0 {
        ReceivableStatus::PartiallyPaid
    } else if invoiced {
        ReceivableStatus::Invoiced
    } else {
        ReceivableStatus::Planned
    };
    let closed_at = written_off.then(|| rng.later(at, 120, 200));
    let billing_status = billing_invoice_id.as_ref().map(|_| {
        match status {
            ReceivableStatus::Paid => "paid",
            ReceivableStatus::WrittenOff => "uncollectible",
            _ => "open",
        }
        .to_owned()
    });
    rows.receivables.push(receivable::Model {
        id,
        contract_id,
        account_id: account.id,
        purchase_order_id: order_id,
        milestone_id: milestone.id,
        trigger: milestone.trigger,
        status,
        currency: currency.to_owned(),
        amount_minor: amount,
        paid_minor: paid,
        due_date,
        billing_synced_at: billing_invoice_id
            .as_ref()
            .map(|_| last_payment.unwrap_or(at)),
        billing_invoice_id,
        invoiced_at,
        billing_status,
        billing_flag: None,
        closed_reason: written_off.then(|| "uncollectible".to_owned()),
        closed_at,
        // Payments run later one after another, so the last is the latest.
        settled_at: match status {
            ReceivableStatus::Paid => last_payment,
            _ => closed_at,
        },
        created_at: at,
        updated_at: closed_at.or(last_payment).or(invoiced_at).unwrap_or(at),
    });
    if status == ReceivableStatus::Paid {
        last_payment
    } else {
        None
    }
}
