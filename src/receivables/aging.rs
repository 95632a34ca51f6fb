//! Aging and DSO: what finance reads to see how much is owed and how late.
//!
//! A receivable counts at `asOf` when it was invoiced by the end of that day
//! (UTC), is not cancelled, and was not written off by then. What it still
//! owes is its amount less the payments received by then. It falls in a bucket
//! by the days past due on `asOf`: current (not yet due), 1–30, 31–60, 61–90, 90+.
//!
//! DSO (days sales outstanding) = owed at `asOf` ÷ amount invoiced in the
//! `days` days up to `asOf` × `days`; null when nothing was invoiced then.
//!
//! The netting and bucketing run in SQL over the receivables still open at
//! `asOf` (see `repo::owed_by_account_and_due`), and the accounts come a page
//! at a time, so a report costs a fixed number of statements and what it
//! reads follows what is owed, not how much was ever invoiced.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

pub use super::repo::Buckets;
use super::repo::{self, AgingScope};
use crate::{
    Error, Result,
    auth::{Actor, Capability},
    db::{Counter, Page, PageRequest, SortValue},
    money::Currency,
};

/// An aging report the caller may read: its date, currency and the
/// receivables the caller sees. Made only by [`report`], which checks who asks.
pub struct Aging {
    pub currency: Currency,
    pub as_of: NaiveDate,
    scope: AgingScope,
}

/// The end of `day` in UTC: the moment "as of" a date means.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or(NaiveTime::MIN))
        .and_utc()
}

/// Where the buckets start: `as_of`, and 30, 60 and 90 days before it.
fn bounds(as_of: NaiveDate) -> [NaiveDate; 4] {
    [0, 30, 60, 90].map(|days| {
        as_of
            .checked_sub_days(Days::new(days))
            .unwrap_or(NaiveDate::MIN)
    })
}

/// Checks the caller may read receivables and the currency is one; reads nothing.
pub fn report(actor: &Actor, as_of: NaiveDate, currency: &str) -> Result<Aging> {
    let visibility = actor.visibility(Capability::ReadReceivables)?;
    let currency = Currency::parse("currency", currency)?;
    Ok(Aging {
        currency,
        as_of,
        scope: AgingScope {
            visibility,
            currency: currency.code().to_owned(),
            as_of: end_of_day(as_of),
            bounds: bounds(as_of),
        },
    })
}

/// What is owed overall at `asOf`, per bucket.
pub async fn overall(db: &DatabaseConnection, aging: &Aging) -> Result<Buckets> {
    repo::aging_overall(db, &aging.scope).await
}

/// The order account pages run in: most owed first, then by account id.
const ACCOUNT_ORDER: &str = "OwedDesc";

/// One page of the accounts owing at `asOf`, most owed first, and a counter
/// of them all.
pub async fn accounts(
    db: &DatabaseConnection,
    aging: &Aging,
    page: PageRequest,
) -> Result<(Page<(Uuid, Buckets)>, Counter)> {
    let page = page.ordered(ACCOUNT_ORDER, &sea_orm::Order::Desc, |k| {
        matches!(k, SortValue::Int(_))
    })?;
    let rows = repo::aging_accounts(db, &aging.scope, &page).await?;
    Ok((rows, repo::aging_accounts_counter(db, &aging.scope)))
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
    let aging = report(actor, as_of, currency)?;
    let owed = overall(db, &aging).await?.total();
    let to = end_of_day(as_of);
    let from = to - chrono::Duration::days(i64::from(days));
    let invoiced =
        repo::invoiced_between(db, &aging.scope.visibility, from, to, aging.currency.code())
            .await?;
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

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_start_on_as_of_and_30_60_90_days_before_it() {
        // Across a month end and a leap day: calendar days, not months.
        assert_eq!(
            bounds(day("2028-03-31")),
            [
                day("2028-03-31"),
                day("2028-03-01"),
                day("2028-01-31"),
                day("2028-01-01"),
            ]
        );
    }

    #[test]
    fn as_of_a_day_means_its_last_microsecond_in_utc() {
        let end = end_of_day(day("2026-11-20"));
        assert_eq!(end.to_rfc3339(), "2026-11-20T23:59:59.999999+00:00");
    }

    #[test]
    fn the_total_is_every_bucket() {
        let b = Buckets {
            current: 1,
            days_1_30: 2,
            days_31_60: 4,
            days_61_90: 8,
            days_over_90: 16,
        };
        assert_eq!(b.total(), 31);
    }
}
