//! Storage stays flat: rows that can no longer matter are deleted, a few hundred at a time, by
//! the sandbox clock (so moving the clock a year ahead and pruning shows what a year does).
//!
//! What goes, and when (see also ARCHITECTURE.md):
//! - access tokens from client credentials, once expired (they belong to no chain);
//! - a grant with its refresh and access tokens, `chains` after it ended: after its revocation,
//!   after its chain's one-year end, or — without a chain — after its access token expired.
//!   A chain whose last refresh token expired unused is kept until its one-year end (the
//!   console shows it as expired meanwhile) and then for `chains` more;
//! - authorization codes a day after they expired (so a late replay still revokes what the
//!   code produced);
//! - expired login sessions, interactions and `private_key_jwt` replay entries;
//! - audit events older than `audit` (a setting of its own).

use super::{Actor, ApiError, Authdesk, Result, audit};
use crate::api::audit::AuditAction;
use authdesk_core::lifetime;
use authdesk_core::roles::Power;
use authdesk_store::prune::{self, Cutoffs, Kind};
use authdesk_store::settings;
use chrono::Duration;
use serde::Serialize;

pub const DEFAULT_CHAIN_RETENTION_DAYS: i64 = 90;
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 365;
/// A used or expired code is kept this long after its expiry to catch a late replay.
pub const CODE_KEPT_SECONDS: i64 = 86_400;
/// Rows one prune step deletes at most: one short unit of work, requests go between steps.
pub const STEP: i64 = 500;

const CHAINS_KEY: &str = "retention_chains_seconds";
const AUDIT_KEY: &str = "retention_audit_seconds";

/// How long ended chains and audit events are kept.
#[derive(Debug, Clone, Copy, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Retention {
    #[ts(type = "number")]
    pub chains_seconds: i64,
    #[ts(type = "number")]
    pub audit_seconds: i64,
}

/// What one prune pass deleted, by kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PruneReport {
    pub deleted: Vec<(&'static str, u64)>,
}

impl PruneReport {
    pub fn total(&self) -> u64 {
        self.deleted.iter().map(|(_, n)| n).sum()
    }
}

fn parse_or(v: Option<String>, default_days: i64) -> i64 {
    v.and_then(|s| s.parse().ok())
        .unwrap_or(default_days * 86_400)
}

impl Authdesk {
    pub async fn retention(&self) -> Result<Retention> {
        let mut conn = self.store().read().await?;
        Ok(Retention {
            chains_seconds: parse_or(
                settings::get(&mut conn, CHAINS_KEY).await?,
                DEFAULT_CHAIN_RETENTION_DAYS,
            ),
            audit_seconds: parse_or(
                settings::get(&mut conn, AUDIT_KEY).await?,
                DEFAULT_AUDIT_RETENTION_DAYS,
            ),
        })
    }

    /// Changes how long ended chains and audit events are kept (each at least a day).
    pub async fn set_retention(
        &self,
        chains: Option<Duration>,
        audit_log: Option<Duration>,
        actor: &Actor,
    ) -> Result<Retention> {
        actor.may(Power::ManageSettings)?;
        for (field, d) in [("chains", chains), ("audit", audit_log)] {
            if d.is_some_and(|d| d < Duration::days(1) || d > Duration::days(100 * 365)) {
                return Err(ApiError::invalid(
                    field,
                    "a retention period is between one day and 100 years",
                ));
            }
        }
        let now = self.now().timestamp();
        let actor = actor.clone();
        let (chains, audit_log) = (
            chains.map(|d| d.num_seconds()),
            audit_log.map(|d| d.num_seconds()),
        );
        self.write(move |tx| {
            Box::pin(async move {
                if let Some(s) = chains {
                    settings::set(tx, CHAINS_KEY, &s.to_string()).await?;
                }
                if let Some(s) = audit_log {
                    settings::set(tx, AUDIT_KEY, &s.to_string()).await?;
                }
                audit::record(
                    tx,
                    now,
                    &actor,
                    AuditAction::SettingsRetention,
                    "retention",
                    serde_json::json!({"chains_seconds": chains, "audit_seconds": audit_log}),
                )
                .await?;
                Ok(())
            })
        })
        .await?;
        self.retention().await
    }

    /// One pass: deletes what the retention rules let go, `STEP` rows per unit of work.
    pub async fn prune(&self) -> Result<PruneReport> {
        let r = self.retention().await?;
        let now = self.now().timestamp();
        let cutoffs = Cutoffs {
            now,
            clients_now: self.client_now().timestamp(),
            grants_ended_before: now - r.chains_seconds,
            unchained_created_before: now - lifetime::ACCESS_TOKEN - r.chains_seconds,
            codes_expired_before: now - CODE_KEPT_SECONDS,
            audit_before: now - r.audit_seconds,
            login_failures_before: now - authdesk_core::login::WINDOW,
        };
        let mut report = PruneReport::default();
        for kind in Kind::ALL {
            let mut total = 0;
            loop {
                let n = self
                    .write(move |tx| {
                        Box::pin(async move { Ok(prune::step(tx, kind, &cutoffs, STEP).await?) })
                    })
                    .await?;
                total += n;
                if n < STEP as u64 {
                    break;
                }
            }
            if total > 0 {
                report.deleted.push((kind.as_str(), total));
            }
        }
        Ok(report)
    }
}
