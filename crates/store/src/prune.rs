//! Deleting rows that can no longer matter, a bounded number at a time, so storage stays flat
//! however long the server runs. Each call deletes at most `limit` rows of one kind and is meant
//! to be one unit of work of its own: pruning never holds the write lock for long, and requests
//! are served between its steps. The rules (and the periods, which the caller decides) are
//! documented in ARCHITECTURE.md; every condition is read off an index (migration
//! `20261201000001_pruning_indexes`).

use crate::{Conn, Result};

/// The moments before which rows of each kind may go (Unix seconds, by the sandbox clock).
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    /// Now: expired sessions, interactions, pushed requests and client-credentials tokens go.
    pub now: i64,
    /// Now on the clients' clock (the wall clock, not a moved sandbox clock): the `jti`s of
    /// assertions and DPoP proofs, remembered until times the clients wrote, go after them.
    pub clients_now: i64,
    /// A grant that ended before this goes, with its refresh and access tokens.
    pub grants_ended_before: i64,
    /// A grant without a chain whose access token expired before this goes (its end).
    pub unchained_created_before: i64,
    /// A code that expired before this goes (used codes are kept a while to catch replays).
    pub codes_expired_before: i64,
    /// Audit events before this go, oldest first (the hash chain stays whole: the oldest
    /// event newer than this stops the pruning).
    pub audit_before: i64,
    /// A user name's failed logins last counted before this go (its lock ended long ago).
    pub login_failures_before: i64,
}

/// What a prune step deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    UnboundAccessTokens,
    RevokedGrants,
    EndedChains,
    UnchainedGrants,
    Codes,
    Interactions,
    Sessions,
    Assertions,
    PushedRequests,
    LoginFailures,
    Audit,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::UnboundAccessTokens,
        Kind::RevokedGrants,
        Kind::EndedChains,
        Kind::UnchainedGrants,
        Kind::Codes,
        Kind::Interactions,
        Kind::Sessions,
        Kind::Assertions,
        Kind::PushedRequests,
        Kind::LoginFailures,
        Kind::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnboundAccessTokens => "client-credentials access tokens",
            Kind::RevokedGrants => "revoked grants",
            Kind::EndedChains => "ended chains",
            Kind::UnchainedGrants => "grants without a chain",
            Kind::Codes => "authorization codes",
            Kind::Interactions => "interactions",
            Kind::Sessions => "sessions",
            Kind::Assertions => "client assertion ids",
            Kind::PushedRequests => "pushed authorization requests",
            Kind::LoginFailures => "failed-login counts",
            Kind::Audit => "audit events",
        }
    }

    /// The statement deleting up to ?2 rows older than ?1.
    fn sql(self) -> &'static str {
        match self {
            Kind::UnboundAccessTokens => {
                "DELETE FROM access_tokens WHERE rowid IN (SELECT rowid FROM access_tokens WHERE grant_id IS NULL AND expires_at <= ?1 LIMIT ?2)"
            }
            Kind::RevokedGrants => {
                "DELETE FROM grants WHERE rowid IN (SELECT rowid FROM grants WHERE revoked_at IS NOT NULL AND revoked_at <= ?1 LIMIT ?2)"
            }
            Kind::EndedChains => {
                "DELETE FROM grants WHERE rowid IN (SELECT rowid FROM grants WHERE chain_ends_at IS NOT NULL AND chain_ends_at <= ?1 LIMIT ?2)"
            }
            Kind::UnchainedGrants => {
                "DELETE FROM grants WHERE rowid IN (SELECT rowid FROM grants WHERE chain_ends_at IS NULL AND created_at <= ?1 LIMIT ?2)"
            }
            Kind::Codes => {
                "DELETE FROM authorization_codes WHERE rowid IN (SELECT rowid FROM authorization_codes WHERE expires_at <= ?1 LIMIT ?2)"
            }
            Kind::Interactions => {
                "DELETE FROM interactions WHERE rowid IN (SELECT rowid FROM interactions WHERE expires_at <= ?1 LIMIT ?2)"
            }
            Kind::Sessions => {
                "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at <= ?1 LIMIT ?2)"
            }
            Kind::Assertions => {
                "DELETE FROM client_assertions WHERE rowid IN (SELECT rowid FROM client_assertions WHERE expires_at <= ?1 LIMIT ?2)"
            }
            Kind::PushedRequests => {
                "DELETE FROM pushed_requests WHERE rowid IN (SELECT rowid FROM pushed_requests WHERE expires_at <= ?1 LIMIT ?2)"
            }
            Kind::LoginFailures => {
                "DELETE FROM login_failures WHERE rowid IN (SELECT rowid FROM login_failures WHERE last_failed_at <= ?1 LIMIT ?2)"
            }
            Kind::Audit => {
                unreachable!("audit events are pruned in chain order: audit::prune_oldest")
            }
        }
    }

    fn cutoff(self, c: &Cutoffs) -> i64 {
        match self {
            Kind::UnboundAccessTokens
            | Kind::Interactions
            | Kind::Sessions
            | Kind::PushedRequests => c.now,
            Kind::Assertions => c.clients_now,
            Kind::RevokedGrants | Kind::EndedChains => c.grants_ended_before,
            Kind::UnchainedGrants => c.unchained_created_before,
            Kind::Codes => c.codes_expired_before,
            Kind::LoginFailures => c.login_failures_before,
            Kind::Audit => c.audit_before,
        }
    }
}

/// Deletes at most `limit` rows of `kind` that the cutoffs let go; returns how many.
pub async fn step(conn: &mut Conn, kind: Kind, c: &Cutoffs, limit: i64) -> Result<u64> {
    if kind == Kind::Audit {
        return crate::audit::prune_oldest(conn, c.audit_before, limit).await;
    }
    let r = crate::on!(&mut *conn, kind.sql(), |db, sql| sqlx::query(sql)
        .bind(kind.cutoff(c))
        .bind(limit)
        .execute(&mut *db)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(r)
}

/// Row counts of every table that pruning keeps flat (for tests and the benchmark).
pub async fn counts(conn: &mut Conn) -> Result<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for t in [
        "grants",
        "refresh_tokens",
        "access_tokens",
        "authorization_codes",
        "interactions",
        "sessions",
        "client_assertions",
        "pushed_requests",
        "login_failures",
        "audit",
    ] {
        let n: i64 = crate::on!(
            &mut *conn,
            &format!("SELECT COUNT(*) FROM {t}"),
            |db, sql| sqlx::query_scalar(sql).fetch_one(&mut *db).await
        )?;
        out.push((t, n));
    }
    Ok(out)
}
