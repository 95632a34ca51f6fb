//! Receivable, payment and milestone rows.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{enums::ReceivableStatus, payment, payment_milestone, receivable};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{Result, auth::Visibility, purchase_orders::repo::visible_contract_ids};

/// Receivables follow their contract's deal; finance and managers see all.
pub fn visible(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(_) => Condition::all()
            .add(receivable::Column::ContractId.in_subquery(visible_contract_ids(visibility))),
    }
}

pub async fn milestones(
    db: &impl ConnectionTrait,
    contract_id: Uuid,
) -> Result<Vec<payment_milestone::Model>> {
    Ok(payment_milestone::Entity::find()
        .filter(payment_milestone::Column::ContractId.eq(contract_id))
        .order_by_asc(payment_milestone::Column::Position)
        .all(db)
        .await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: receivable::Model,
) -> Result<receivable::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

/// What a milestone has raised so far, cancelled receivables aside.
pub async fn raised_for_milestone(db: &impl ConnectionTrait, milestone_id: Uuid) -> Result<i64> {
    let amounts: Vec<i64> = receivable::Entity::find()
        .select_only()
        .column(receivable::Column::AmountMinor)
        .filter(receivable::Column::MilestoneId.eq(milestone_id))
        .filter(receivable::Column::Status.ne(ReceivableStatus::Cancelled))
        .into_tuple()
        .all(db)
        .await?;
    Ok(amounts.into_iter().sum())
}

/// Not-yet-invoiced receivables of a contract, or of one of its POs.
pub async fn planned(
    db: &impl ConnectionTrait,
    contract_id: Uuid,
    order_id: Option<Uuid>,
) -> Result<Vec<receivable::Model>> {
    let mut query = receivable::Entity::find()
        .filter(receivable::Column::ContractId.eq(contract_id))
        .filter(receivable::Column::Status.eq(ReceivableStatus::Planned));
    if let Some(order) = order_id {
        query = query.filter(receivable::Column::PurchaseOrderId.eq(order));
    }
    Ok(query.all(db).await?)
}

/// Receivables of a contract that are still open (owed and not written off).
pub async fn open_for_contract(db: &impl ConnectionTrait, contract_id: Uuid) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(receivable::Entity::find()
        .filter(receivable::Column::ContractId.eq(contract_id))
        .filter(receivable::Column::Status.is_in([
            ReceivableStatus::Planned,
            ReceivableStatus::Invoiced,
            ReceivableStatus::PartiallyPaid,
        ]))
        .count(db)
        .await?)
}

pub async fn update_if_status(
    db: &impl ConnectionTrait,
    row: receivable::Model,
    expected: ReceivableStatus,
) -> Result<bool> {
    let id = row.id;
    let result = receivable::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(receivable::Column::Id.eq(id))
        .filter(receivable::Column::Status.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<receivable::Model>> {
    Ok(receivable::Entity::find_by_id(id)
        .filter(visible(visibility))
        .one(db)
        .await?)
}

pub async fn for_contracts(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    contract_ids: &[Uuid],
) -> Result<Vec<receivable::Model>> {
    Ok(receivable::Entity::find()
        .filter(receivable::Column::ContractId.is_in(contract_ids.iter().copied()))
        .filter(visible(visibility))
        .order_by_asc(receivable::Column::Id)
        .all(db)
        .await?)
}

pub async fn for_orders(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    order_ids: &[Uuid],
) -> Result<Vec<receivable::Model>> {
    Ok(receivable::Entity::find()
        .filter(receivable::Column::PurchaseOrderId.is_in(order_ids.iter().copied()))
        .filter(visible(visibility))
        .order_by_asc(receivable::Column::Id)
        .all(db)
        .await?)
}

pub struct ListFilter {
    pub contract_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub statuses: Vec<ReceivableStatus>,
    /// Only receivables past due on this date and still owed.
    pub overdue_on: Option<NaiveDate>,
}

pub const OWED: [ReceivableStatus; 3] = [
    ReceivableStatus::Planned,
    ReceivableStatus::Invoiced,
    ReceivableStatus::PartiallyPaid,
];

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<receivable::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
    if let Some(contract) = filter.contract_id {
        cond = cond.add(receivable::Column::ContractId.eq(contract));
    }
    if let Some(account) = filter.account_id {
        cond = cond.add(receivable::Column::AccountId.eq(account));
    }
    if !filter.statuses.is_empty() {
        cond = cond.add(receivable::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(today) = filter.overdue_on {
        cond = cond
            .add(receivable::Column::DueDate.lt(today))
            .add(receivable::Column::Status.is_in(OWED));
    }
    receivable::Entity::find().filter(cond)
}

pub async fn payment_by_reference(
    db: &impl ConnectionTrait,
    receivable_id: Uuid,
    reference: &str,
) -> Result<Option<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::ReceivableId.eq(receivable_id))
        .filter(payment::Column::Reference.eq(reference))
        .one(db)
        .await?)
}

pub async fn insert_payment(
    db: &impl ConnectionTrait,
    row: payment::Model,
) -> Result<payment::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

/// When the receivable's latest payment arrived (by its date of receipt,
/// not the order in which payments were recorded).
pub async fn last_payment_received(
    db: &impl ConnectionTrait,
    receivable_id: Uuid,
) -> Result<Option<DateTime<Utc>>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::ReceivableId.eq(receivable_id))
        .order_by_desc(payment::Column::ReceivedAt)
        .one(db)
        .await?
        .map(|p| p.received_at))
}

pub async fn payments_for(
    db: &impl ConnectionTrait,
    receivable_ids: &[Uuid],
) -> Result<Vec<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::ReceivableId.is_in(receivable_ids.iter().copied()))
        .order_by_asc(payment::Column::ReceivedAt)
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?)
}

/// Receivables counted as owed at `as_of` in `currency`: invoiced by then,
/// not cancelled, not written off by then.
fn owed_at(visibility: &Visibility, as_of: DateTime<Utc>, currency: &str) -> Condition {
    Condition::all()
        .add(visible(visibility))
        .add(receivable::Column::Currency.eq(currency))
        .add(receivable::Column::InvoicedAt.lte(as_of))
        .add(receivable::Column::Status.ne(ReceivableStatus::Cancelled))
        .add(
            Condition::any()
                .add(receivable::Column::Status.ne(ReceivableStatus::WrittenOff))
                .add(receivable::Column::ClosedAt.gt(as_of)),
        )
}

/// Invoiced amounts owed at `as_of`, summed per account and due date.
pub async fn invoiced_by_account_and_due(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    as_of: DateTime<Utc>,
    currency: &str,
) -> Result<Vec<(Uuid, NaiveDate, i64)>> {
    Ok(receivable::Entity::find()
        .select_only()
        .column(receivable::Column::AccountId)
        .column(receivable::Column::DueDate)
        .column_as(
            Expr::col(receivable::Column::AmountMinor)
                .sum()
                .cast_as("BIGINT"),
            "amount",
        )
        .filter(owed_at(visibility, as_of, currency))
        .group_by(receivable::Column::AccountId)
        .group_by(receivable::Column::DueDate)
        .into_tuple()
        .all(db)
        .await?)
}

/// Payments received by `as_of` on those receivables, summed per account and due date.
pub async fn paid_by_account_and_due(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    as_of: DateTime<Utc>,
    currency: &str,
) -> Result<Vec<(Uuid, NaiveDate, i64)>> {
    let paid = payment::Entity::find()
        .select_only()
        .column_as(
            Expr::col((receivable::Entity, receivable::Column::AccountId)),
            "account_id",
        )
        .column_as(
            Expr::col((receivable::Entity, receivable::Column::DueDate)),
            "due_date",
        )
        .column_as(
            Expr::col((payment::Entity, payment::Column::AmountMinor))
                .sum()
                .cast_as("BIGINT"),
            "amount",
        )
        .join(sea_orm::JoinType::InnerJoin, payment_to_receivable())
        .filter(owed_at(visibility, as_of, currency))
        .filter(payment::Column::ReceivedAt.lte(as_of))
        .group_by(Expr::col((
            receivable::Entity,
            receivable::Column::AccountId,
        )))
        .group_by(Expr::col((receivable::Entity, receivable::Column::DueDate)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(paid)
}

fn payment_to_receivable() -> sea_orm::RelationDef {
    payment::Entity::belongs_to(receivable::Entity)
        .from(payment::Column::ReceivableId)
        .to(receivable::Column::Id)
        .into()
}

/// Sum of the amounts invoiced in `(from, to]` in `currency`: the credit sales DSO divides by.
pub async fn invoiced_between(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    currency: &str,
) -> Result<i64> {
    let total: Option<i64> = receivable::Entity::find()
        .select_only()
        .column_as(
            Expr::col(receivable::Column::AmountMinor)
                .sum()
                .cast_as("BIGINT"),
            "amount",
        )
        .filter(visible(visibility))
        .filter(receivable::Column::Currency.eq(currency))
        .filter(receivable::Column::InvoicedAt.gt(from))
        .filter(receivable::Column::InvoicedAt.lte(to))
        .filter(receivable::Column::Status.ne(ReceivableStatus::Cancelled))
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    Ok(total.unwrap_or(0))
}

/// The receivable, locked against other writers until the transaction ends
/// (`FOR UPDATE` on PostgreSQL; SQLite's write transaction already is).
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<receivable::Model>> {
    Ok(receivable::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?)
}

/// Invoiced receivables not yet paid in full, with a billing invoice, in id
/// order after `after`: what the periodic billing sync visits.
pub async fn due_for_billing_sync(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<receivable::Model>> {
    let mut query = receivable::Entity::find()
        .filter(
            receivable::Column::Status
                .is_in([ReceivableStatus::Invoiced, ReceivableStatus::PartiallyPaid]),
        )
        .filter(receivable::Column::BillingInvoiceId.is_not_null());
    if let Some(after) = after {
        query = query.filter(receivable::Column::Id.gt(after));
    }
    Ok(query
        .order_by_asc(receivable::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
