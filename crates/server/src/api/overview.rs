//! The console's home (issue "console for the people who use it every day", item 4): what
//! there is, what ends soon, and what went wrong lately — each number a way into its list.

use super::audit::{AuditAction, AuditQuery};
use super::{Authdesk, Result};
use authdesk_store::{grants, overview};
use serde::Serialize;

/// Days the "recently" counts look back.
pub const RECENT_DAYS: i64 = 7;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Overview {
    #[ts(type = "number")]
    pub apps: i64,
    #[ts(type = "number")]
    pub apps_disabled: i64,
    #[ts(type = "number")]
    pub users: i64,
    /// Grants neither revoked nor past their chain's end.
    #[ts(type = "number")]
    pub active_grants: i64,
    /// Refresh tokens of live grants reaching their effective expiry within 7 and 30 days.
    #[ts(type = "number")]
    pub refresh_tokens_ending_7d: i64,
    #[ts(type = "number")]
    pub refresh_tokens_ending_30d: i64,
    /// Chains reaching their one-year end within 7 and 30 days.
    #[ts(type = "number")]
    pub chains_ending_7d: i64,
    #[ts(type = "number")]
    pub chains_ending_30d: i64,
    /// Audit events of the last [`RECENT_DAYS`] days (sandbox clock).
    #[ts(type = "number")]
    pub revocations: i64,
    #[ts(type = "number")]
    pub reuse_detections: i64,
    #[ts(type = "number")]
    pub failed_client_auths: i64,
    /// Where "recently" starts (Unix seconds), for the console's links into the audit.
    #[ts(type = "number")]
    pub recent_since: i64,
    /// Whether any token was ever issued or minted here (the first-run page's last step).
    pub tokens_issued: bool,
    /// When these were counted (Unix seconds): "within 7 days" is `[now, now + 7 days)`.
    #[ts(type = "number")]
    pub now: i64,
}

impl Authdesk {
    pub async fn overview(&self) -> Result<Overview> {
        let now = self.now().timestamp();
        let since = now - RECENT_DAYS * 86_400;
        let mut conn = self.store().read().await?;
        let counts = overview::counts(&mut conn, now).await?;
        let days = grants::expiry_histogram(&mut conn, now, now + 30 * 86_400).await?;
        let within = |d: i64| {
            days.iter()
                .filter(|(day, _, _)| *day < d)
                .fold((0, 0), |(t, c), (_, tokens, chains)| {
                    (t + tokens, c + chains)
                })
        };
        let (tokens_7, chains_7) = within(7);
        let (tokens_30, chains_30) = within(30);
        let recent = |action: AuditAction| AuditQuery {
            action: Some(action),
            from: Some(since),
            ..Default::default()
        };
        drop(conn);
        let count = |action| {
            let q = recent(action);
            async move {
                self.audit_list(&q, Default::default(), 1)
                    .await
                    .map(|p| p.total)
            }
        };
        Ok(Overview {
            apps: counts.apps,
            apps_disabled: counts.apps_disabled,
            users: counts.users,
            active_grants: counts.active_grants,
            refresh_tokens_ending_7d: tokens_7,
            refresh_tokens_ending_30d: tokens_30,
            chains_ending_7d: chains_7,
            chains_ending_30d: chains_30,
            revocations: count(AuditAction::GrantRevoke).await?,
            reuse_detections: count(AuditAction::RefreshReuseDetected).await?,
            failed_client_auths: count(AuditAction::ClientAuthFailed).await?,
            recent_since: since,
            tokens_issued: counts.tokens_issued != 0,
            now,
        })
    }
}
