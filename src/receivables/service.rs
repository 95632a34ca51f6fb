//! Finance's work on receivables: linking invoices, recording payments,
//! writing off. Every change is checked, guarded against concurrent
//! changes, and recorded in the history.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    enums::{PaymentSource, ReceivableStatus, SubjectKind},
    payment, receivable,
};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::repo::{self, ListFilter, OWED};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    connectors::billing::Invoice,
    db::visible,
    db::{self, Counter, Page, PageRequest, SortValue},
    history::repo::{Transition, record},
    input::{self, REF_MAX, TEXT_MAX},
    money::{Currency, Money},
    receivables::billing_sync::reconcile,
};

/// The schema's spelling of a status, as the history stores it.
pub fn status_name(status: ReceivableStatus) -> &'static str {
    match status {
        ReceivableStatus::Planned => "PLANNED",
        ReceivableStatus::Invoiced => "INVOICED",
        ReceivableStatus::PartiallyPaid => "PARTIALLY_PAID",
        ReceivableStatus::Paid => "PAID",
        ReceivableStatus::WrittenOff => "WRITTEN_OFF",
        ReceivableStatus::Cancelled => "CANCELLED",
    }
}

/// Days past due on `today`, for a receivable still owed; 0 otherwise.
pub fn days_overdue(row: &receivable::Model, today: NaiveDate) -> i64 {
    if OWED.contains(&row.status) && row.due_date < today {
        (today - row.due_date).num_days()
    } else {
        0
    }
}

/// For reads: [`visible::get_as`] with the aggregate's read capability.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<receivable::Model> {
    get_as(db, actor, Capability::ReadReceivables, id).await
}

/// [`visible::get_as`] for this aggregate; the connectors call it.
pub async fn get_as(
    db: &impl ConnectionTrait,
    actor: &Actor,
    capability: Capability,
    id: Uuid,
) -> Result<receivable::Model> {
    visible::get_as::<receivable::Entity>(db, actor, capability, id).await
}

/// [`get_as`], then the row locked for the rest of the transaction (on
/// PostgreSQL), so two concurrent payments or syncs cannot both add to
/// `paid_minor` from the same starting point.
async fn get_for_update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    capability: Capability,
    id: Uuid,
) -> Result<receivable::Model> {
    get_as(db, actor, capability, id).await?;
    repo::find_for_update(db, id)
        .await?
        .ok_or(Error::NotFound("receivable"))
}

fn not_in_future(field: &str, at: DateTime<Utc>) -> Result<()> {
    if at > Utc::now() + chrono::Duration::minutes(5) {
        return Err(Error::validation(field, "must not be in the future"));
    }
    Ok(())
}

/// Writes the change and records the transition if the status moved.
async fn save(
    db: &impl ConnectionTrait,
    actor: &Actor,
    before: &receivable::Model,
    mut after: receivable::Model,
    reason: Option<&str>,
) -> Result<receivable::Model> {
    after.updated_at = db::now();
    if !repo::update_if_status(db, after.clone(), before.status).await? {
        return Err(Error::Conflict(
            "the receivable changed meanwhile; read it again".into(),
        ));
    }
    if after.status != before.status {
        record(
            db,
            actor,
            Transition {
                kind: SubjectKind::Receivable,
                subject_id: after.id,
                from: Some(status_name(before.status)),
                to: status_name(after.status),
                reason,
            },
        )
        .await?;
    }
    crate::events::publish(db, crate::events::receivable_saved(before, &after)).await?;
    Ok(after)
}

/// `PLANNED → INVOICED`: the billing system's invoice for this receivable.
pub async fn link_invoice(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    billing_invoice_id: &str,
    invoiced_at: DateTime<Utc>,
) -> Result<receivable::Model> {
    actor.require(Capability::ManageReceivables)?;
    let invoice = input::required("billingInvoiceId", billing_invoice_id, REF_MAX)?;
    not_in_future("invoicedAt", invoiced_at)?;
    let txn = db::begin_write(db).await?;
    let before = get_for_update(&txn, actor, Capability::ManageReceivables, id).await?;
    if before.status != ReceivableStatus::Planned {
        return Err(Error::InvalidTransition {
            from: status_name(before.status).into(),
            to: "INVOICED".into(),
        });
    }
    let mut after = before.clone();
    after.status = ReceivableStatus::Invoiced;
    after.billing_invoice_id = Some(invoice);
    after.invoiced_at = Some(invoiced_at);
    let saved = save(&txn, actor, &before, after, None).await?;
    txn.commit().await?;
    Ok(saved)
}

pub struct NewPayment {
    pub amount: Decimal,
    pub currency: String,
    pub received_at: DateTime<Utc>,
    pub reference: String,
}

/// Records cash against an invoiced receivable: `INVOICED | PARTIALLY_PAID →
/// PARTIALLY_PAID | PAID`. Never more than is outstanding; the same reference
/// again returns the first payment.
pub async fn record_payment(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    new: NewPayment,
) -> Result<(payment::Model, receivable::Model)> {
    actor.require(Capability::ManageReceivables)?;
    let reference = input::required("reference", &new.reference, REF_MAX)?;
    let txn = db::begin_write(db).await?;
    let before = get_for_update(&txn, actor, Capability::ManageReceivables, id).await?;
    let currency = Currency::parse("amount.currency", &before.currency)?;
    if new.currency != before.currency {
        return Err(Error::validation(
            "amount.currency",
            format!("the receivable is in {}", before.currency),
        ));
    }
    let money = Money::parse("amount", new.amount, currency.code())?;
    let amount_minor = money.to_minor()?;
    if let Some(first) = repo::payment_by_reference(&txn, id, &reference).await? {
        if first.amount_minor != amount_minor {
            return Err(Error::Conflict(format!(
                "reference {reference} was already used for another amount"
            )));
        }
        return Ok((first, before));
    }
    if amount_minor <= 0 {
        return Err(Error::validation("amount.amount", "must be more than zero"));
    }
    not_in_future("receivedAt", new.received_at)?;
    if !matches!(
        before.status,
        ReceivableStatus::Invoiced | ReceivableStatus::PartiallyPaid
    ) {
        return Err(Error::InvalidTransition {
            from: status_name(before.status).into(),
            to: "PAID".into(),
        });
    }
    let outstanding = before.amount_minor - before.paid_minor;
    if amount_minor > outstanding {
        return Err(Error::validation(
            "amount.amount",
            format!(
                "only {} {} is outstanding",
                Money::from_minor(outstanding, currency).amount,
                currency.code()
            ),
        ));
    }
    let payment = repo::insert_payment(
        &txn,
        payment::Model {
            id: db::new_id(),
            receivable_id: id,
            amount_minor,
            currency: before.currency.clone(),
            received_at: new.received_at,
            reference,
            source: PaymentSource::Manual,
            recorded_by: actor.sub.clone(),
            created_at: db::now(),
        },
    )
    .await?;
    let mut after = before.clone();
    after.paid_minor += amount_minor;
    after.status = if after.paid_minor == after.amount_minor {
        after.settled_at = repo::last_payment_received(&txn, id).await?;
        ReceivableStatus::Paid
    } else {
        ReceivableStatus::PartiallyPaid
    };
    let saved = save(&txn, actor, &before, after, None).await?;
    txn.commit().await?;
    Ok((payment, saved))
}

/// Applies what the billing system reports for the receivable's invoice, in
/// one transaction with the row locked (see `billing_sync::reconcile`
/// for the rules): new paid amounts become `BILLING` payments, the status
/// follows as for [`record_payment`], the billing status, sync time and flag
/// are written. The caller fetched `invoice` outside any transaction and has
/// checked who may do this; `actor` is who the history and payments name.
/// `CONFLICT` if the receivable was linked to another invoice meanwhile,
/// `INVALID_TRANSITION` if it is no longer invoiced, partly paid or paid.
pub async fn apply_billing_snapshot(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    invoice: &Invoice,
) -> Result<receivable::Model> {
    let txn = db::begin_write(db).await?;
    let before = repo::find_for_update(&txn, id)
        .await?
        .ok_or(Error::NotFound("receivable"))?;
    if before.billing_invoice_id.as_deref() != Some(invoice.id.as_str()) {
        return Err(Error::Conflict(
            "the receivable's invoice changed meanwhile; read it again".into(),
        ));
    }
    if !reconcile::SYNCABLE.contains(&before.status) {
        return Err(Error::InvalidTransition {
            from: status_name(before.status).into(),
            to: "PAID".into(),
        });
    }
    let recorded = repo::payments_for(&txn, &[id]).await?;
    let now = db::now();
    let plan = reconcile::plan(&before, &recorded, invoice, now);
    let mut after = before.clone();
    let mut last_received = recorded.iter().map(|p| p.received_at).max();
    for new in plan.payments {
        last_received = last_received.max(Some(new.received_at));
        repo::insert_payment(
            &txn,
            payment::Model {
                id: db::new_id(),
                receivable_id: id,
                amount_minor: new.amount_minor,
                currency: before.currency.clone(),
                received_at: new.received_at,
                reference: new.reference,
                source: PaymentSource::Billing,
                recorded_by: actor.sub.clone(),
                created_at: now,
            },
        )
        .await?;
        after.paid_minor += new.amount_minor;
    }
    if after.paid_minor != before.paid_minor {
        after.status = if after.paid_minor == after.amount_minor {
            after.settled_at = last_received;
            ReceivableStatus::Paid
        } else {
            ReceivableStatus::PartiallyPaid
        };
    }
    after.billing_status = Some(invoice.status.clone());
    after.billing_synced_at = Some(now);
    after.billing_flag = plan.flag.map(str::to_owned);
    let reason = format!("billing invoice {} is {}", invoice.id, invoice.status);
    let saved = save(&txn, actor, &before, after, Some(&reason)).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Gives up on what is still owed. Finance or admin only.
pub async fn write_off(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<receivable::Model> {
    actor.require(Capability::WriteOff)?;
    let reason = input::required("reason", reason, TEXT_MAX)?;
    let txn = db::begin_write(db).await?;
    let before = get_for_update(&txn, actor, Capability::WriteOff, id).await?;
    if !OWED.contains(&before.status) {
        return Err(Error::InvalidTransition {
            from: status_name(before.status).into(),
            to: "WRITTEN_OFF".into(),
        });
    }
    let mut after = before.clone();
    after.status = ReceivableStatus::WrittenOff;
    let now = db::now();
    after.closed_reason = Some(reason.clone());
    after.closed_at = Some(now);
    after.settled_at = Some(now);
    let saved = save(&txn, actor, &before, after, Some(&reason)).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: ListFilter,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<receivable::Model>, Counter)> {
    let visibility = actor.visibility(Capability::ReadReceivables)?;
    let page = page.ordered("DueDate", &direction, |k| matches!(k, SortValue::Date(_)))?;
    let select = repo::list_query(&visibility, &filter);
    let rows = db::fetch_page(
        db,
        select.clone(),
        receivable::Column::DueDate,
        receivable::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}
