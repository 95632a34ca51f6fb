//! Opportunity and team rows: the only code that queries the
//! `opportunities` and `opportunity_team_members` tables.

use chrono::NaiveDate;
use entity::{
    account, contract,
    enums::{OpportunityStage, TeamRole},
    opportunity, quote, team_member,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Select,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    Result,
    auth::Visibility,
    db::visible::{self, Visible},
};

fn team_opportunity_ids(user: &str) -> SelectStatement {
    Query::select()
        .column(team_member::Column::OpportunityId)
        .from(team_member::Entity)
        .and_where(team_member::Column::UserId.eq(user))
        .to_owned()
}

fn owned_account_ids(user: &str) -> SelectStatement {
    Query::select()
        .column(account::Column::Id)
        .from(account::Entity)
        .and_where(account::Column::OwnerId.eq(user))
        .to_owned()
}

/// A sales user sees the opportunities they are on the team of, or whose account they own.
pub fn visible(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(user) => Condition::any()
            .add(opportunity::Column::Id.in_subquery(team_opportunity_ids(user)))
            .add(opportunity::Column::AccountId.in_subquery(owned_account_ids(user))),
    }
}

/// Ids of the deals a caller with this visibility sees.
fn visible_ids(visibility: &Visibility) -> SelectStatement {
    Query::select()
        .column(opportunity::Column::Id)
        .from(opportunity::Entity)
        .cond_where(visible(visibility))
        .to_owned()
}

/// Records follow their deal: whoever sees the opportunity sees the rows
/// whose `deal` column (an opportunity id) names it. Quotes and contracts
/// follow it directly, POs and receivables through their contract
/// ([`follows_deal_through_contract`]).
pub fn follows_deal(deal: impl ColumnTrait, visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(_) => Condition::all().add(deal.in_subquery(visible_ids(visibility))),
    }
}

/// [`follows_deal`] for rows whose `contract` column names a contract.
pub fn follows_deal_through_contract(
    contract: impl ColumnTrait,
    visibility: &Visibility,
) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::OwnedBy(_) => Condition::all().add(
            contract.in_subquery(
                Query::select()
                    .column(contract::Column::Id)
                    .from(contract::Entity)
                    .cond_where(follows_deal(contract::Column::OpportunityId, visibility))
                    .to_owned(),
            ),
        ),
    }
}

impl Visible for opportunity::Entity {
    const NAME: &'static str = "opportunity";
    const ID: opportunity::Column = opportunity::Column::Id;

    fn visible(visibility: &Visibility) -> Condition {
        visible(visibility)
    }
}

/// [`visible::find`] for this table; `events::access` calls it.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<opportunity::Model>> {
    visible::find::<opportunity::Entity>(db, visibility, id).await
}

pub async fn visible_for_accounts(
    db: &impl ConnectionTrait,
    visibility: &Visibility,
    account_ids: &[Uuid],
) -> Result<Vec<opportunity::Model>> {
    Ok(opportunity::Entity::find()
        .filter(opportunity::Column::AccountId.is_in(account_ids.iter().copied()))
        .filter(visible(visibility))
        .order_by_asc(opportunity::Column::Id)
        .all(db)
        .await?)
}

pub async fn teams(
    db: &impl ConnectionTrait,
    opportunity_ids: &[Uuid],
) -> Result<Vec<team_member::Model>> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::OpportunityId.is_in(opportunity_ids.iter().copied()))
        .order_by_asc(team_member::Column::AddedAt)
        .all(db)
        .await?)
}

/// A parsed list filter; amounts are already in the currency's minor units.
#[derive(Default)]
pub struct ListFilter {
    /// Any of these stages; empty means all.
    pub stages: Vec<OpportunityStage>,
    pub account_id: Option<Uuid>,
    /// Deals with this user on their team, in any role.
    pub team_member_id: Option<String>,
    /// Expected to close on or after this day.
    pub close_on_or_after: Option<NaiveDate>,
    /// Expected to close before this day.
    pub close_before: Option<NaiveDate>,
    /// Deals whose amount is in this currency.
    pub currency: Option<String>,
    pub amount_min_minor: Option<i64>,
    pub amount_max_minor: Option<i64>,
    /// Only deals with an amount (ordering by amount needs one).
    pub has_amount: bool,
}

pub fn list_query(visibility: &Visibility, filter: &ListFilter) -> Select<opportunity::Entity> {
    let mut cond = Condition::all().add(visible(visibility));
    if !filter.stages.is_empty() {
        cond = cond.add(opportunity::Column::Stage.is_in(filter.stages.iter().copied()));
    }
    if let Some(account) = filter.account_id {
        cond = cond.add(opportunity::Column::AccountId.eq(account));
    }
    if let Some(user) = &filter.team_member_id {
        cond = cond.add(opportunity::Column::Id.in_subquery(team_opportunity_ids(user)));
    }
    if let Some(day) = filter.close_on_or_after {
        cond = cond.add(opportunity::Column::ExpectedCloseDate.gte(day));
    }
    if let Some(day) = filter.close_before {
        cond = cond.add(opportunity::Column::ExpectedCloseDate.lt(day));
    }
    if let Some(currency) = &filter.currency {
        cond = cond.add(opportunity::Column::Currency.eq(currency.as_str()));
    }
    if let Some(min) = filter.amount_min_minor {
        cond = cond.add(opportunity::Column::AmountMinor.gte(min));
    }
    if let Some(max) = filter.amount_max_minor {
        cond = cond.add(opportunity::Column::AmountMinor.lte(max));
    }
    if filter.has_amount {
        cond = cond.add(opportunity::Column::AmountMinor.is_not_null());
    }
    opportunity::Entity::find().filter(cond)
}

/// True when any quote (in any status) was made for the opportunity.
pub async fn has_quotes(db: &impl ConnectionTrait, opportunity_id: Uuid) -> Result<bool> {
    Ok(quote::Entity::find()
        .filter(quote::Column::OpportunityId.eq(opportunity_id))
        .count(db)
        .await?
        > 0)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: opportunity::ActiveModel,
) -> Result<opportunity::Model> {
    Ok(row.insert(db).await?)
}

/// Writes the whole row if its stage is still `expected`; false when a
/// concurrent change got there first.
pub async fn update_if_stage(
    db: &impl ConnectionTrait,
    row: opportunity::Model,
    expected: OpportunityStage,
) -> Result<bool> {
    use sea_orm::IntoActiveModel;
    let id = row.id;
    let result = opportunity::Entity::update_many()
        .set(row.into_active_model().reset_all())
        .filter(opportunity::Column::Id.eq(id))
        .filter(opportunity::Column::Stage.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn insert_member(db: &impl ConnectionTrait, row: team_member::ActiveModel) -> Result<()> {
    row.insert(db).await?;
    Ok(())
}

/// Removes one user's role on a deal; the number of rows removed (0 or 1).
pub async fn delete_member(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
    user_id: &str,
    role: TeamRole,
) -> Result<u64> {
    Ok(team_member::Entity::delete_many()
        .filter(team_member::Column::OpportunityId.eq(opportunity_id))
        .filter(team_member::Column::UserId.eq(user_id))
        .filter(team_member::Column::Role.eq(role))
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes everyone holding `role` on a deal (the AR, before a new one comes in).
pub async fn delete_role(
    db: &impl ConnectionTrait,
    opportunity_id: Uuid,
    role: TeamRole,
) -> Result<u64> {
    Ok(team_member::Entity::delete_many()
        .filter(team_member::Column::OpportunityId.eq(opportunity_id))
        .filter(team_member::Column::Role.eq(role))
        .exec(db)
        .await?
        .rows_affected)
}
