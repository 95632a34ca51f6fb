//! The GraphQL face of opportunities.

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, Object, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{enums, opportunity, team_member};
use uuid::Uuid;

use super::{loader::TeamLoader, repo::ListFilter, service, stage};
use crate::{
    accounts::schema::{Account, load_account},
    auth::Capability,
    db::SortValue,
    graphql::{
        context::ContextExt,
        money::MoneyOut,
        pagination::{Conn, SortDirection, connection, cost, page_request},
    },
    history::schema::{Transition, history_of},
    leads::schema::{Lead, load_lead},
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
    pub amount: Option<MoneyOut>,
    pub expected_close_date: NaiveDate,
    pub lost_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub probability_override: Option<i32>,
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
    pub stage: Option<OpportunityStage>,
    pub account_id: Option<Uuid>,
}

#[derive(Default)]
pub struct OpportunityQuery;

#[Object]
impl OpportunityQuery {
    async fn opportunity(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Opportunity> {
        Ok(service::get(ctx.db()?, ctx.actor()?, id).await?.into())
    }

    /// Opportunities the caller sees, by creation time (newest first by default).
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
        #[graphql(default)] direction: SortDirection,
    ) -> async_graphql::Result<Conn<Opportunity>> {
        let page = page_request(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let filter = ListFilter {
            stage: filter.stage.map(Into::into),
            account_id: filter.account_id,
        };
        let (rows, count) =
            service::list(ctx.db()?, ctx.actor()?, filter, direction.into(), page).await?;
        Ok(connection(
            rows,
            count,
            |r| (SortValue::Time(r.created_at), r.id),
            Opportunity::from,
        ))
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
