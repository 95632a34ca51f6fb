//! The GraphQL face of the reports.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    performance,
    pipeline::{self, PipelineFilter},
};
use crate::{
    graphql::{context::ContextExt, money::MoneyOut},
    money::{Currency, Money},
    opportunities::schema::{OpportunityStage, TeamRole},
};

/// A half-open time range: from inclusive, to exclusive.
#[derive(InputObject, Clone, Copy)]
pub struct PeriodInput {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct PipelineInput {
    /// Amounts are summed in this currency; deals in others are left out.
    pub currency: String,
    pub account_id: Option<Uuid>,
    pub team_member_id: Option<String>,
    pub expected_close_after: Option<NaiveDate>,
    pub expected_close_before: Option<NaiveDate>,
    /// For the conversion and win rates; default: the last 90 days.
    pub period: Option<PeriodInput>,
}

#[derive(SimpleObject)]
pub struct PipelineStage {
    pub stage: OpportunityStage,
    pub count: i64,
    pub amount: MoneyOut,
    /// Σ amount × probability.
    pub weighted_amount: MoneyOut,
}

#[derive(SimpleObject)]
pub struct Pipeline {
    pub stages: Vec<PipelineStage>,
    /// Converted ÷ created, for leads created in the period; null without leads.
    pub lead_conversion_rate: Option<Decimal>,
    /// Won ÷ (won + lost), for deals closed in the period; null without any.
    pub win_rate: Option<Decimal>,
    pub leads_created: u64,
    pub leads_converted: u64,
    pub deals_won: u64,
    pub deals_lost: u64,
}

fn out(m: Money) -> MoneyOut {
    MoneyOut {
        amount: m.amount,
        currency: m.currency.code().to_owned(),
    }
}

#[derive(SimpleObject)]
pub struct TeamPerformanceLine {
    pub user_id: String,
    pub role: TeamRole,
    /// Amount of the deals won in the period with this user on the team in this role.
    pub won: MoneyOut,
    /// Cash received in the period on those users' deals.
    pub cash_collected: MoneyOut,
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Deals per stage with amounts and weighted amounts; conversion and win rates.
    async fn pipeline(
        &self,
        ctx: &Context<'_>,
        filter: PipelineInput,
    ) -> async_graphql::Result<Pipeline> {
        let now = Utc::now();
        let period = filter.period.unwrap_or(PeriodInput {
            from: now - chrono::Duration::days(90),
            to: now,
        });
        let p = pipeline::pipeline(
            ctx.db()?,
            ctx.actor()?,
            PipelineFilter {
                currency: filter.currency,
                account_id: filter.account_id,
                team_member_id: filter.team_member_id,
                expected_close_after: filter.expected_close_after,
                expected_close_before: filter.expected_close_before,
                period_from: period.from,
                period_to: period.to,
            },
        )
        .await?;
        Ok(Pipeline {
            stages: p
                .stages
                .into_iter()
                .map(|s| PipelineStage {
                    stage: s.stage.into(),
                    count: s.count,
                    amount: out(s.amount),
                    weighted_amount: out(s.weighted),
                })
                .collect(),
            lead_conversion_rate: p.lead_conversion_rate,
            win_rate: p.win_rate,
            leads_created: p.leads_created,
            leads_converted: p.leads_converted,
            deals_won: p.deals_won,
            deals_lost: p.deals_lost,
        })
    }

    /// Per user and role: amount won and cash collected in the period.
    async fn team_performance(
        &self,
        ctx: &Context<'_>,
        period: PeriodInput,
    ) -> async_graphql::Result<Vec<TeamPerformanceLine>> {
        let lines =
            performance::team_performance(ctx.db()?, ctx.actor()?, period.from, period.to).await?;
        Ok(lines
            .into_iter()
            .filter_map(|(key, figures)| {
                let currency = Currency::parse("currency", &key.currency).ok()?;
                Some(TeamPerformanceLine {
                    user_id: key.user_id,
                    role: entity::enums::TeamRole::from(key.role).into(),
                    won: out(Money::from_minor(figures.won_minor, currency)),
                    cash_collected: out(Money::from_minor(figures.cash_minor, currency)),
                })
            })
            .collect())
    }
}
