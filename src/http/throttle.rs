//! Turns per caller: one token may run only so many GraphQL requests at once
//! on an instance, so a caller sending expensive requests in a loop waits for
//! itself instead of taking the database pool from everyone else. A request
//! over the limit waits briefly for a turn, then gets 429 with `Retry-After`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits for its caller's turn before 429.
const WAIT: Duration = Duration::from_secs(1);
/// Callers remembered before idle ones are forgotten.
const FORGET_AFTER: usize = 10_000;

pub struct Throttle {
    per_caller: u32,
    turns: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Throttle {
    pub fn new(per_caller: u32) -> Self {
        Throttle {
            per_caller: per_caller.max(1),
            turns: Mutex::new(HashMap::new()),
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

    /// A turn for `caller`, or `None` when none came free in time.
    pub async fn turn(&self, caller: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.semaphore(caller);
        if let Ok(permit) = semaphore.clone().try_acquire_owned() {
            return Some(permit);
        }
        tokio::time::timeout(WAIT, semaphore.acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_caller_gets_its_turns_and_no_more_while_others_still_get_theirs() {
        let throttle = Throttle::new(2);
        let a = throttle.turn("alice").await;
        let b = throttle.turn("alice").await;
        assert!(a.is_some() && b.is_some());
        assert!(throttle.turn("alice").await.is_none());
        assert!(throttle.turn("bob").await.is_some());
        drop(a);
        assert!(throttle.turn("alice").await.is_some());
    }
}
