//! Time as an input. Every token rule takes `now` from a [`Clock`], so a test (or the sandbox)
//! can move time by 91 days in a millisecond.

use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// A stored Unix time (whole seconds) as a `DateTime`. Out-of-range values (never written by
/// Authdesk) read as the epoch rather than failing a whole listing.
pub fn from_unix(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock. The only place in the workspace that reads it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A base clock shifted by an offset: the sandbox clock. The base is the wall clock in the
/// product and a [`FixedClock`] in tests. The offset is kept in whole seconds and can be changed
/// while the server runs (another process may have moved it).
pub struct OffsetClock {
    base: std::sync::Arc<dyn Clock>,
    offset_seconds: AtomicI64,
    /// The registry's count of clock changes the offset was read at (see [`Self::set_offset_as_of`]).
    version: std::sync::Mutex<i64>,
}

impl Default for OffsetClock {
    fn default() -> Self {
        Self::with_base(std::sync::Arc::new(SystemClock))
    }
}

impl std::fmt::Debug for OffsetClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetClock")
            .field("offset_seconds", &self.offset_seconds)
            .finish()
    }
}

impl OffsetClock {
    pub fn with_base(base: std::sync::Arc<dyn Clock>) -> Self {
        Self {
            base,
            offset_seconds: AtomicI64::new(0),
            version: std::sync::Mutex::new(0),
        }
    }
    pub fn set_offset(&self, offset: Duration) {
        self.offset_seconds
            .store(offset.num_seconds(), Ordering::SeqCst);
    }
    /// Sets the offset the registry held after its `version`-th clock change, unless a later
    /// version was set already: a node's own moves and its syncs finish in any order, and an
    /// older offset must not overwrite a newer one.
    pub fn set_offset_as_of(&self, version: i64, offset: Duration) {
        let mut seen = self.version.lock().expect("clock version");
        if version < *seen {
            return;
        }
        *seen = version;
        self.offset_seconds
            .store(offset.num_seconds(), Ordering::SeqCst);
    }
    pub fn offset(&self) -> Duration {
        Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }
    /// The base clock's now, without the offset: the time outside the sandbox.
    pub fn base_now(&self) -> DateTime<Utc> {
        self.base.now()
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        self.base.now() + self.offset()
    }
}

/// A clock that stands still until told to move: for unit tests.
#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(t))
    }
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// Parses a human duration such as `91d`, `10m`, `1y`, `90d12h`, `-3600s` (a year is 365 days).
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    let (negative, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest.is_empty() {
        return Err(format!(
            "'{input}' is not a duration; try 91d, 10m, 1y or 3600s"
        ));
    }
    let mut total = Duration::zero();
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 || digits == rest.len() {
            return Err(format!(
                "'{input}' is not a duration; use a number and a unit (s, m, h, d, w, y), e.g. 91d"
            ));
        }
        let n: i64 = rest[..digits]
            .parse()
            .map_err(|_| format!("'{input}' is too large"))?;
        let unit = rest[digits..].chars().next().expect("unit present");
        let part = match unit {
            's' => Duration::try_seconds(n),
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            'w' => Duration::try_weeks(n),
            'y' => n.checked_mul(365).and_then(Duration::try_days),
            _ => {
                return Err(format!(
                    "'{input}': unknown unit '{unit}' (use s, m, h, d, w or y)"
                ));
            }
        }
        .ok_or_else(|| format!("'{input}' is too large"))?;
        total = total
            .checked_add(&part)
            .ok_or_else(|| format!("'{input}' is too large"))?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(if negative { -total } else { total })
}

/// Formats an offset the way `parse_duration` reads it, largest units first (`91d 2h 3m 4s`).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.num_seconds();
    let sign = if secs < 0 { "-" } else { "" };
    secs = secs.abs();
    if secs == 0 {
        return "0s".into();
    }
    let mut parts = Vec::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            parts.push(format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    format!("{sign}{}", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        let cases: &[(&str, Option<i64>)] = &[
            ("91d", Some(91 * 86_400)),
            ("10m", Some(600)),
            ("1y", Some(365 * 86_400)),
            ("90d12h", Some(90 * 86_400 + 12 * 3_600)),
            ("-3600s", Some(-3_600)),
            ("+2w", Some(14 * 86_400)),
            ("", None),
            ("d", None),
            ("12", None),
            ("5x", None),
            ("99999999999999999y", None),
        ];
        for (input, want) in cases {
            let got = parse_duration(input).ok().map(|d| d.num_seconds());
            assert_eq!(got, *want, "{input}");
        }
    }

    #[test]
    fn formats_durations() {
        assert_eq!(
            format_duration(Duration::seconds(91 * 86_400 + 61)),
            "91d 1m 1s"
        );
        assert_eq!(format_duration(Duration::zero()), "0s");
        assert_eq!(format_duration(Duration::seconds(-7200)), "-2h");
    }

    #[test]
    fn offset_clock_moves() {
        let c = OffsetClock::default();
        let before = c.now();
        c.set_offset(Duration::days(91));
        assert!(c.now() - before >= Duration::days(91));
        assert_eq!(c.offset(), Duration::days(91));
    }

    #[test]
    fn an_older_offset_never_overwrites_a_newer_one() {
        let c = OffsetClock::with_base(std::sync::Arc::new(FixedClock::at(
            DateTime::from_timestamp(1_000_000, 0).unwrap(),
        )));
        c.set_offset_as_of(2, Duration::days(11));
        c.set_offset_as_of(1, Duration::days(1));
        assert_eq!(c.offset(), Duration::days(11));
        c.set_offset_as_of(2, Duration::days(11));
        c.set_offset_as_of(3, Duration::zero());
        assert_eq!(c.offset(), Duration::zero());
    }
}
