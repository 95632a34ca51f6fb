//! When a failed job runs again: exponential backoff with full jitter
//! (a random delay up to base × 2^attempt, capped), so retries of many jobs
//! spread out instead of hammering a recovering system together.

use std::time::Duration;

use rand::Rng;

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The delay before attempt `attempt + 1`, `attempt` counting from 1.
    pub fn delay(&self, attempt: i32) -> Duration {
        let exponent = attempt.clamp(1, 30) as u32 - 1;
        let ceiling = self
            .base
            .saturating_mul(2_u32.saturating_pow(exponent))
            .min(self.cap);
        let millis = ceiling.as_millis().max(1) as u64;
        // Never zero: half the ceiling at least, plus jitter over the other half.
        Duration::from_millis(millis / 2 + rand::rng().random_range(0..=millis / 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_under_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
        };
        for attempt in 1..=20 {
            let ceiling =
                Duration::from_secs(2 * 2_u64.pow((attempt - 1).min(20) as u32)).min(b.cap);
            let d = b.delay(attempt);
            assert!(d <= ceiling && d >= ceiling / 2, "attempt {attempt}: {d:?}");
        }
    }
}
