//! Quote, quote-line and (read-only) catalogue rows: the only code of this
//! aggregate that touches `sea_orm`.

use chrono::NaiveDate;
use entity::{enums::QuoteStatus, price, product, quote, quote_line};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::lifecycle::LAPSING;
use crate::{Result, auth::Visibility, db::visible::Visible, opportunities::repo::follows_deal};

impl Visible for quote::Entity {
    const NAME: &'static str = "quote";
    const ID: quote::Column = quote::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        follows_deal(quote::Column::OpportunityId, visibility)
    }
}

/// The accepted quote of each of these deals (at most one each, by a
/// partial unique index). Callers already see the deals.
pub async fn accepted_of(
    db: &impl ConnectionTrait,
    opportunity_ids: &[Uuid],
) -> Result<Vec<quote::Model>> {
    Ok(quote::Entity::find()
        .filter(quote::Column::OpportunityId.is_in(opportunity_ids.iter().copied()))
        .filter(quote::Column::Status.eq(QuoteStatus::Accepted))
        .all(db)
        .await?)
}

/// The lines of these quotes, in order.
pub async fn lines_of(
    db: &impl ConnectionTrait,
    quote_ids: &[Uuid],
) -> Result<Vec<quote_line::Model>> {
    Ok(quote_line::Entity::find()
        .filter(quote_line::Column::QuoteId.is_in(quote_ids.iter().copied()))
        .order_by_asc(quote_line::Column::QuoteId)
        .order_by_asc(quote_line::Column::Position)
        .all(db)
        .await?)
}

/// The highest version among the opportunity's quotes; 0 when it has none.
pub async fn max_version(db: &impl ConnectionTrait, opportunity_id: Uuid) -> Result<i32> {
    let max: Option<Option<i32>> = quote::Entity::find()
        .select_only()
        .column_as(quote::Column::Version.max(), "max_version")
        .filter(quote::Column::OpportunityId.eq(opportunity_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

/// The opportunity's accepted quote, if it has one.
pub async fn accepted_for(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
) -> Result<Option<quote::Model>> {
    Ok(quote::Entity::find()
        .filter(quote::Column::OpportunityId.eq(opportunity_id))
        .filter(quote::Column::Status.eq(QuoteStatus::Accepted))
        .one(db)
        .await?)
}

/// Products by id, each with its list price in `currency` if it has one.
pub async fn products_priced_in(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
    currency: &str,
) -> Result<Vec<(product::Model, Option<price::Model>)>> {
    let products = products(db, product_ids).await?;
    let prices = price::Entity::find()
        .filter(price::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(price::Column::Currency.eq(currency))
        .all(db)
        .await?;
    Ok(products
        .into_iter()
        .map(|p| {
            let price = prices.iter().find(|pr| pr.product_id == p.id).cloned();
            (p, price)
        })
        .collect())
}

pub async fn products(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<product::Model>> {
    Ok(product::Entity::find()
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn insert(db: &impl ConnectionTrait, row: quote::Model) -> Result<quote::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

pub async fn insert_lines(db: &impl ConnectionTrait, lines: Vec<quote_line::Model>) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    quote_line::Entity::insert_many(lines.into_iter().map(|l| l.into_active_model().reset_all()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn delete_lines(db: &impl ConnectionTrait, quote_id: Uuid) -> Result<()> {
    quote_line::Entity::delete_many()
        .filter(quote_line::Column::QuoteId.eq(quote_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes the whole row if its status is still `expected`; false when a
/// concurrent change got there first.
pub async fn update_if_status(
    db: &impl ConnectionTrait,
    row: quote::Model,
    expected: QuoteStatus,
) -> Result<bool> {
    let id = row.id;
    let result = quote::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(quote::Column::Id.eq(id))
        .filter(quote::Column::Status.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub struct ListFilter {
    pub opportunity_id: Option<Uuid>,
    /// Matched against the status the API shows: a lapsed quote is `EXPIRED`.
    pub status: Option<QuoteStatus>,
}

/// Rows whose effective status (see `lifecycle::effective_status`) is `status`.
fn with_status(status: QuoteStatus, today: NaiveDate) -> Condition {
    if status == QuoteStatus::Expired {
        Condition::any()
            .add(quote::Column::Status.eq(QuoteStatus::Expired))
            .add(
                Condition::all()
                    .add(quote::Column::Status.is_in(LAPSING))
                    .add(quote::Column::ValidUntil.lt(today)),
            )
    } else if LAPSING.contains(&status) {
        Condition::all()
            .add(quote::Column::Status.eq(status))
            .add(quote::Column::ValidUntil.gte(today))
    } else {
        Condition::all().add(quote::Column::Status.eq(status))
    }
}

pub fn list_query(
    visibility: &Visibility,
    filter: &ListFilter,
    today: NaiveDate,
) -> Select<quote::Entity> {
    let mut cond = Condition::all().add(follows_deal(quote::Column::OpportunityId, visibility));
    if let Some(opportunity) = filter.opportunity_id {
        cond = cond.add(quote::Column::OpportunityId.eq(opportunity));
    }
    if let Some(status) = filter.status {
        cond = cond.add(with_status(status, today));
    }
    quote::Entity::find().filter(cond)
}
