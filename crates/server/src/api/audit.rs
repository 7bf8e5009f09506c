//! The audit log: admin actions and token events.

use super::{Actor, Authdesk, Page, Result};
use authdesk_store::audit::{self, AuditRow};
use authdesk_store::Conn;

pub(crate) async fn record(
    conn: &mut Conn,
    at: i64,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> std::result::Result<(), authdesk_store::StoreError> {
    audit::record(conn, at, &actor.0, action, target, &detail).await
}

/// [`record`] as part of a script (sent with the unit's other writes in one round trip).
pub(crate) fn record_into(
    script: &mut authdesk_store::Script,
    at: i64,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) {
    audit::record_into(script, at, &actor.0, action, target, &detail)
}

/// A budget for audit events that callers cause without authenticating (failed client
/// authentications, wrong passwords): [`UnauthenticatedBudget::BURST`] at once, refilled at
/// [`UnauthenticatedBudget::PER_SECOND`] by the (sandbox) clock. An event over budget is
/// counted instead of written, and the next written one carries that count
/// (`"suppressed_before"`): a flood of garbage cannot grow the audit without bound, and the
/// audit still says it happened.
#[derive(Debug)]
pub(crate) struct UnauthenticatedBudget {
    state: std::sync::Mutex<BudgetState>,
}

#[derive(Debug)]
struct BudgetState {
    tokens: f64,
    at_ms: Option<i64>,
    suppressed: u64,
}

impl Default for UnauthenticatedBudget {
    fn default() -> Self {
        Self {
            state: std::sync::Mutex::new(BudgetState {
                tokens: Self::BURST,
                at_ms: None,
                suppressed: 0,
            }),
        }
    }
}

impl UnauthenticatedBudget {
    pub const BURST: f64 = 100.0;
    pub const PER_SECOND: f64 = 10.0;

    /// Whether an event at `now_ms` may be written; `Some(n)` with the number of events
    /// suppressed since the last one written.
    pub fn take(&self, now_ms: i64) -> Option<u64> {
        let mut s = self.state.lock().expect("audit budget lock");
        let elapsed = s.at_ms.map_or(0, |t| (now_ms - t).max(0));
        s.tokens = (s.tokens + elapsed as f64 * Self::PER_SECOND / 1000.0).min(Self::BURST);
        s.at_ms = Some(now_ms);
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
            Some(std::mem::take(&mut s.suppressed))
        } else {
            s.suppressed += 1;
            None
        }
    }
}

/// `detail` with the count of events suppressed before it, when there were any.
pub(crate) fn with_suppressed(mut detail: serde_json::Value, suppressed: u64) -> serde_json::Value {
    if suppressed > 0 {
        detail["suppressed_before"] = suppressed.into();
    }
    detail
}

impl Authdesk {
    /// Whether an audit event a caller caused without authenticating may be written now (see
    /// [`UnauthenticatedBudget`]), and how many were suppressed before it.
    pub(crate) fn unauthenticated_audit(&self) -> Option<u64> {
        self.unauthenticated_audit
            .take(self.now().timestamp_millis())
    }

    /// Checks the audit's hash chain from its anchor to the newest event (see
    /// `authdesk_store::audit`): `first_bad` names the first event that was changed after it
    /// was written or follows a removed one.
    pub async fn audit_verify(&self) -> Result<audit::ChainCheck> {
        let mut conn = self.store().read().await?;
        Ok(audit::verify(&mut conn).await?)
    }

    pub async fn audit_list(&self, action: Option<&str>, page: Page) -> Result<Vec<AuditRow>> {
        let (limit, offset) = page.clamp();
        let mut conn = self.store().read().await?;
        Ok(audit::list(&mut conn, action, limit, offset).await?)
    }
}
