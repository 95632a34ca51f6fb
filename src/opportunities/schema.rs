//! The GraphQL face of opportunities.

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject,
    dataloader::DataLoader,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{enums, opportunity, team_member};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    lifecycle,
    listing::{self, ListCriteria, OpportunityOrder},
    loader::TeamLoader,
    service::{self, NewOpportunity, OpportunityPatch},
    stage, team,
};
use crate::{
    accounts::schema::{Account, load_account},
    auth::Capability,
    graphql::{
        context::ContextExt,
        money::{MoneyInput, MoneyOut},
        pagination::{Conn, SortDirection, cost, page_request, paged},
    },
    history::schema::{Transition, history_of},
    leads::schema::{Lead, load_lead},
    quotes::schema::{Quote, load_accepted_quote},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::OpportunityStage")]
pub enum OpportunityStage {
    Discover,
    Qualify,
    Propose,
    Negotiate,
    Won,
    Lost,
}

/// The iron triangle: account, solution and fulfilment responsible.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::TeamRole")]
pub enum TeamRole {
    Ar,
    Sr,
    Fr,
}

#[derive(SimpleObject)]
pub struct TeamMember {
    pub user_id: String,
    pub role: TeamRole,
    pub added_at: DateTime<Utc>,
}

impl From<team_member::Model> for TeamMember {
    fn from(m: team_member::Model) -> Self {
        TeamMember {
            user_id: m.user_id,
            role: m.role.into(),
            added_at: m.added_at,
        }
    }
}

/// A deal being pursued with an account.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Opportunity {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub stage: OpportunityStage,
    /// The primary quote's total once the deal has a quote, else as entered.
    pub amount: Option<MoneyOut>,
    pub expected_close_date: NaiveDate,
    /// Why the deal was lost; null unless it is LOST.
    pub lost_reason: Option<String>,
    /// The stage a LOST deal was in, where reopening returns it.
    pub lost_from_stage: Option<OpportunityStage>,
    /// The probability set for this deal, overriding its stage's default;
    /// null when the default applies.
    pub probability_override: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub lead_id: Option<Uuid>,
}

impl From<opportunity::Model> for Opportunity {
    fn from(m: opportunity::Model) -> Self {
        Opportunity {
            amount: MoneyOut::from_minor(m.amount_minor, m.currency.as_deref()),
            id: m.id,
            account_id: m.account_id,
            name: m.name,
            stage: m.stage.into(),
            expected_close_date: m.expected_close_date,
            lost_reason: m.lost_reason,
            lost_from_stage: m.lost_from_stage.map(Into::into),
            created_at: m.created_at,
            updated_at: m.updated_at,
            probability_override: m.probability_override,
            lead_id: m.lead_id,
        }
    }
}

#[ComplexObject]
impl Opportunity {
    /// Win probability in percent: the override if set, else the stage's default.
    async fn probability(&self) -> i32 {
        self.probability_override
            .unwrap_or_else(|| stage::default_probability(self.stage.into()))
    }

    /// Who leads the deal at its current stage.
    async fn leading_role(&self) -> TeamRole {
        stage::leading_role(self.stage.into()).into()
    }

    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        load_account(ctx, Some(self.account_id)).await
    }

    /// The lead this deal came from, if the caller may read leads.
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        load_lead(ctx, self.lead_id).await
    }

    /// The quote the customer accepted, which the contract follows; null
    /// until one is accepted.
    async fn accepted_quote(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Quote>> {
        load_accepted_quote(ctx, self.id).await
    }

    /// The deal team, in the order its members joined.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TeamMember>> {
        let loader = ctx.data::<DataLoader<TeamLoader>>()?;
        Ok(loader
            .load_one(self.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(TeamMember::from)
            .collect())
    }

    /// Every stage change, oldest first.
    #[graphql(complexity = "crate::graphql::pagination::nested_list_cost(child_complexity)")]
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Transition>> {
        history_of(ctx, self.id).await
    }
}

#[derive(InputObject, Default)]
pub struct OpportunityFilter {
    /// Any of these stages.
    #[graphql(default)]
    pub stage: Vec<OpportunityStage>,
    pub account_id: Option<Uuid>,
    /// Deals with this user on their team, in any role.
    pub team_member_id: Option<String>,
    /// Expected to close on or after this day.
    pub expected_close_after: Option<NaiveDate>,
    /// Expected to close before this day (exclusive).
    pub expected_close_before: Option<NaiveDate>,
    /// Deals whose amount is in this ISO 4217 currency. Required with
    /// `amountMin`/`amountMax` and with ordering by `AMOUNT`.
    pub currency: Option<String>,
    /// At least this amount (inclusive), in `currency`.
    pub amount_min: Option<Decimal>,
    /// At most this amount (inclusive), in `currency`.
    pub amount_max: Option<Decimal>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OpportunityOrderField {
    /// The expected close date.
    CloseDate,
    /// The amount. Lists only deals that have one, in `filter.currency`
    /// (which it needs, so amounts compare like with like).
    Amount,
    UpdatedAt,
    CreatedAt,
}

#[derive(InputObject)]
pub struct OpportunityOrderBy {
    pub field: OpportunityOrderField,
    #[graphql(default)]
    pub direction: SortDirection,
}

#[derive(Default)]
pub struct OpportunityQuery;

#[Object]
impl OpportunityQuery {
    async fn opportunity(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Opportunity> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Opportunities the caller sees; newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn opportunities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<OpportunityFilter>,
        order_by: Option<OpportunityOrderBy>,
    ) -> async_graphql::Result<Conn<Opportunity>> {
        let page = page_request(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let (order, direction) = match order_by {
            Some(o) => (
                match o.field {
                    OpportunityOrderField::CloseDate => OpportunityOrder::CloseDate,
                    OpportunityOrderField::Amount => OpportunityOrder::Amount,
                    OpportunityOrderField::UpdatedAt => OpportunityOrder::UpdatedAt,
                    OpportunityOrderField::CreatedAt => OpportunityOrder::CreatedAt,
                },
                o.direction,
            ),
            None => (OpportunityOrder::CreatedAt, SortDirection::Desc),
        };
        let criteria = ListCriteria {
            stages: f.stage.into_iter().map(Into::into).collect(),
            account_id: f.account_id,
            team_member_id: f.team_member_id,
            expected_close_after: f.expected_close_after,
            expected_close_before: f.expected_close_before,
            currency: f.currency,
            amount_min: f.amount_min,
            amount_max: f.amount_max,
        };
        paged(
            listing::list(
                ctx.db()?,
                ctx.actor()?,
                criteria,
                order,
                direction.into(),
                page,
            ),
            |r| listing::sort_key(order, r),
            Opportunity::from,
        )
        .await
    }
}

#[derive(InputObject)]
pub struct CreateOpportunityInput {
    /// An account the caller sees.
    pub account_id: Uuid,
    pub name: String,
    pub expected_close_date: NaiveDate,
    /// The expected deal value, until a quote supplies it.
    pub amount: Option<MoneyInput>,
    /// Overrides the stage's default probability: 0–100.
    pub probability: Option<i32>,
}

/// Fields left out stay as they are; `null` clears the probability override
/// (back to the stage's default) or the amount.
#[derive(InputObject, Default)]
pub struct UpdateOpportunityInput {
    pub name: Option<String>,
    pub expected_close_date: Option<NaiveDate>,
    /// 0–100; `null` returns to the stage's default.
    pub probability: MaybeUndefined<i32>,
    /// Refused (`VALIDATION`, field `amount`) once the deal has a quote: the
    /// amount is then the primary quote's.
    pub amount: MaybeUndefined<MoneyInput>,
}

#[derive(Default)]
pub struct OpportunityMutation;

#[Object]
impl OpportunityMutation {
    /// Opens a deal in `DISCOVER` on an account the caller sees, with the
    /// caller as its AR.
    async fn create_opportunity(
        &self,
        ctx: &Context<'_>,
        input: CreateOpportunityInput,
    ) -> async_graphql::Result<Opportunity> {
        let new = NewOpportunity {
            account_id: input.account_id,
            name: input.name,
            expected_close_date: input.expected_close_date,
            amount: input.amount.map(|m| (m.amount, m.currency)),
            probability: input.probability,
        };
        Ok(service::create(ctx.db()?, ctx.actor()?, new).await?.into())
    }

    /// Edits an open deal (not WON or LOST).
    async fn update_opportunity(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateOpportunityInput,
    ) -> async_graphql::Result<Opportunity> {
        let patch = OpportunityPatch {
            name: input.name,
            expected_close_date: input.expected_close_date,
            probability: input.probability,
            amount: input.amount.map_value(|m| (m.amount, m.currency)),
        };
        Ok(service::update(ctx.db()?, ctx.actor()?, id, patch)
            .await?
            .into())
    }

    /// Moves an open deal forward, one stage or several:
    /// `DISCOVER → QUALIFY → PROPOSE → NEGOTIATE`. Going back, WON (reached
    /// by signing a contract) and LOST (`loseOpportunity`) are `INVALID_TRANSITION`.
    async fn advance_opportunity(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        stage: OpportunityStage,
    ) -> async_graphql::Result<Opportunity> {
        Ok(
            lifecycle::advance(ctx.db()?, ctx.actor()?, id, stage.into())
                .await?
                .into(),
        )
    }

    /// Any open stage `→ LOST`, with a reason.
    async fn lose_opportunity(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        reason: String,
    ) -> async_graphql::Result<Opportunity> {
        Ok(lifecycle::lose(ctx.db()?, ctx.actor()?, id, &reason)
            .await?
            .into())
    }

    /// `LOST →` the stage the deal was lost in.
    async fn reopen_opportunity(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Opportunity> {
        Ok(lifecycle::reopen(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Puts a user on the deal team. A new AR replaces the current one in
    /// the same step; a role the user already has is a `CONFLICT`.
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        opportunity_id: Uuid,
        user_id: String,
        role: TeamRole,
    ) -> async_graphql::Result<Opportunity> {
        Ok(team::add_member(
            ctx.db()?,
            ctx.actor()?,
            opportunity_id,
            &user_id,
            role.into(),
        )
        .await?
        .into())
    }

    /// Takes a role on the deal team away from a user. The AR cannot be
    /// removed (`VALIDATION`, field `role`), only replaced with `addTeamMember`.
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        opportunity_id: Uuid,
        user_id: String,
        role: TeamRole,
    ) -> async_graphql::Result<Opportunity> {
        Ok(team::remove_member(
            ctx.db()?,
            ctx.actor()?,
            opportunity_id,
            &user_id,
            role.into(),
        )
        .await?
        .into())
    }
}

/// Resolves a related opportunity through the batch loader; `None` when hidden.
pub async fn load_opportunity(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<Opportunity>> {
    let Some(id) = id else { return Ok(None) };
    if !ctx.actor()?.can(Capability::ReadAccounts) {
        return Ok(None);
    }
    let loader = ctx.data::<DataLoader<super::loader::OpportunityLoader>>()?;
    Ok(loader.load_one(id).await?.map(Opportunity::from))
}
