//! Listing opportunities: the filters a caller may give (amounts checked
//! against their currency) and the keyset orderings.

use chrono::NaiveDate;
use entity::{enums::OpportunityStage, opportunity};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo::{self, ListFilter};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db::{self, Counter, Page, PageRequest, SortValue},
    input,
    money::{Currency, Money},
};

/// What a list of opportunities is sorted by (then by id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpportunityOrder {
    CloseDate,
    /// Amount in minor units; only deals with an amount, in one currency.
    Amount,
    UpdatedAt,
    CreatedAt,
}

/// A list filter as a caller gives it; amounts are checked against the currency.
#[derive(Default)]
pub struct ListCriteria {
    pub stages: Vec<OpportunityStage>,
    pub account_id: Option<Uuid>,
    pub team_member_id: Option<String>,
    pub expected_close_after: Option<NaiveDate>,
    pub expected_close_before: Option<NaiveDate>,
    pub currency: Option<String>,
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
}

/// Turns the caller's criteria into a query filter: amounts become minor
/// units of the named currency, which they need.
fn list_filter(criteria: ListCriteria, order: OpportunityOrder) -> Result<ListFilter> {
    let currency = criteria
        .currency
        .as_deref()
        .map(|c| Currency::parse("filter.currency", c))
        .transpose()?;
    let minor = |field: &str, amount: Option<Decimal>| -> Result<Option<i64>> {
        let Some(amount) = amount else {
            return Ok(None);
        };
        let Some(currency) = currency else {
            return Err(Error::validation(
                "filter.currency",
                "an amount range needs the currency it is in",
            ));
        };
        let money = Money::parse(field, amount, currency.code())?;
        money
            .to_minor()
            .map(Some)
            .map_err(|_| Error::validation(field, "is too large"))
    };
    let amount_min_minor = minor("filter.amountMin", criteria.amount_min)?;
    let amount_max_minor = minor("filter.amountMax", criteria.amount_max)?;
    if order == OpportunityOrder::Amount && currency.is_none() {
        return Err(Error::validation(
            "filter.currency",
            "ordering by amount compares amounts in one currency; name it",
        ));
    }
    let team_member_id = criteria
        .team_member_id
        .as_deref()
        .map(|u| input::required("filter.teamMemberId", u, input::REF_MAX))
        .transpose()?;
    Ok(ListFilter {
        stages: criteria.stages,
        account_id: criteria.account_id,
        team_member_id,
        close_on_or_after: criteria.expected_close_after,
        close_before: criteria.expected_close_before,
        currency: currency.map(|c| c.code().to_owned()),
        amount_min_minor,
        amount_max_minor,
        has_amount: order == OpportunityOrder::Amount,
    })
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    criteria: ListCriteria,
    order: OpportunityOrder,
    direction: sea_orm::Order,
    page: PageRequest,
) -> Result<(Page<opportunity::Model>, Counter)> {
    let visibility = actor.visibility(Capability::ReadAccounts)?;
    let filter = list_filter(criteria, order)?;
    let page = page.ordered(order, &direction, |k| match order {
        OpportunityOrder::CloseDate => matches!(k, SortValue::Date(_)),
        OpportunityOrder::Amount => matches!(k, SortValue::Int(_)),
        OpportunityOrder::UpdatedAt | OpportunityOrder::CreatedAt => {
            matches!(k, SortValue::Time(_))
        }
    })?;
    let sort_col = match order {
        OpportunityOrder::CloseDate => opportunity::Column::ExpectedCloseDate,
        OpportunityOrder::Amount => opportunity::Column::AmountMinor,
        OpportunityOrder::UpdatedAt => opportunity::Column::UpdatedAt,
        OpportunityOrder::CreatedAt => opportunity::Column::CreatedAt,
    };
    let select = repo::list_query(&visibility, &filter);
    let rows = db::fetch_page(
        db,
        select.clone(),
        sort_col,
        opportunity::Column::Id,
        direction,
        &page,
    )
    .await?;
    Ok((rows, db::counter(db, select)))
}

/// The cursor key of a row under `order`. Amount-ordered lists hold only
/// rows with an amount, so the `0` never reaches a cursor.
pub fn sort_key(order: OpportunityOrder, row: &opportunity::Model) -> (SortValue, Uuid) {
    let key = match order {
        OpportunityOrder::CloseDate => SortValue::Date(row.expected_close_date),
        OpportunityOrder::Amount => SortValue::Int(row.amount_minor.unwrap_or(0)),
        OpportunityOrder::UpdatedAt => SortValue::Time(row.updated_at),
        OpportunityOrder::CreatedAt => SortValue::Time(row.created_at),
    };
    (key, row.id)
}
