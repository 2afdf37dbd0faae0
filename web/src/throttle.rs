//! Sign-in throttling: failed attempts slow down the pair of account and
//! address that made them, without locking the account for everyone.
//!
//! An attempt is counted when it starts, before its password is checked, so
//! thirty attempts sent at once are thirty attempts, not one. After
//! [`FREE_FAILURES`] failures a pair must wait before its next attempt, twice
//! as long after each further failure, up to [`MAX_DELAY`]. A right password
//! clears the pair. Keys carry the account's epoch, so `dossier user logout
//! NAME` (or a new password) lifts the delay too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures a pair may make before it has to wait.
pub const FREE_FAILURES: u32 = 5;
/// The wait after the last free failure, doubled at each further one.
const FIRST_DELAY: Duration = Duration::from_secs(30);
const MAX_DELAY: Duration = Duration::from_secs(30 * 60);
/// A pair with no failure for this long starts afresh.
const FORGET: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Default)]
struct Pair {
    failures: u32,
    /// Attempts started and not yet known right or wrong.
    trying: u32,
    last: Option<Instant>,
}

/// The attempts of every pair, kept in memory.
#[derive(Debug, Default)]
pub struct Throttle {
    pairs: Mutex<HashMap<String, Pair>>,
}

/// One attempt under way. Dropped without [`Attempt::succeeded`] (a wrong
/// password, an error, a client gone), it counts as a failure.
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    key: String,
    succeeded: bool,
}

impl Throttle {
    /// Starts an attempt for this account, epoch and address; or how long
    /// the pair must wait first.
    pub fn attempt(&self, user: &str, epoch: u64, address: &str) -> Result<Attempt<'_>, Duration> {
        let now = Instant::now();
        // Names past 64 characters are no account's: cut, they still count.
        let user: String = user.chars().take(64).collect();
        let key = format!("{user}\n{epoch}\n{address}");
        let mut pairs = self.pairs.lock().expect("not poisoned");
        pairs.retain(|_, pair| pair.trying > 0 || pair.last.is_some_and(|t| now - t < FORGET));
        let pair = pairs.entry(key.clone()).or_default();
        let counted = pair.failures + pair.trying;
        if counted >= FREE_FAILURES {
            let since = pair.last.map_or(Duration::ZERO, |t| now - t);
            let wait = delay(counted).saturating_sub(since);
            // Attempts under way hold the pair until they are known.
            if !wait.is_zero() || pair.trying > 0 {
                return Err(wait.max(Duration::from_secs(1)));
            }
        }
        pair.trying += 1;
        Ok(Attempt {
            throttle: self,
            key,
            succeeded: false,
        })
    }
}

impl Attempt<'_> {
    /// The password was right: the pair starts afresh.
    pub fn succeeded(mut self) {
        self.succeeded = true;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut pairs = self.throttle.pairs.lock().expect("not poisoned");
        if self.succeeded {
            pairs.remove(&self.key);
        } else if let Some(pair) = pairs.get_mut(&self.key) {
            pair.trying -= 1;
            pair.failures += 1;
            pair.last = Some(Instant::now());
        }
    }
}

/// The wait after `failures` failures.
fn delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(FREE_FAILURES).min(16);
    (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_count_before_the_password_is_checked() {
        let throttle = Throttle::default();
        let started: Vec<_> = (0..30)
            .filter_map(|_| throttle.attempt("amina", 0, "10.0.0.1").ok())
            .collect();
        assert_eq!(started.len(), FREE_FAILURES as usize);
        drop(started);
        assert!(throttle.attempt("amina", 0, "10.0.0.1").is_err());
    }

    #[test]
    fn failures_slow_the_pair_only_and_a_success_or_new_epoch_clears_it() {
        let throttle = Throttle::default();
        for _ in 0..FREE_FAILURES {
            drop(throttle.attempt("amina", 0, "10.0.0.1").unwrap());
        }
        let wait = throttle.attempt("amina", 0, "10.0.0.1").err().unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= FIRST_DELAY,
            "{wait:?}"
        );
        // The real user, from her own desk, and others from the same proxy.
        throttle
            .attempt("amina", 0, "10.0.0.2")
            .unwrap()
            .succeeded();
        throttle.attempt("paul", 0, "10.0.0.1").unwrap().succeeded();
        // An administrator's `user logout` moves the epoch: the delay is lifted.
        throttle
            .attempt("amina", 1, "10.0.0.1")
            .unwrap()
            .succeeded();
        assert_eq!(delay(FREE_FAILURES + 1), FIRST_DELAY * 2);
        assert_eq!(delay(FREE_FAILURES + 40), MAX_DELAY);
    }
}
