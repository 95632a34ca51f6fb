//! The seeded random source and the few draws the generators need.
//!
//! Everything random in a seed comes from here, including the ids: UUIDv7
//! made from the row's creation time and seeded random bits, so ids sort by
//! creation (as keyset pagination expects) and the same seed gives the same
//! ids.

use std::ops::RangeInclusive;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use uuid::Uuid;

pub struct Seeded {
    rng: StdRng,
    /// The end of the book: nothing happens after the end of this day.
    pub as_of: NaiveDate,
    /// The end of `as_of` (23:59:59 UTC): "now" for the data.
    pub now: DateTime<Utc>,
    /// Two years before `now`: where the book starts.
    pub start: DateTime<Utc>,
}

impl Seeded {
    pub fn new(seed: u64, as_of: NaiveDate) -> Seeded {
        let now = as_of
            .and_hms_opt(23, 59, 59)
            .map(|t| t.and_utc())
            .unwrap_or_default();
        Seeded {
            rng: StdRng::seed_from_u64(seed),
            as_of,
            now,
            start: now - Duration::days(730),
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    pub fn int(&mut self, range: RangeInclusive<i64>) -> i64 {
        self.rng.random_range(range)
    }

    pub fn index(&mut self, len: usize) -> usize {
        if len <= 1 {
            0
        } else {
            self.rng.random_range(0..len)
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// One of `items`, each as likely as its weight.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| *w).sum();
        let mut roll = self.rng.random_range(0..total.max(1));
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }

    /// A moment uniformly between `from` and `to`, at microsecond precision
    /// (the finest both databases keep).
    pub fn between(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        let span = (to - from).num_microseconds().unwrap_or(0).max(0);
        from + Duration::microseconds(self.rng.random_range(0..=span))
    }

    /// A moment in the book's two years, more of them recent: the business grew.
    pub fn in_book(&mut self) -> DateTime<Utc> {
        // The square root of a uniform draw leans towards 1, i.e. towards now.
        let lean: f64 = self.rng.random::<f64>().sqrt();
        let span = (self.now - self.start).num_microseconds().unwrap_or(0) as f64;
        self.start + Duration::microseconds((span * lean) as i64)
    }

    /// `at` plus between `min` and `max` days, never after the book's end.
    pub fn later(&mut self, at: DateTime<Utc>, min: i64, max: i64) -> DateTime<Utc> {
        let from = (at + Duration::days(min)).min(self.now);
        let to = (at + Duration::days(max)).min(self.now);
        self.between(from, to)
    }

    /// A UUIDv7 for a row created at `at`.
    pub fn id_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut bytes = [0_u8; 10];
        self.rng.fill(&mut bytes);
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
    }

    /// `n` distinct indexes below `len` (all of them if `n >= len`).
    pub fn distinct(&mut self, len: usize, n: usize) -> Vec<usize> {
        rand::seq::index::sample(&mut self.rng, len, n.min(len)).into_vec()
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        use rand::seq::SliceRandom;
        items.shuffle(&mut self.rng);
    }
}
