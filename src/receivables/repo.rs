//! Receivable, payment and milestone rows.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{enums::ReceivableStatus, payment, payment_milestone, receivable};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, IntoActiveModel, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select,
    sea_query::{Expr, ExprTrait, Func, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    Error, Result,
    auth::Visibility,
    db::visible::{self, Visible},
    db::{Counter, Page, PageRequest, SortValue, keyset::Position},
    opportunities::repo::follows_deal_through_contract,
};

/// Receivables follow their contract's deal; finance and managers see all.
pub fn visible(visibility: &Visibility) -> Condition {
    follows_deal_through_contract(receivable::Column::ContractId, visibility)
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

impl Visible for receivable::Entity {
    const NAME: &'static str = "receivable";
    const ID: receivable::Column = receivable::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        visible(visibility)
    }
}

/// [`visible::find`] for this table; `events::access` calls it.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<receivable::Model>> {
    visible::find::<receivable::Entity>(db, visibility, id).await
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

/// Owed amounts in minor units per aging bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct Buckets {
    pub current: i64,
    pub days_1_30: i64,
    pub days_31_60: i64,
    pub days_61_90: i64,
    pub days_over_90: i64,
}

impl Buckets {
    pub fn total(&self) -> i64 {
        self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.days_over_90
    }
}

/// What an aging report reads: the receivables of `currency` that
/// `visibility` shows, owed at `as_of`, bucketed at `bounds`.
pub struct AgingScope {
    pub visibility: Visibility,
    pub currency: String,
    /// The end of the `asOf` day.
    pub as_of: DateTime<Utc>,
    /// `asOf` and the days 30, 60 and 90 before it. The boundaries are
    /// computed here rather than with date arithmetic in SQL, which SQLite
    /// and PostgreSQL spell differently: a due date on or after the first
    /// is current, on or after the second 1–30 days late, and so on.
    pub bounds: [NaiveDate; 4],
}

/// Owed at `as_of` per account and due date, only where positive. Reads only
/// receivables still open then: one settled by `as_of` is either paid in
/// full by then (owes nothing) or written off or cancelled (never counts),
/// so the work follows what is owed, not the settled history. Payments are
/// summed per receivable up to `as_of` only, so one settled later still
/// owes at `as_of` what had not arrived by then. Netting per account and due
/// date (not per receivable) is what aging has always done; the two agree
/// since payments never exceed a receivable's amount.
fn owed_by_account_and_due(scope: &AgingScope) -> SelectStatement {
    let paid = Query::select()
        .expr(
            Expr::col((payment::Entity, payment::Column::AmountMinor))
                .sum()
                .cast_as("BIGINT"),
        )
        .from(payment::Entity)
        .and_where(
            Expr::col((payment::Entity, payment::Column::ReceivableId))
                .equals((receivable::Entity, receivable::Column::Id)),
        )
        .and_where(Expr::col((payment::Entity, payment::Column::ReceivedAt)).lte(scope.as_of))
        .to_owned();
    let owed = Expr::col((receivable::Entity, receivable::Column::AmountMinor))
        .sub(Func::coalesce([Expr::from(paid), Expr::val(0_i64)]));
    let per_receivable = receivable::Entity::find()
        .select_only()
        .column(receivable::Column::AccountId)
        .column(receivable::Column::DueDate)
        .column_as(owed, "owed")
        .filter(owed_at(&scope.visibility, scope.as_of, &scope.currency))
        .filter(
            Condition::any()
                .add(receivable::Column::SettledAt.is_null())
                .add(receivable::Column::SettledAt.gt(scope.as_of)),
        )
        .into_query();
    let per_due = Query::select()
        .column("account_id")
        .column("due_date")
        .expr_as(Expr::col("owed").sum(), "owed")
        .from_subquery(per_receivable, "r")
        .group_by_col("account_id")
        .group_by_col("due_date")
        .to_owned();
    Query::select()
        .column("account_id")
        .column("due_date")
        .column("owed")
        .from_subquery(per_due, "d")
        .and_where(Expr::col("owed").gt(0_i64))
        .to_owned()
}

/// Adds the five bucket sums (as `Buckets` reads them) and `total`.
fn bucket_sums(select: &mut SelectStatement, bounds: &[NaiveDate; 4]) {
    let due = || Expr::col("due_date");
    let sum = |when: Option<Expr>| {
        let owed = match when {
            Some(when) => Expr::case(when, Expr::col("owed")).finally(0_i64).into(),
            None => Expr::col("owed"),
        };
        Func::coalesce([owed.sum(), Expr::val(0_i64)]).cast_as("BIGINT")
    };
    let [today, minus_30, minus_60, minus_90] = *bounds;
    select
        .expr_as(sum(Some(due().gte(today))), "current")
        .expr_as(
            sum(Some(due().lt(today).and(due().gte(minus_30)))),
            "days_1_30",
        )
        .expr_as(
            sum(Some(due().lt(minus_30).and(due().gte(minus_60)))),
            "days_31_60",
        )
        .expr_as(
            sum(Some(due().lt(minus_60).and(due().gte(minus_90)))),
            "days_61_90",
        )
        .expr_as(sum(Some(due().lt(minus_90))), "days_over_90")
        .expr_as(sum(None), "total");
}

/// Overall owed at `as_of`, per bucket: one row, one statement.
pub async fn aging_overall(db: &impl ConnectionTrait, scope: &AgingScope) -> Result<Buckets> {
    let mut select = Query::select()
        .from_subquery(owed_by_account_and_due(scope), "o")
        .to_owned();
    bucket_sums(&mut select, &scope.bounds);
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| anyhow::anyhow!("an aggregate without GROUP BY returned no row"))?;
    Ok(Buckets::from_query_result(&row, "")?)
}

/// Each account with anything owed at `as_of`, with its buckets and total.
fn per_account(scope: &AgingScope) -> SelectStatement {
    let mut select = Query::select()
        .column("account_id")
        .from_subquery(owed_by_account_and_due(scope), "o")
        .group_by_col("account_id")
        .to_owned();
    bucket_sums(&mut select, &scope.bounds);
    select
}

/// How many accounts owe something at `as_of`, counted only when asked.
pub fn aging_accounts_counter(db: &DatabaseConnection, scope: &AgingScope) -> Counter {
    let count = Query::select()
        .expr(Expr::cust("COUNT(*)").cast_as("BIGINT"))
        .from_subquery(per_account(scope), "a")
        .to_owned();
    let db = db.clone();
    Box::new(move || {
        let db = db.clone();
        let count = count.clone();
        Box::pin(async move {
            let row = db
                .query_one(&count)
                .await?
                .ok_or_else(|| anyhow::anyhow!("COUNT(*) returned no row"))?;
            let n: i64 = row.try_get_by_index(0)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    })
}

/// One page of the accounts owing at `as_of`, most owed first, then by
/// account id: one statement whatever the page or the size of the book.
pub async fn aging_accounts(
    db: &impl ConnectionTrait,
    scope: &AgingScope,
    page: &PageRequest,
) -> Result<Page<(Uuid, Buckets)>> {
    let mut select = Query::select()
        .columns([
            "account_id",
            "current",
            "days_1_30",
            "days_31_60",
            "days_61_90",
            "days_over_90",
        ])
        .from_subquery(per_account(scope), "a")
        .to_owned();
    // Pages run by total descending then id ascending; "after" a position
    // is further along that order, "before" is back towards its start.
    let beyond = |at: &Position, forward: bool| -> Result<Expr> {
        let SortValue::Int(total) = at.key else {
            return Err(Error::validation(
                "after",
                "cursor was made for another orderBy",
            ));
        };
        let (past_total, past_id) = if forward {
            (
                Expr::col("total").lt(total),
                Expr::col("account_id").gt(at.id),
            )
        } else {
            (
                Expr::col("total").gt(total),
                Expr::col("account_id").lt(at.id),
            )
        };
        Ok(past_total.or(Expr::col("total").eq(total).and(past_id)))
    };
    if let Some(after) = &page.after {
        select.and_where(beyond(after, true)?);
    }
    if let Some(before) = &page.before {
        select.and_where(beyond(before, false)?);
    }
    let (by_total, by_id) = if page.from_end {
        (Order::Asc, Order::Desc)
    } else {
        (Order::Desc, Order::Asc)
    };
    select
        .order_by("total", by_total)
        .order_by("account_id", by_id)
        .limit(page.limit + 1);
    let mut rows = Vec::new();
    for row in db.query_all(&select).await? {
        let account: Uuid = row.try_get("", "account_id")?;
        rows.push((account, Buckets::from_query_result(&row, "")?));
    }
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    Ok(if page.from_end {
        rows.reverse();
        Page {
            order: page.order.clone(),
            rows,
            has_previous_page: more,
            has_next_page: page.before.is_some(),
        }
    } else {
        Page {
            order: page.order.clone(),
            rows,
            has_previous_page: page.after.is_some(),
            has_next_page: more,
        }
    })
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
