//! How many wrong passwords a login may take. Two budgets: one login form (an interaction)
//! dies after [`INTERACTION_FAILURES`] wrong passwords, and a user name (known or not, so
//! the answer never tells which exist) is locked for a growing time after
//! [`FREE_FAILURES`] failures in a row: 30 s, then twice as long for each further failure,
//! at most [`MAX_LOCK`]. A failure more than [`WINDOW`] after the previous one starts the
//! count again; a successful login clears it. Times are Unix seconds by the sandbox clock.

/// Wrong passwords one login form takes before it is discarded.
pub const INTERACTION_FAILURES: i64 = 5;
/// Failures in a row a user name takes before it is locked.
pub const FREE_FAILURES: i64 = 5;
/// The first lock; each further failure doubles it.
pub const FIRST_LOCK: i64 = 30;
/// The longest lock (so a guesser cannot lock a real user out for long).
pub const MAX_LOCK: i64 = 15 * 60;
/// Failures further apart than this are not "in a row".
pub const WINDOW: i64 = 60 * 60;

/// The failures recorded for one user name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub last_failed_at: i64,
    pub locked_until: Option<i64>,
}

/// Seconds until the user name may try again, if it is locked at `now`.
pub fn locked_for(f: Option<&Failures>, now: i64) -> Option<i64> {
    f.and_then(|f| f.locked_until)
        .filter(|&until| until > now)
        .map(|until| until - now)
}

/// The record after one more failure at `now`.
pub fn after_failure(prev: Option<&Failures>, now: i64) -> Failures {
    let count = match prev {
        Some(p) if now - p.last_failed_at <= WINDOW => p.count + 1,
        _ => 1,
    };
    let locked_until = (count >= FREE_FAILURES).then(|| {
        let doublings = (count - FREE_FAILURES).min(16) as u32;
        now + FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK)
    });
    Failures {
        count,
        last_failed_at: now,
        locked_until,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_from_the_fifth_failure_and_are_capped() {
        let mut f = None;
        let mut locks = Vec::new();
        for i in 0..12 {
            let now = 1_000 + i;
            let next = after_failure(f.as_ref(), now);
            locks.push(next.locked_until.map(|u| u - now));
            f = Some(next);
        }
        assert_eq!(
            locks,
            [
                None,
                None,
                None,
                None,
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(900),
                Some(900),
                Some(900)
            ]
        );
    }

    #[test]
    fn a_lock_ends_and_old_failures_are_forgotten() {
        let f = Failures {
            count: 7,
            last_failed_at: 100,
            locked_until: Some(220),
        };
        assert_eq!(locked_for(Some(&f), 100), Some(120));
        assert_eq!(locked_for(Some(&f), 219), Some(1));
        assert_eq!(locked_for(Some(&f), 220), None);
        assert_eq!(locked_for(None, 100), None);
        let later = after_failure(Some(&f), 100 + WINDOW + 1);
        assert_eq!((later.count, later.locked_until), (1, None));
        let soon = after_failure(Some(&f), 100 + WINDOW);
        assert_eq!(soon.count, 8);
    }
}
