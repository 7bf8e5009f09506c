//! The one status rule: what state a refresh token, an access token and a grant are in at a
//! given moment, when a refresh token really stops working, and why a grant ended.
//!
//! The token endpoint ([`crate::refresh::decide`]), the console's grant views, the sandbox's
//! "explain this token", introspection and the CLI all ask these functions; nothing else derives
//! a state. Two SQL statements in the store must agree with them (counting usable refresh
//! tokens for a revocation's impact, and the expiry histogram); a store test holds them together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the status rules need to know about a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantFacts {
    /// One year after the chain's first refresh token (SPEC §2); `None` for a grant that never
    /// held a refresh token. Every grant holding one has it: it is set when the grant is made.
    pub chain_ends_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What the status rules need to know about a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshFacts {
    /// The token's own expiry (issued + 90 days, or the app's lifetime).
    pub expires_at: DateTime<Utc>,
    /// When a public client rotated it away.
    pub consumed_at: Option<DateTime<Utc>>,
}

/// The state of one token, as the console, the CLI and the token endpoint see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TokenStatus {
    Active,
    /// A public client's refresh token that was rotated away (using it again is reuse).
    Consumed,
    Expired,
    /// The grant's chain reached its one-year end.
    ChainEnded,
    Revoked,
}

/// Whether a grant can still yield tokens, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum GrantStatus {
    Active,
    Revoked,
    /// The chain reached its one-year end: a new authorization is required.
    ChainEnded,
}

impl TokenStatus {
    pub fn is_active(self) -> bool {
        self == Self::Active
    }

    /// The wire name (as serialised), for plain-text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Consumed => "consumed",
            Self::Expired => "expired",
            Self::ChainEnded => "chain_ended",
            Self::Revoked => "revoked",
        }
    }
}

impl GrantStatus {
    pub fn is_active(self) -> bool {
        self == Self::Active
    }

    /// The wire name (as serialised), for plain-text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::ChainEnded => "chain_ended",
        }
    }
}

/// The moment a refresh token stops working by time alone: `min(own expiry, chain end)`.
pub fn effective_expiry(token: &RefreshFacts, grant: &GrantFacts) -> DateTime<Utc> {
    match grant.chain_ends_at {
        Some(end) => token.expires_at.min(end),
        None => token.expires_at,
    }
}

/// A grant's status at `now`. Revocation wins over the chain's end.
pub fn grant_status(grant: &GrantFacts, now: DateTime<Utc>) -> GrantStatus {
    if grant.revoked_at.is_some() {
        GrantStatus::Revoked
    } else if grant.chain_ends_at.is_some_and(|end| now >= end) {
        GrantStatus::ChainEnded
    } else {
        GrantStatus::Active
    }
}

/// A refresh token's status at `now`, judged in this order: the grant revoked, the token
/// consumed (a reuse is judged before expiry: a stolen token replayed late is still theft),
/// the chain ended, the token expired.
pub fn refresh_status(token: &RefreshFacts, grant: &GrantFacts, now: DateTime<Utc>) -> TokenStatus {
    match grant_status(grant, now) {
        GrantStatus::Revoked => TokenStatus::Revoked,
        _ if token.consumed_at.is_some() => TokenStatus::Consumed,
        GrantStatus::ChainEnded => TokenStatus::ChainEnded,
        GrantStatus::Active if now >= effective_expiry(token, grant) => TokenStatus::Expired,
        GrantStatus::Active => TokenStatus::Active,
    }
}

/// An access token's status at `now`: revoked itself or through its grant, else expired at
/// its `exp`. (An access token outlives its chain's end by at most its own 10 minutes.)
pub fn access_status(
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    grant: Option<&GrantFacts>,
    now: DateTime<Utc>,
) -> TokenStatus {
    if revoked_at.is_some() || grant.is_some_and(|g| g.revoked_at.is_some()) {
        TokenStatus::Revoked
    } else if now >= expires_at {
        TokenStatus::Expired
    } else {
        TokenStatus::Active
    }
}

/// Why a grant no longer yields tokens: the one plain line support staff read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    Revoked {
        at: DateTime<Utc>,
        by: String,
        reason: String,
    },
    /// The chain reached its one-year end: the user must authorize again.
    ChainEnded { at: DateTime<Utc> },
    /// The app is disabled: nothing of it gets tokens.
    AppDisabled,
    /// Every refresh token expired unused, the last at `at`.
    RefreshExpired { at: DateTime<Utc> },
}

impl Stopped {
    /// The line shown for it.
    pub fn line(&self) -> String {
        let day = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        match self {
            Self::Revoked { at, by, reason } => {
                format!("revoked {} by {by}: {reason}", day(at))
            }
            Self::ChainEnded { at } => format!(
                "the chain reached its one-year end on {}: the user must sign in to the app again",
                day(at)
            ),
            Self::AppDisabled => "the application is disabled: it gets no tokens".into(),
            Self::RefreshExpired { at } => format!(
                "the last refresh token expired unused on {}: the user must sign in to the app again",
                day(at)
            ),
        }
    }
}

/// What [`app_trouble`] needs of an application.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppFacts<'a> {
    pub enabled: bool,
    /// The last time it was disabled, and by whom (from the audit), if known.
    pub disabled: Option<(DateTime<Utc>, &'a str)>,
    pub uses_secret: bool,
    pub secret_rotated_at: Option<DateTime<Utc>>,
    /// Until when the secret the last rotation replaced is still accepted.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Failed client authentications in the last [`TROUBLE_DAYS`] days (a wrong secret, an
    /// assertion refused: its `exp`, its key), and the last one's reason.
    pub auth_failures: Recent<'a>,
    /// Fetches of the app's JWKS URI that failed lately (timeout, redirect, size, address).
    pub jwks_failures: Recent<'a>,
    /// Authorization requests refused back to the app lately (a malformed `claims`, a scope
    /// it may not ask, PKCE missing).
    pub authorize_refusals: Recent<'a>,
}

/// How many times something went wrong lately, and the last time with its reason.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recent<'a> {
    pub count: i64,
    pub last: Option<(DateTime<Utc>, &'a str)>,
}

/// How far back [`app_trouble`] looks for rotations and failures.
pub const TROUBLE_DAYS: i64 = 30;

/// Why an application's calls may fail at `now`, one plain line each; empty when nothing is
/// known to be wrong. In this order: disabled; the secret rotated in the last
/// [`TROUBLE_DAYS`] days (the old one still accepted until an overlap ends, or refused since);
/// failed client authentications, failed fetches of its JWKS URI and refused authorization
/// requests lately, each with the last one's reason.
pub fn app_trouble(app: &AppFacts<'_>, now: DateTime<Utc>) -> Vec<String> {
    let day = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut lines = Vec::new();
    if !app.enabled {
        lines.push(match app.disabled {
            Some((at, by)) => format!("disabled {} by {by}: the app gets no tokens", day(at)),
            None => "disabled: the app gets no tokens".into(),
        });
    }
    if let Some(rotated) = app
        .secret_rotated_at
        .filter(|t| app.uses_secret && now - *t <= chrono::Duration::days(TROUBLE_DAYS))
    {
        lines.push(match app.previous_secret_until {
            Some(until) if until > now => format!(
                "secret rotated {}; the old secret still works until {}",
                day(rotated),
                day(until)
            ),
            Some(until) => format!(
                "secret rotated {}: requests with the old secret fail since {}",
                day(rotated),
                day(until)
            ),
            None => format!(
                "secret rotated {}: requests with the old secret fail since then",
                day(rotated)
            ),
        });
    }
    for (recent, what) in [
        (&app.auth_failures, "failed client authentication"),
        (&app.jwks_failures, "failed fetch of its JWKS URI"),
        (&app.authorize_refusals, "authorization request refused"),
    ] {
        if recent.count == 0 {
            continue;
        }
        let n = recent.count;
        let last = match recent.last {
            Some((t, "")) => format!(", the last {}", day(t)),
            Some((t, why)) => format!(", the last {}: {why}", day(t)),
            None => String::new(),
        };
        let plural = if n == 1 {
            what.to_string()
        } else if let Some((first, rest)) = what.split_once(' ') {
            // "failed client authentication" -> "...s"; "authorization request refused" ->
            // "authorization requests refused"; "failed fetch of" -> "failed fetches of".
            match what {
                "authorization request refused" => "authorization requests refused".into(),
                "failed fetch of its JWKS URI" => "failed fetches of its JWKS URI".into(),
                _ => format!("{first} {rest}s"),
            }
        } else {
            format!("{what}s")
        };
        lines.push(format!(
            "{n} {plural} in the last {TROUBLE_DAYS} days{last}"
        ));
    }
    lines
}

/// What [`why_stopped`] needs of a grant beyond its [`GrantFacts`].
#[derive(Debug, Clone, Copy)]
pub struct GrantContext<'a> {
    pub revoked_by: Option<&'a str>,
    pub revoke_reason: Option<&'a str>,
    pub app_enabled: bool,
}

/// Why the grant no longer yields tokens at `now`, or `None` while it does. In this order: a
/// revocation, the chain's end, a disabled app, and — for a grant that held refresh tokens —
/// none of them usable any more (the latest effective expiry passed).
pub fn why_stopped(
    grant: &GrantFacts,
    context: GrantContext<'_>,
    tokens: &[RefreshFacts],
    now: DateTime<Utc>,
) -> Option<Stopped> {
    match grant_status(grant, now) {
        GrantStatus::Revoked => {
            return Some(Stopped::Revoked {
                at: grant.revoked_at.unwrap_or_default(),
                by: context.revoked_by.unwrap_or("unknown").to_string(),
                reason: context
                    .revoke_reason
                    .unwrap_or("no reason given")
                    .to_string(),
            });
        }
        GrantStatus::ChainEnded => {
            return Some(Stopped::ChainEnded {
                at: grant.chain_ends_at.unwrap_or_default(),
            });
        }
        GrantStatus::Active => {}
    }
    if !context.app_enabled {
        return Some(Stopped::AppDisabled);
    }
    if tokens.is_empty()
        || tokens
            .iter()
            .any(|t| refresh_status(t, grant, now).is_active())
    {
        return None;
    }
    tokens
        .iter()
        .filter(|t| t.consumed_at.is_none())
        .map(|t| effective_expiry(t, grant))
        .max()
        .map(|at| Stopped::RefreshExpired { at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    fn day(n: i64) -> DateTime<Utc> {
        t0() + Duration::days(n)
    }

    #[test]
    fn effective_expiry_is_the_earlier_bound() {
        let g = GrantFacts {
            chain_ends_at: Some(day(365)),
            revoked_at: None,
        };
        // (own expiry day, want)
        for (own, want) in [(90, 90), (170, 170), (410, 365), (365, 365)] {
            let t = RefreshFacts {
                expires_at: day(own),
                consumed_at: None,
            };
            assert_eq!(effective_expiry(&t, &g), day(want), "own expiry day {own}");
        }
        let unchained = GrantFacts {
            chain_ends_at: None,
            ..g
        };
        let t = RefreshFacts {
            expires_at: day(500),
            consumed_at: None,
        };
        assert_eq!(effective_expiry(&t, &unchained), day(500));
    }

    #[test]
    fn refresh_status_table() {
        use TokenStatus::*;
        let live = GrantFacts {
            chain_ends_at: Some(day(365)),
            revoked_at: None,
        };
        let revoked = GrantFacts {
            revoked_at: Some(day(10)),
            ..live
        };
        let fresh = RefreshFacts {
            expires_at: day(90),
            consumed_at: None,
        };
        let consumed = RefreshFacts {
            consumed_at: Some(day(1)),
            ..fresh
        };
        let late = RefreshFacts {
            expires_at: day(400),
            consumed_at: None,
        };
        let s = Duration::seconds;
        let cases = [
            ("fresh", fresh, live, t0(), Active),
            ("last second", fresh, live, day(90) - s(1), Active),
            ("own expiry exactly", fresh, live, day(90), Expired),
            ("revoked wins", consumed, revoked, t0(), Revoked),
            ("revoked before expiry", fresh, revoked, day(200), Revoked),
            ("consumed", consumed, live, day(2), Consumed),
            ("consumed beats expiry", consumed, live, day(200), Consumed),
            (
                "consumed beats chain end",
                consumed,
                live,
                day(366),
                Consumed,
            ),
            ("chain end exactly", late, live, day(365), ChainEnded),
            (
                "chain end before own expiry",
                late,
                live,
                day(380),
                ChainEnded,
            ),
            ("expired and chain ended", fresh, live, day(366), ChainEnded),
        ];
        for (name, t, g, now, want) in cases {
            assert_eq!(refresh_status(&t, &g, now), want, "{name}");
        }
    }

    type WhyCase<'a> = (
        &'a str,
        GrantFacts,
        GrantContext<'a>,
        &'a [RefreshFacts],
        DateTime<Utc>,
        Option<Stopped>,
    );

    #[test]
    fn why_a_grant_stopped() {
        let live = GrantFacts {
            chain_ends_at: Some(day(365)),
            revoked_at: None,
        };
        let ctx = GrantContext {
            revoked_by: None,
            revoke_reason: None,
            app_enabled: true,
        };
        let token = |own: i64, consumed: Option<i64>| RefreshFacts {
            expires_at: day(own),
            consumed_at: consumed.map(day),
        };
        let rotated = [token(90, Some(10)), token(100, None)];
        let revoked = GrantFacts {
            revoked_at: Some(day(20)),
            ..live
        };
        let by = GrantContext {
            revoked_by: Some("console:local"),
            revoke_reason: Some("lost phone"),
            ..ctx
        };
        let disabled = GrantContext {
            app_enabled: false,
            ..ctx
        };
        let cases: Vec<WhyCase> = vec![
            ("live", live, ctx, &rotated, day(50), None),
            ("no refresh tokens, live", live, ctx, &[], day(50), None),
            (
                "revoked",
                revoked,
                by,
                &rotated,
                day(30),
                Some(Stopped::Revoked {
                    at: day(20),
                    by: "console:local".into(),
                    reason: "lost phone".into(),
                }),
            ),
            (
                "chain end",
                live,
                ctx,
                &rotated,
                day(365),
                Some(Stopped::ChainEnded { at: day(365) }),
            ),
            (
                "disabled app",
                live,
                disabled,
                &rotated,
                day(50),
                Some(Stopped::AppDisabled),
            ),
            (
                "the rotated child expired: the consumed parent does not count",
                live,
                ctx,
                &rotated,
                day(100),
                Some(Stopped::RefreshExpired { at: day(100) }),
            ),
            (
                "an access-only grant never expires this way",
                live,
                ctx,
                &[],
                day(300),
                None,
            ),
        ];
        for (name, g, c, tokens, now, want) in cases {
            assert_eq!(why_stopped(&g, c, tokens, now), want, "{name}");
        }
        let line = Stopped::Revoked {
            at: day(20),
            by: "console:local".into(),
            reason: "lost phone".into(),
        }
        .line();
        assert_eq!(
            line,
            "revoked 2026-01-21 00:00 UTC by console:local: lost phone"
        );
        assert!(
            Stopped::RefreshExpired { at: day(100) }
                .line()
                .contains("expired unused on 2026-04-11")
        );
    }

    #[test]
    fn text_names_are_the_wire_names() {
        use TokenStatus::*;
        for t in [Active, Consumed, Expired, ChainEnded, Revoked] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        for g in [
            GrantStatus::Active,
            GrantStatus::Revoked,
            GrantStatus::ChainEnded,
        ] {
            assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
        }
    }

    #[test]
    fn grant_and_access_status() {
        let live = GrantFacts {
            chain_ends_at: Some(day(365)),
            revoked_at: None,
        };
        assert_eq!(grant_status(&live, day(364)), GrantStatus::Active);
        assert_eq!(grant_status(&live, day(365)), GrantStatus::ChainEnded);
        let revoked = GrantFacts {
            revoked_at: Some(day(1)),
            ..live
        };
        assert_eq!(grant_status(&revoked, day(400)), GrantStatus::Revoked);
        let no_chain = GrantFacts {
            chain_ends_at: None,
            revoked_at: None,
        };
        assert_eq!(grant_status(&no_chain, day(5000)), GrantStatus::Active);

        let exp = t0() + Duration::minutes(10);
        use TokenStatus::*;
        assert_eq!(access_status(exp, None, None, t0()), Active);
        assert_eq!(access_status(exp, None, Some(&live), exp), Expired);
        assert_eq!(access_status(exp, Some(t0()), Some(&live), t0()), Revoked);
        assert_eq!(access_status(exp, None, Some(&revoked), t0()), Revoked);
        assert_eq!(access_status(exp, None, Some(&revoked), exp), Revoked);
    }

    #[test]
    fn an_app_says_why_its_calls_fail() {
        let now = t0() + Duration::days(100);
        let healthy = AppFacts {
            enabled: true,
            uses_secret: true,
            ..Default::default()
        };
        assert!(app_trouble(&healthy, now).is_empty());
        let disabled = AppFacts {
            enabled: false,
            disabled: Some((t0(), "console:ann")),
            ..healthy
        };
        assert_eq!(
            app_trouble(&disabled, now),
            ["disabled 2026-01-01 00:00 UTC by console:ann: the app gets no tokens"]
        );
        let rotated = AppFacts {
            secret_rotated_at: Some(now - Duration::days(2)),
            ..healthy
        };
        assert_eq!(
            app_trouble(&rotated, now),
            ["secret rotated 2026-04-09 00:00 UTC: requests with the old secret fail since then"]
        );
        let overlapping = AppFacts {
            previous_secret_until: Some(now + Duration::hours(3)),
            ..rotated
        };
        assert_eq!(
            app_trouble(&overlapping, now),
            [
                "secret rotated 2026-04-09 00:00 UTC; the old secret still works until 2026-04-11 03:00 UTC"
            ]
        );
        let overlap_over = AppFacts {
            previous_secret_until: Some(now - Duration::hours(3)),
            auth_failures: Recent {
                count: 3,
                last: Some((now - Duration::minutes(5), "")),
            },
            ..rotated
        };
        assert_eq!(
            app_trouble(&overlap_over, now),
            [
                "secret rotated 2026-04-09 00:00 UTC: requests with the old secret fail since 2026-04-10 21:00 UTC",
                "3 failed client authentications in the last 30 days, the last 2026-04-10 23:55 UTC",
            ]
        );
        // The reasons of Jack Henry's assertions and JWKS URIs, and of refused requests.
        let jh = AppFacts {
            auth_failures: Recent {
                count: 1,
                last: Some((
                    now,
                    "client assertion rejected: exp is 360 s ahead; at most 300 s are accepted in the Banno profile",
                )),
            },
            jwks_failures: Recent {
                count: 2,
                last: Some((now, "keys.example did not answer within 5 s")),
            },
            authorize_refusals: Recent {
                count: 1,
                last: Some((
                    now,
                    "claims is not valid JSON: expected value at line 1 column 1",
                )),
            },
            ..healthy
        };
        assert_eq!(
            app_trouble(&jh, now),
            [
                "1 failed client authentication in the last 30 days, the last 2026-04-11 00:00 UTC: client assertion rejected: exp is 360 s ahead; at most 300 s are accepted in the Banno profile",
                "2 failed fetches of its JWKS URI in the last 30 days, the last 2026-04-11 00:00 UTC: keys.example did not answer within 5 s",
                "1 authorization request refused in the last 30 days, the last 2026-04-11 00:00 UTC: claims is not valid JSON: expected value at line 1 column 1",
            ]
        );
        // A rotation long ago is no longer news.
        let old = AppFacts {
            secret_rotated_at: Some(now - Duration::days(31)),
            ..healthy
        };
        assert!(app_trouble(&old, now).is_empty());
    }
}
