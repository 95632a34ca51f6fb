//! What one caller may send: so many GraphQL requests a second (a token
//! bucket, with bursts of twice that), and so many at once on an instance. A
//! caller sending requests in a loop, cheap or costly, waits for itself
//! instead of taking CPU and the database pool from everyone else. Past the
//! rate it gets 429 at once; past its turns it waits briefly for one, then
//! gets 429; either way with `Retry-After`.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::Duration,
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits for its caller's turn before 429.
const WAIT: Duration = Duration::from_secs(1);
/// Callers remembered before idle ones are forgotten.
const FORGET_AFTER: usize = 10_000;

pub struct Throttle {
    per_caller: u32,
    turns: Mutex<HashMap<String, Arc<Semaphore>>>,
    rate: DefaultKeyedRateLimiter<String>,
}

/// Why a request gets no turn, and when to try again.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub retry_after_secs: u64,
}

impl Throttle {
    /// `per_caller` requests at once and `per_second` a second (bursts of
    /// twice that) for each caller.
    pub fn new(per_caller: u32, per_second: u32) -> Self {
        let per_second = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = per_second.saturating_mul(NonZeroU32::MIN.saturating_add(1));
        Throttle {
            per_caller: per_caller.max(1),
            turns: Mutex::new(HashMap::new()),
            rate: RateLimiter::dashmap(Quota::per_second(per_second).allow_burst(burst)),
        }
    }

    fn semaphore(&self, caller: &str) -> Arc<Semaphore> {
        let mut turns = match self.turns.lock() {
            Ok(turns) => turns,
            Err(poisoned) => poisoned.into_inner(),
        };
        if turns.len() >= FORGET_AFTER {
            // Only an idle caller's semaphore has no holder but the map.
            turns.retain(|_, s| Arc::strong_count(s) > 1);
        }
        turns
            .entry(caller.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_caller as usize)))
            .clone()
    }

    /// A turn for `caller`, or when to come back.
    pub async fn turn(&self, caller: &str) -> Result<OwnedSemaphorePermit, Refused> {
        if self.rate.len() >= FORGET_AFTER {
            self.rate.retain_recent();
        }
        if let Err(not_until) = self.rate.check_key(&caller.to_owned()) {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            return Err(Refused {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        let semaphore = self.semaphore(caller);
        if let Ok(permit) = semaphore.clone().try_acquire_owned() {
            return Ok(permit);
        }
        tokio::time::timeout(WAIT, semaphore.acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(Refused {
                retry_after_secs: 1,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_caller_gets_its_turns_and_no_more_while_others_still_get_theirs() {
        let throttle = Throttle::new(2, 1_000);
        let a = throttle.turn("alice").await;
        let b = throttle.turn("alice").await;
        assert!(a.is_ok() && b.is_ok());
        assert!(throttle.turn("alice").await.is_err());
        assert!(throttle.turn("bob").await.is_ok());
        drop(a);
        assert!(throttle.turn("alice").await.is_ok());
    }

    #[tokio::test]
    async fn a_caller_past_its_rate_is_refused_at_once_and_told_when_to_return() {
        let throttle = Throttle::new(100, 5);
        // A burst of twice the rate passes; the next is refused.
        for _ in 0..10 {
            assert!(throttle.turn("alice").await.is_ok());
        }
        let refused = throttle.turn("alice").await.unwrap_err();
        assert_eq!(refused.retry_after_secs, 1);
        assert!(throttle.turn("bob").await.is_ok());
    }
}
