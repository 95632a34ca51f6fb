//! The GraphQL face of the reports.

use std::collections::HashMap;

use async_graphql::{
    Context, InputObject, Object, SimpleObject,
    dataloader::{DataLoader, HashMapCache},
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::payment;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    lead_to_cash::{self, Step},
    performance,
    pipeline::{self, PipelineFilter},
};
use crate::{
    contracts::schema::Contract,
    graphql::{context::ContextExt, money::MoneyOut},
    leads::schema::Lead,
    money::{Currency, Money},
    opportunities::schema::Opportunity,
    opportunities::schema::{OpportunityStage, TeamRole},
    purchase_orders::schema::PurchaseOrder,
    quotes::schema::Quote,
    receivables::{loader::PaymentsLoader, schema::Receivable},
};

/// The next hand-off a deal waits for.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum LeadToCashStep {
    /// No accepted quote yet.
    Quote,
    /// No signed contract yet.
    Contract,
    /// No purchase order delivered yet.
    Delivery,
    /// Receivables still open, or POs not yet accepted.
    Cash,
}

impl From<Step> for LeadToCashStep {
    fn from(s: Step) -> Self {
        match s {
            Step::Quote => LeadToCashStep::Quote,
            Step::Contract => LeadToCashStep::Contract,
            Step::Delivery => LeadToCashStep::Delivery,
            Step::Cash => LeadToCashStep::Cash,
        }
    }
}

/// When each hand-off happened and how long it took (seconds).
#[derive(SimpleObject)]
pub struct LeadToCashTiming {
    pub lead_created_at: Option<DateTime<Utc>>,
    pub opportunity_created_at: Option<DateTime<Utc>>,
    pub contract_signed_at: Option<DateTime<Utc>>,
    pub first_delivery_at: Option<DateTime<Utc>>,
    pub first_payment_at: Option<DateTime<Utc>>,
    /// When the last receivable was settled, with every PO accepted.
    pub cash_collected_at: Option<DateTime<Utc>>,
    pub lead_to_opportunity_seconds: Option<i64>,
    pub opportunity_to_contract_seconds: Option<i64>,
    pub contract_to_first_delivery_seconds: Option<i64>,
    pub first_delivery_to_cash_seconds: Option<i64>,
    pub lead_to_cash_seconds: Option<i64>,
    /// The first hand-off not reached yet; null once all cash is in.
    pub waiting_for: Option<LeadToCashStep>,
}

fn seconds(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    Some((to? - from?).num_seconds())
}

/// The whole trace of one deal, from lead to cash.
#[derive(SimpleObject)]
pub struct LeadToCash {
    pub opportunity: Opportunity,
    /// The lead it came from, if the caller may read leads.
    pub lead: Option<Lead>,
    /// Every quote version, oldest first.
    pub quotes: Vec<Quote>,
    pub contracts: Vec<Contract>,
    pub purchase_orders: Vec<PurchaseOrder>,
    pub receivables: Vec<Receivable>,
    pub timing: LeadToCashTiming,
}

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
    #[graphql(complexity = "crate::graphql::pagination::report_cost(child_complexity)")]
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
                    amount: MoneyOut::from(s.amount),
                    weighted_amount: MoneyOut::from(s.weighted),
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

    /// Everything about one deal, from its lead to its cash, and where it waits.
    #[graphql(complexity = "crate::graphql::pagination::report_cost(child_complexity)")]
    async fn lead_to_cash(
        &self,
        ctx: &Context<'_>,
        opportunity_id: Uuid,
    ) -> async_graphql::Result<LeadToCash> {
        let t = lead_to_cash::trace(ctx.db()?, ctx.actor()?, opportunity_id).await?;
        // Each receivable's `payments` then comes from what the trace read.
        let mut by_receivable: HashMap<Uuid, Vec<payment::Model>> =
            t.receivables.iter().map(|r| (r.id, Vec::new())).collect();
        for p in t.payments {
            by_receivable.entry(p.receivable_id).or_default().push(p);
        }
        ctx.data::<DataLoader<PaymentsLoader, HashMapCache>>()?
            .feed_many(by_receivable)
            .await;
        let timing = &t.timing;
        let timing = LeadToCashTiming {
            lead_created_at: timing.lead_created_at,
            opportunity_created_at: timing.opportunity_created_at,
            contract_signed_at: timing.contract_signed_at,
            first_delivery_at: timing.first_delivery_at,
            first_payment_at: timing.first_payment_at,
            cash_collected_at: timing.cash_collected_at,
            lead_to_opportunity_seconds: seconds(
                timing.lead_created_at,
                timing.opportunity_created_at,
            ),
            opportunity_to_contract_seconds: seconds(
                timing.opportunity_created_at,
                timing.contract_signed_at,
            ),
            contract_to_first_delivery_seconds: seconds(
                timing.contract_signed_at,
                timing.first_delivery_at,
            ),
            first_delivery_to_cash_seconds: seconds(
                timing.first_delivery_at,
                timing.cash_collected_at,
            ),
            lead_to_cash_seconds: seconds(
                timing.lead_created_at.or(timing.opportunity_created_at),
                timing.cash_collected_at,
            ),
            waiting_for: timing.waiting_for.map(Into::into),
        };
        Ok(LeadToCash {
            opportunity: t.opportunity.into(),
            lead: t.lead.map(Into::into),
            quotes: t.quotes.into_iter().map(Into::into).collect(),
            contracts: t.contracts.into_iter().map(Into::into).collect(),
            purchase_orders: t.orders.into_iter().map(Into::into).collect(),
            receivables: t.receivables.into_iter().map(Into::into).collect(),
            timing,
        })
    }

    /// Per user and role: amount won and cash collected in the period.
    #[graphql(complexity = "crate::graphql::pagination::report_cost(child_complexity)")]
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
                    won: MoneyOut::from(Money::from_minor(figures.won_minor, currency)),
                    cash_collected: MoneyOut::from(Money::from_minor(figures.cash_minor, currency)),
                })
            })
            .collect())
    }
}
