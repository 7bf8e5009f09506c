//! The audit log: admin actions and token events.

use super::{Actor, Authdesk, Result};

mod export;
pub mod sentence;
use authdesk_store::Conn;
use authdesk_store::audit::{self, AuditRow};
pub use authdesk_store::audit::{AuditCursor, SearchedWindow};
use serde::{Deserialize, Serialize};

/// Declares [`AuditAction`] once: each variant with its stored name; `ALL` and `as_str`
/// follow from the same list.
macro_rules! audit_actions {
    ($($variant:ident = $name:literal => $label:literal,)*) => {
        /// Every action the audit records: a closed set, exported to the console (its filter
        /// lists [`AuditAction::ALL`], so a new action cannot be missing there).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
        #[ts(export)]
        pub enum AuditAction {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(Self::$variant,)*];

            /// The stored name (as serialised).
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// What people read instead of the code ("application registered").
            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label,)* }
            }
        }
    };
}

audit_actions! {
    ClientCreate = "client.create" => "application registered",
    ClientUpdate = "client.update" => "application changed",
    ClientDisable = "client.disable" => "application disabled",
    ClientEnable = "client.enable" => "application enabled",
    ClientDelete = "client.delete" => "application deleted",
    ClientRotateSecret = "client.rotate_secret" => "application secret rotated",
    ClientAuthFailed = "client.auth_failed" => "application failed to authenticate",
    UserCreate = "user.create" => "person added",
    UserLoginFailed = "user.login_failed" => "sign-in failed",
    UserUpdate = "user.update" => "person changed",
    UserDelete = "user.delete" => "person deleted",
    TokenIssue = "token.issue" => "tokens issued",
    TokenRefresh = "token.refresh" => "tokens refreshed",
    TokenMint = "token.mint" => "tokens minted",
    RefreshReuseDetected = "refresh.reuse_detected" => "refresh token reused",
    CodeReplayed = "code.replayed" => "authorization code replayed",
    GrantRevoke = "grant.revoke" => "grants revoked",
    AccessTokenRevoke = "access_token.revoke" => "access token revoked",
    KeyRotate = "key.rotate" => "signing key rotated",
    ClockAdvance = "clock.advance" => "sandbox clock moved",
    ClockReset = "clock.reset" => "sandbox clock reset",
    SettingsRetention = "settings.retention" => "retention changed",
    SandboxSeed = "sandbox.seed" => "demo data seeded",
    RegistryExport = "registry.export" => "registry exported",
    RegistryImport = "registry.import" => "registry imported",
    SettingsProfile = "settings.profile" => "profile changed",
    SessionEnd = "session.end" => "signed out",
    ClientJwksFetchFailed = "client.jwks_fetch_failed" => "application keys not fetched",
    AuthorizeRefused = "authorize.refused" => "authorization refused",
    OperatorAdd = "operator.add" => "operator added",
    OperatorUpdate = "operator.update" => "operator changed",
    OperatorSignIn = "operator.sign_in" => "operator signed in",
    OperatorSignInFailed = "operator.sign_in_failed" => "operator sign-in failed",
    OperatorSignOut = "operator.sign_out" => "operator signed out",
    SettingsConsole = "settings.console" => "console lock changed",
}

/// An action and its words, for the console's filter.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditActionLabel {
    pub action: AuditAction,
    pub label: &'static str,
}

impl AuditAction {
    /// Every action with its label, for a filter to list.
    pub fn labelled() -> Vec<AuditActionLabel> {
        Self::ALL
            .iter()
            .map(|&action| AuditActionLabel {
                action,
                label: action.label(),
            })
            .collect()
    }

    /// The action with this stored name.
    pub fn parse(name: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| {
                let all: Vec<&str> = Self::ALL.iter().map(|a| a.as_str()).collect();
                format!("unknown audit action {name:?}; one of: {}", all.join(", "))
            })
    }
}

pub(crate) async fn record(
    conn: &mut Conn,
    at: i64,
    actor: &Actor,
    action: AuditAction,
    target: &str,
    detail: serde_json::Value,
) -> std::result::Result<(), authdesk_store::StoreError> {
    audit::record(
        conn,
        at,
        &actor.name,
        action.as_str(),
        target,
        &with_reason(detail, actor),
    )
    .await
}

/// The event's detail with the actor's reason, unless the detail gives one itself.
fn with_reason(mut detail: serde_json::Value, actor: &Actor) -> serde_json::Value {
    if let (Some(reason), Some(map)) = (&actor.reason, detail.as_object_mut()) {
        map.entry("reason").or_insert_with(|| reason.clone().into());
    }
    detail
}

/// [`record`] as part of a script (sent with the unit's other writes in one round trip).
pub(crate) fn record_into(
    script: &mut authdesk_store::Script,
    at: i64,
    actor: &Actor,
    action: AuditAction,
    target: &str,
    detail: serde_json::Value,
) {
    audit::record_into(
        script,
        at,
        &actor.name,
        action.as_str(),
        target,
        &with_reason(detail, actor),
    );
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
    /// was sealed or follows a removed one; `unsealed` counts the newer events that await
    /// sealing (PostgreSQL seals off the request path).
    pub async fn audit_verify(&self) -> Result<audit::ChainCheck> {
        let mut conn = self.store().read().await?;
        Ok(audit::verify(&mut conn).await?)
    }

    /// One page of the events matching `query`, newest first: at most `limit` (1–1000) below
    /// `cursor`; `next` is the cursor of the following page. A query that searches text reads
    /// one window of events per page (`audit::page`): `searched` says how far back, and `next`
    /// then opens the next window once this one's matches are all shown.
    pub async fn audit_list(
        &self,
        query: &AuditQuery,
        cursor: AuditCursor,
        limit: i64,
    ) -> Result<AuditPage> {
        let limit = limit.clamp(1, 1000);
        let filter = query.filter();
        let mut conn = self.store().read().await?;
        let slice = audit::page(&mut conn, &filter, cursor, limit).await?;
        let (total, more) = (
            slice.matched.min(audit::COUNT_CAP),
            slice.matched > audit::COUNT_CAP,
        );
        let next = if slice.rows.len() as i64 == limit {
            slice.rows.last().map(|r| AuditCursor {
                before: Some(r.id),
                floor: slice.window.map(|w| w.floor),
            })
        } else {
            slice.window.filter(|w| w.older).map(|w| AuditCursor {
                before: Some(w.floor),
                floor: None,
            })
        };
        let names = sentence::Names::of(&mut conn, &slice.rows).await?;
        let rows = slice
            .rows
            .into_iter()
            .map(|row| {
                let (said, target_name) = sentence::sentence(&row, &names);
                AuditEntry {
                    label: AuditAction::parse(&row.action)
                        .map_or_else(|_| row.action.clone(), |a| a.label().to_string()),
                    sentence: said,
                    target_name,
                    row,
                }
            })
            .collect();
        Ok(AuditPage {
            rows,
            total,
            more,
            next,
            searched: slice.window,
        })
    }

    /// The newest `limit` events matching `query` however far back they lie (the CLI: a text
    /// search goes on window after window); `total` counts the matches in what was read, and
    /// `more` says that older events were not read or counting stopped at the cap.
    pub async fn audit_newest(&self, query: &AuditQuery, limit: i64) -> Result<AuditPage> {
        let limit = limit.clamp(1, 1000);
        let mut first = self
            .audit_list(query, AuditCursor::default(), limit)
            .await?;
        let mut next = first.next.filter(|_| (first.rows.len() as i64) < limit);
        while let Some(cursor) = next {
            let page = self
                .audit_list(query, cursor, limit - first.rows.len() as i64)
                .await?;
            first.total += page.total;
            first.more |= page.more;
            first.rows.extend(page.rows);
            first.searched = page.searched;
            next = page.next.filter(|_| (first.rows.len() as i64) < limit);
            first.next = page.next;
        }
        first.more |= first.searched.is_some() && first.next.is_some();
        Ok(first)
    }

    /// Writes every event matching `query`, newest first, to `out` as CSV or JSON (see
    /// [`export`]); returns how many. Reads a thousand at a time.
    pub async fn audit_export(
        &self,
        query: &AuditQuery,
        format: ExportFormat,
        out: &mut impl std::io::Write,
        actor: &Actor,
    ) -> Result<u64> {
        actor.may(authdesk_core::roles::Power::ExportAudit)?;
        let mut exporter = export::Exporter::start(format, out)?;
        let mut cursor = AuditCursor::default();
        loop {
            let page = self.audit_list(query, cursor, 1000).await?;
            for row in &page.rows {
                exporter.row(row)?;
            }
            match page.next {
                Some(n) => cursor = n,
                None => break,
            }
        }
        exporter.finish()
    }
}

/// What the audit viewer asks for (console and CLI): every given field must match; the store
/// does the filtering and the paging.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditQuery {
    /// A part of the actor, any case.
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    /// The target, exactly: an app id, a grant id, a user's `sub`.
    pub target: Option<String>,
    /// From this time on (sandbox clock, Unix seconds).
    #[ts(type = "number | null")]
    pub from: Option<i64>,
    /// Before this time.
    #[ts(type = "number | null")]
    pub to: Option<i64>,
    /// A part of the actor, action, target or detail, any case.
    pub text: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> audit::AuditFilter<'_> {
        audit::AuditFilter {
            actor: self.actor.as_deref(),
            action: self.action.map(AuditAction::as_str),
            target: self.target.as_deref(),
            from: self.from,
            to: self.to,
            text: self.text.as_deref(),
        }
    }
}

/// An event as stored, and as people read it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditEntry {
    #[serde(flatten)]
    #[ts(flatten)]
    pub row: AuditRow,
    /// The action in words ("grants revoked"); the code stays in `action`.
    pub label: String,
    /// The event as one sentence with names ("alice revoked ada's Budget App grant — lost
    /// device"): `sentence::sentence`.
    pub sentence: String,
    /// What the event is about, by name ("ada's Budget App grant"), when it names something.
    pub target_name: Option<String>,
}

impl std::ops::Deref for AuditEntry {
    type Target = AuditRow;
    fn deref(&self) -> &AuditRow {
        &self.row
    }
}

/// A page of the audit.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditPage {
    pub rows: Vec<AuditEntry>,
    /// Events matching the query, counted up to 10,000 (`audit::COUNT_CAP`): in all, or, in a
    /// text search, in the window this page opened (`searched`).
    #[ts(type = "number")]
    pub total: i64,
    /// More than `total` match: counting stopped at the cap.
    pub more: bool,
    /// The cursor of the next page, if there is one.
    pub next: Option<AuditCursor>,
    /// In a text search: the events this page read (it cannot skip any; see `audit::page`).
    pub searched: Option<SearchedWindow>,
}

pub use export::ExportFormat;

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn every_action_is_listed_once_under_its_stored_name() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert!(seen.insert(a.as_str()), "{a:?} listed twice");
            assert_eq!(AuditAction::parse(a.as_str()), Ok(*a));
        }
    }
}
