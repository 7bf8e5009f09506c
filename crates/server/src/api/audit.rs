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

impl Authdesk {
    pub async fn audit_list(&self, action: Option<&str>, page: Page) -> Result<Vec<AuditRow>> {
        let (limit, offset) = page.clamp();
        let mut conn = self.store().read().await?;
        Ok(audit::list(&mut conn, action, limit, offset).await?)
    }
}
