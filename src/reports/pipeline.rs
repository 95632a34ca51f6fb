//! The pipeline: per stage, how many deals, their amount, and their amount
//! weighted by win probability; plus lead conversion and win rates over a period.
//!
//! - weighted amount = Σ amount × probability / 100, probability being the
//!   deal's override or its stage's default;
//! - lead conversion rate = leads created in the period that are now
//!   converted ÷ leads created in the period;
//! - win rate = deals won in the period ÷ deals won or lost in the period
//!   (counting deals still in the state they closed in).
//!
//! Rates are fractions rounded to 4 decimals; null when there is nothing to divide by.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{enums::OpportunityStage, opportunity};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection};
use uuid::Uuid;

use super::repo;
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    money::{Currency, Money},
    opportunities::stage::default_probability,
};

pub struct PipelineFilter {
    pub currency: String,
    pub account_id: Option<Uuid>,
    pub team_member_id: Option<String>,
    pub expected_close_after: Option<NaiveDate>,
    pub expected_close_before: Option<NaiveDate>,
    pub period_from: DateTime<Utc>,
    pub period_to: DateTime<Utc>,
}

pub struct StageLine {
    pub stage: OpportunityStage,
    pub count: i64,
    pub amount: Money,
    pub weighted: Money,
}

pub struct Pipeline {
    pub stages: Vec<StageLine>,
    pub lead_conversion_rate: Option<Decimal>,
    pub win_rate: Option<Decimal>,
    pub leads_created: u64,
    pub leads_converted: u64,
    pub deals_won: u64,
    pub deals_lost: u64,
}

fn rate(part: u64, whole: u64) -> Option<Decimal> {
    (whole > 0).then(|| (Decimal::from(part) / Decimal::from(whole)).round_dp(4))
}

pub async fn pipeline(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: PipelineFilter,
) -> Result<Pipeline> {
    let visibility = actor.visibility(Capability::ReadAccounts)?;
    let currency = Currency::parse("currency", &filter.currency)?;
    if filter.period_from >= filter.period_to {
        return Err(Error::validation("period", "from must be before to"));
    }
    let mut extra = Condition::all();
    if let Some(account) = filter.account_id {
        extra = extra.add(opportunity::Column::AccountId.eq(account));
    }
    if let Some(member) = &filter.team_member_id {
        extra = extra.add(
            opportunity::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::team_member::Column::OpportunityId)
                    .from(entity::team_member::Entity)
                    .and_where(entity::team_member::Column::UserId.eq(member.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(after) = filter.expected_close_after {
        extra = extra.add(opportunity::Column::ExpectedCloseDate.gte(after));
    }
    if let Some(before) = filter.expected_close_before {
        extra = extra.add(opportunity::Column::ExpectedCloseDate.lte(before));
    }
    let rows = repo::stage_totals(db, &visibility, currency.code(), extra).await?;
    let stages = [
        OpportunityStage::Discover,
        OpportunityStage::Qualify,
        OpportunityStage::Propose,
        OpportunityStage::Negotiate,
        OpportunityStage::Won,
        OpportunityStage::Lost,
    ]
    .into_iter()
    .map(|stage| {
        let mut count = 0;
        let mut amount = 0_i64;
        let mut weighted = Decimal::ZERO;
        for (s, probability, n, sum) in &rows {
            if *s != stage {
                continue;
            }
            let sum = sum.unwrap_or(0);
            count += n;
            amount += sum;
            let p = probability.unwrap_or_else(|| default_probability(stage));
            weighted += Decimal::from(sum) * Decimal::from(p) / Decimal::from(100);
        }
        let weighted_minor = weighted
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointNearestEven)
            .try_into()
            .unwrap_or(i64::MAX);
        StageLine {
            stage,
            count,
            amount: Money::from_minor(amount, currency),
            weighted: Money::from_minor(weighted_minor, currency),
        }
    })
    .collect();
    // Lead figures count the leads the caller reads, under the leads' own rule.
    let (created, converted) = match actor.visibility(Capability::ReadLeads) {
        Ok(leads) => {
            repo::lead_conversion(db, &leads, filter.period_from, filter.period_to).await?
        }
        Err(_) => (0, 0),
    };
    let (won, lost) =
        repo::closed_deals(db, &visibility, filter.period_from, filter.period_to).await?;
    Ok(Pipeline {
        stages,
        lead_conversion_rate: rate(converted, created),
        win_rate: rate(won, won + lost),
        leads_created: created,
        leads_converted: converted,
        deals_won: won,
        deals_lost: lost,
    })
}
