//! Aging and DSO: what finance reads to see how much is owed and how late.
//!
//! A receivable counts at `asOf` when it was invoiced by the end of that day
//! (UTC), is not cancelled, and was not written off by then. What it still
//! owes is its amount less the payments received by then. It falls in a bucket
//! by the days past due on `asOf`: current (not yet due), 1–30, 31–60, 61–90, 90+.
//!
//! DSO (days sales outstanding) = owed at `asOf` ÷ amount invoiced in the
//! `days` days up to `asOf` × `days`; null when nothing was invoiced then.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::repo;
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    money::Currency,
};

/// Owed amounts in minor units per bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buckets {
    pub current: i64,
    pub days_1_30: i64,
    pub days_31_60: i64,
    pub days_61_90: i64,
    pub days_over_90: i64,
}

impl Buckets {
    fn add(&mut self, days_past_due: i64, amount: i64) {
        let slot = match days_past_due {
            i64::MIN..=0 => &mut self.current,
            1..=30 => &mut self.days_1_30,
            31..=60 => &mut self.days_31_60,
            61..=90 => &mut self.days_61_90,
            _ => &mut self.days_over_90,
        };
        *slot += amount;
    }

    pub fn total(&self) -> i64 {
        self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.days_over_90
    }
}

pub struct Aging {
    pub currency: Currency,
    pub as_of: NaiveDate,
    pub overall: Buckets,
    pub accounts: Vec<(Uuid, Buckets)>,
}

/// The end of `day` in UTC: the moment "as of" a date means.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or(NaiveTime::MIN))
        .and_utc()
}

pub async fn aging(
    db: &DatabaseConnection,
    actor: &Actor,
    as_of: NaiveDate,
    currency: &str,
) -> Result<Aging> {
    actor.require(Capability::ReadReceivables)?;
    let currency = Currency::parse("currency", currency)?;
    let visibility = actor.visibility();
    let moment = end_of_day(as_of);
    let invoiced =
        repo::invoiced_by_account_and_due(db, &visibility, moment, currency.code()).await?;
    let paid = repo::paid_by_account_and_due(db, &visibility, moment, currency.code()).await?;
    let mut owed: BTreeMap<(Uuid, NaiveDate), i64> = BTreeMap::new();
    for (account, due, amount) in invoiced {
        *owed.entry((account, due)).or_default() += amount;
    }
    for (account, due, amount) in paid {
        *owed.entry((account, due)).or_default() -= amount;
    }
    let mut overall = Buckets::default();
    let mut accounts: BTreeMap<Uuid, Buckets> = BTreeMap::new();
    for ((account, due), amount) in owed {
        if amount <= 0 {
            continue;
        }
        let days = (as_of - due).num_days();
        overall.add(days, amount);
        accounts.entry(account).or_default().add(days, amount);
    }
    Ok(Aging {
        currency,
        as_of,
        overall,
        accounts: accounts.into_iter().collect(),
    })
}

pub struct Dso {
    pub owed_minor: i64,
    pub invoiced_minor: i64,
    pub days: Option<Decimal>,
}

pub async fn dso(
    db: &DatabaseConnection,
    actor: &Actor,
    as_of: NaiveDate,
    days: i32,
    currency: &str,
) -> Result<Dso> {
    if !(1..=3650).contains(&days) {
        return Err(Error::validation("days", "must be between 1 and 3650"));
    }
    let aging = aging(db, actor, as_of, currency).await?;
    let to = end_of_day(as_of);
    let from = to - chrono::Duration::days(i64::from(days));
    let invoiced =
        repo::invoiced_between(db, &actor.visibility(), from, to, aging.currency.code()).await?;
    let owed = aging.overall.total();
    let value = (invoiced > 0).then(|| {
        (Decimal::from(owed) / Decimal::from(invoiced) * Decimal::from(days))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
    });
    Ok(Dso {
        owed_minor: owed,
        invoiced_minor: invoiced,
        days: value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_fall_into_buckets_by_days_past_due() {
        let mut b = Buckets::default();
        for (days, amount) in [
            (-5, 1),
            (0, 2),
            (1, 4),
            (30, 8),
            (31, 16),
            (60, 32),
            (61, 64),
            (90, 128),
            (91, 256),
        ] {
            b.add(days, amount);
        }
        assert_eq!(
            b,
            Buckets {
                current: 3,
                days_1_30: 12,
                days_31_60: 48,
                days_61_90: 192,
                days_over_90: 256,
            }
        );
        assert_eq!(b.total(), 511);
    }
}
