//! Refresh-token chains (SPEC §2): each token lives 90 days from its own issue; the chain (a
//! tree for confidential clients) ends one year after its first token; public clients rotate
//! with reuse detection (RFC 9700 §4.14).

use crate::client::ClientType;
use crate::status::{self, GrantFacts, RefreshFacts, TokenStatus};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long after a public client's refresh token was consumed a second use is still treated
/// as a benign race (a retried request) rather than theft. Inside the window the second use
/// fails with `invalid_grant` but the grant survives; after it, the grant is revoked.
pub const REUSE_GRACE_SECONDS: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    Revoked,
    Expired,
    ChainEnded,
    /// A public client's token used again just after it was consumed (a retry race).
    AlreadyUsed,
    /// A public client's token used again after the grace window: theft; revoke the grant.
    Reused,
}

impl Rejection {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Revoked => "the refresh token has been revoked",
            Self::Expired => "the refresh token has expired",
            Self::ChainEnded => {
                "the refresh token chain reached its one-year limit; a new authorization is required"
            }
            Self::AlreadyUsed => "the refresh token has already been used",
            Self::Reused => "the refresh token was used twice; the grant has been revoked",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Issue a child token. `consume_parent` is true for public clients (rotation).
    Issue {
        consume_parent: bool,
    },
    Reject(Rejection),
}

/// Decides what a refresh request with this token does at `now`: the token's status
/// ([`status::refresh_status`]) decides, and a consumed token is told apart as a retry race
/// or theft by the grace window.
pub fn decide(
    client_type: ClientType,
    token: &RefreshFacts,
    grant: &GrantFacts,
    now: DateTime<Utc>,
) -> Decision {
    match status::refresh_status(token, grant, now) {
        TokenStatus::Active => Decision::Issue {
            consume_parent: client_type == ClientType::Public,
        },
        TokenStatus::Revoked => Decision::Reject(Rejection::Revoked),
        TokenStatus::ChainEnded => Decision::Reject(Rejection::ChainEnded),
        TokenStatus::Expired => Decision::Reject(Rejection::Expired),
        TokenStatus::Consumed => match token.consumed_at {
            Some(consumed) if now - consumed <= Duration::seconds(REUSE_GRACE_SECONDS) => {
                Decision::Reject(Rejection::AlreadyUsed)
            }
            _ => Decision::Reject(Rejection::Reused),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    /// A refresh token and its grant, flat, for the table below.
    #[derive(Clone, Copy)]
    struct TokenState {
        client_type: ClientType,
        expires_at: DateTime<Utc>,
        chain_ends_at: DateTime<Utc>,
        consumed_at: Option<DateTime<Utc>>,
        revoked: bool,
    }

    fn run(t: &TokenState, now: DateTime<Utc>) -> Decision {
        let token = RefreshFacts {
            expires_at: t.expires_at,
            consumed_at: t.consumed_at,
        };
        let grant = GrantFacts {
            chain_ends_at: Some(t.chain_ends_at),
            revoked_at: t.revoked.then_some(t0()),
        };
        decide(t.client_type, &token, &grant, now)
    }

    fn state(client_type: ClientType) -> TokenState {
        TokenState {
            client_type,
            expires_at: t0() + Duration::days(90),
            chain_ends_at: t0() + Duration::days(365),
            consumed_at: None,
            revoked: false,
        }
    }

    #[test]
    fn decisions() {
        use ClientType::*;
        let s = Duration::seconds;
        let consumed = |c| TokenState {
            consumed_at: Some(t0() + Duration::days(1)),
            ..state(c)
        };
        let cases: Vec<(&str, TokenState, DateTime<Utc>, Decision)> = vec![
            (
                "confidential keeps parent",
                state(Confidential),
                t0(),
                Decision::Issue {
                    consume_parent: false,
                },
            ),
            (
                "public rotates",
                state(Public),
                t0(),
                Decision::Issue {
                    consume_parent: true,
                },
            ),
            (
                "last second of 90 days",
                state(Public),
                t0() + Duration::days(90) - s(1),
                Decision::Issue {
                    consume_parent: true,
                },
            ),
            (
                "90 days exactly",
                state(Confidential),
                t0() + Duration::days(90),
                Decision::Reject(Rejection::Expired),
            ),
            (
                "90 days + 1 s",
                state(Confidential),
                t0() + Duration::days(90) + s(1),
                Decision::Reject(Rejection::Expired),
            ),
            (
                "revoked",
                TokenState {
                    revoked: true,
                    ..state(Confidential)
                },
                t0(),
                Decision::Reject(Rejection::Revoked),
            ),
            (
                "chain end",
                TokenState {
                    expires_at: t0() + Duration::days(400),
                    ..state(Confidential)
                },
                t0() + Duration::days(365),
                Decision::Reject(Rejection::ChainEnded),
            ),
            (
                "reuse inside grace",
                consumed(Public),
                t0() + Duration::days(1) + s(REUSE_GRACE_SECONDS),
                Decision::Reject(Rejection::AlreadyUsed),
            ),
            (
                "reuse after grace",
                consumed(Public),
                t0() + Duration::days(1) + s(REUSE_GRACE_SECONDS + 1),
                Decision::Reject(Rejection::Reused),
            ),
            (
                "late reuse is still theft",
                consumed(Public),
                t0() + Duration::days(200),
                Decision::Reject(Rejection::Reused),
            ),
        ];
        for (name, st, now, want) in cases {
            assert_eq!(run(&st, now), want, "{name}");
        }
    }
}
