//! The audit as people read it: each event as one sentence with names ("alice revoked ada's
//! Budget App grant — lost device"), never ids (they stay one click away). The names are looked
//! up for a page at a time; an app or person deleted since reads by the name the event kept,
//! else as "a deleted app" / "a deleted person".

use super::AuditAction;
use authdesk_store::audit::AuditRow;
use authdesk_store::{Conn, StoreError, clients, grants, users};
use serde_json::Value;
use std::collections::HashMap;

/// The names a page of events mentions, by id.
#[derive(Debug, Default)]
pub struct Names {
    apps: HashMap<String, Option<String>>,
    people: HashMap<String, Option<String>>,
    /// A grant's app and person ids.
    grants: HashMap<String, Option<(String, String)>>,
}

fn detail_of(row: &AuditRow) -> Value {
    serde_json::from_str(&row.detail).unwrap_or(Value::Null)
}

fn text<'a>(d: &'a Value, key: &str) -> Option<&'a str> {
    d.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// What an event is about: (app id, person sub, grant id), from its target and detail.
fn about(
    action: Option<AuditAction>,
    row: &AuditRow,
    d: &Value,
) -> (Option<String>, Option<String>, Option<String>) {
    use AuditAction::*;
    let own = |k: &str| text(d, k).map(String::from);
    let target = Some(row.target.clone());
    match action {
        Some(
            ClientCreate
            | ClientUpdate
            | ClientDisable
            | ClientEnable
            | ClientDelete
            | ClientRotateSecret
            | ClientAuthFailed
            | ClientJwksFetchFailed
            | AuthorizeRefused,
        ) => (target, None, None),
        Some(UserCreate | UserUpdate | UserDelete | SessionEnd) => (own("client_id"), target, None),
        Some(TokenIssue | TokenRefresh | TokenMint | RefreshReuseDetected | CodeReplayed) => {
            (own("client_id"), own("sub"), target)
        }
        Some(GrantRevoke) => (own("client_id"), own("sub"), own("grant_id")),
        Some(AccessTokenRevoke) => (own("client_id"), None, None),
        _ => (None, None, None),
    }
}

impl Names {
    /// Looks up every name `rows` mention.
    pub async fn of(conn: &mut Conn, rows: &[AuditRow]) -> Result<Names, StoreError> {
        let mut names = Names::default();
        for row in rows {
            let d = detail_of(row);
            let (app, person, grant) = about(AuditAction::parse(&row.action).ok(), row, &d);
            if let Some(g) = grant.filter(|g| !names.grants.contains_key(g)) {
                let found = grants::get(conn, &g).await?;
                if let Some(found) = &found {
                    names.want_app(conn, &found.client_id).await?;
                    names.want_person(conn, &found.sub).await?;
                }
                names.grants.insert(g, found.map(|f| (f.client_id, f.sub)));
            }
            if let Some(a) = app {
                names.want_app(conn, &a).await?;
            }
            if let Some(p) = person {
                names.want_person(conn, &p).await?;
            }
        }
        Ok(names)
    }

    async fn want_app(&mut self, conn: &mut Conn, id: &str) -> Result<(), StoreError> {
        if !self.apps.contains_key(id) {
            let name = clients::get(conn, id).await?.map(|c| c.settings.name);
            self.apps.insert(id.to_string(), name);
        }
        Ok(())
    }

    async fn want_person(&mut self, conn: &mut Conn, sub: &str) -> Result<(), StoreError> {
        if !self.people.contains_key(sub) {
            let name = users::get(conn, sub).await?.map(|u| u.username);
            self.people.insert(sub.to_string(), name);
        }
        Ok(())
    }

    fn app(&self, id: Option<&str>, kept: Option<&str>) -> String {
        id.and_then(|i| self.apps.get(i).cloned().flatten())
            .or_else(|| kept.map(String::from))
            .unwrap_or_else(|| "a deleted app".into())
    }

    fn person(&self, sub: Option<&str>, kept: Option<&str>) -> String {
        sub.and_then(|s| self.people.get(s).cloned().flatten())
            .or_else(|| kept.map(String::from))
            .unwrap_or_else(|| "a deleted person".into())
    }
}

/// Who acted, as a sentence names them: `alice (support) at desk-7` is "alice";
/// `console:ada@desk-7` is "ada at desk-7"; `cli:ops@host` is "ops at host (CLI)"; the server
/// itself (`http`) is nobody (the sentence names what happened).
pub fn who(actor: &str) -> Option<String> {
    if actor == "http" {
        return None;
    }
    if let Some((name, _)) = actor.split_once(" (") {
        return Some(name.to_string());
    }
    let local = |rest: &str| match rest.split_once('@') {
        Some((user, host)) => format!("{user} at {host}"),
        None => rest.to_string(),
    };
    if let Some(rest) = actor.strip_prefix("console:") {
        return Some(local(rest));
    }
    if let Some(rest) = actor.strip_prefix("cli:") {
        return Some(format!("{} (CLI)", local(rest)));
    }
    Some(actor.to_string())
}

fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// The event as one sentence, and the name of what it is about (for the target column).
pub fn sentence(row: &AuditRow, names: &Names) -> (String, Option<String>) {
    use AuditAction::*;
    let d = detail_of(row);
    let action = AuditAction::parse(&row.action).ok();
    let (app_id, sub, grant) = about(action, row, &d);
    let (grant_app, grant_person) = grant
        .as_deref()
        .and_then(|g| names.grants.get(g).cloned().flatten())
        .map_or((None, None), |(a, p)| (Some(a), Some(p)));
    let app = names.app(app_id.as_deref().or(grant_app.as_deref()), text(&d, "name"));
    let person = names.person(
        sub.as_deref().or(grant_person.as_deref()),
        text(&d, "username"),
    );
    let w = who(&row.actor).unwrap_or_else(|| "Authdesk".into());
    let typed = format!("“{}”", row.target);
    let (said, target) = match action {
        Some(ClientCreate) => (format!("{w} registered {app}"), Some(app)),
        Some(ClientUpdate) => (format!("{w} changed {app}"), Some(app)),
        Some(ClientDisable) => (format!("{w} disabled {app}"), Some(app)),
        Some(ClientEnable) => (format!("{w} enabled {app} again"), Some(app)),
        Some(ClientDelete) => (format!("{w} deleted {app}"), Some(app)),
        Some(ClientRotateSecret) => (
            format!("{w} rotated {} secret", possessive(&app)),
            Some(app),
        ),
        Some(ClientAuthFailed) => (format!("A call as {app} failed to authenticate"), Some(app)),
        Some(ClientJwksFetchFailed) => (
            format!("{} keys could not be fetched", possessive(&app)),
            Some(app),
        ),
        Some(AuthorizeRefused) => (
            format!("An authorization request of {app} was refused"),
            Some(app),
        ),
        Some(UserCreate) => (format!("{w} added {person}"), Some(person)),
        Some(UserUpdate) => (
            format!("{w} changed {} claims", possessive(&person)),
            Some(person),
        ),
        Some(UserDelete) => (format!("{w} deleted {person}"), Some(person)),
        Some(UserLoginFailed) => (format!("A sign-in as {typed} failed"), None),
        Some(SessionEnd) if text(&d, "via") == Some("sign_out_everywhere") => {
            (format!("{w} signed {person} out everywhere"), Some(person))
        }
        Some(SessionEnd) => (format!("{person} signed out"), Some(person)),
        Some(TokenIssue) => (
            format!("{app} got tokens for {person}"),
            Some(format!("{} {app} grant", possessive(&person))),
        ),
        Some(TokenRefresh) => (
            format!("{app} refreshed {} tokens", possessive(&person)),
            Some(format!("{} {app} grant", possessive(&person))),
        ),
        Some(TokenMint) => (format!("{w} minted tokens for {app}"), Some(app)),
        Some(RefreshReuseDetected) => (
            format!(
                "A refresh token of {} {app} grant was used twice: the grant was revoked",
                possessive(&person)
            ),
            Some(format!("{} {app} grant", possessive(&person))),
        ),
        Some(CodeReplayed) => (
            format!("An authorization code of {app} was presented twice"),
            Some(app),
        ),
        Some(GrantRevoke) => {
            let what = match (grant.is_some(), sub.is_some(), app_id.is_some()) {
                (true, _, _) => format!("{} {app} grant", possessive(&person)),
                (false, true, true) => format!("{} {app} grants", possessive(&person)),
                (false, true, false) => format!("every grant of {person}"),
                _ => format!("every grant of {app}"),
            };
            let n = d.pointer("/impact/grants").and_then(Value::as_i64);
            let count = match n {
                Some(n) if grant.is_none() => {
                    format!(" ({n} grant{})", if n == 1 { "" } else { "s" })
                }
                _ => String::new(),
            };
            (format!("{w} revoked {what}{count}"), Some(what))
        }
        Some(AccessTokenRevoke) => (format!("{app} revoked an access token"), None),
        Some(KeyRotate) => (
            format!(
                "{w} rotated the {} signing key",
                text(&d, "alg").unwrap_or("")
            ),
            None,
        ),
        Some(ClockAdvance) => (format!("{w} moved the sandbox clock"), None),
        Some(ClockReset) => (format!("{w} reset the sandbox clock"), None),
        Some(SettingsRetention) => (format!("{w} changed how long records are kept"), None),
        Some(SandboxSeed) => (format!("{w} seeded demo data"), None),
        Some(RegistryExport) => (format!("{w} exported the registry"), None),
        Some(RegistryImport) => (format!("{w} imported a registry"), None),
        Some(SettingsProfile) => (format!("{w} switched the profile"), None),
        Some(OperatorAdd) => (
            format!("{w} added the operator {}", row.target),
            Some(row.target.clone()),
        ),
        Some(OperatorUpdate) => (
            format!("{w} changed the operator {}", row.target),
            Some(row.target.clone()),
        ),
        Some(OperatorSignIn) => (format!("{w} signed in"), None),
        Some(OperatorSignInFailed) => (format!("A console sign-in as {typed} failed"), None),
        Some(OperatorSignOut) => match text(&d, "why") {
            Some("signed out") | None => (
                format!("{} signed out", row.target),
                Some(row.target.clone()),
            ),
            Some(why) => (
                format!("{} was signed out: {why}", row.target),
                Some(row.target.clone()),
            ),
        },
        Some(SettingsConsole) => (format!("{w} changed when consoles lock"), None),
        None => (format!("{w}: {}", row.action), None),
    };
    let reason = text(&d, "reason")
        .map(|r| format!(" — {r}"))
        .unwrap_or_default();
    (format!("{said}{reason}"), target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(actor: &str, action: &str, target: &str, detail: Value) -> AuditRow {
        AuditRow {
            id: 1,
            at: 0,
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            detail: detail.to_string(),
            recorded_at: None,
        }
    }

    fn names() -> Names {
        let mut n = Names::default();
        n.apps.insert("app-1".into(), Some("Budget App".into()));
        n.people.insert("sub-ada".into(), Some("ada".into()));
        n.grants
            .insert("g-1".into(), Some(("app-1".into(), "sub-ada".into())));
        n
    }

    #[test]
    fn people_are_named_by_who_they_are() {
        assert_eq!(who("alice (support) at desk-7").as_deref(), Some("alice"));
        assert_eq!(
            who("alice (admin) at desk-7 via cli").as_deref(),
            Some("alice")
        );
        assert_eq!(who("console:ada@desk-7").as_deref(), Some("ada at desk-7"));
        assert_eq!(who("cli:ops@host").as_deref(), Some("ops at host (CLI)"));
        assert_eq!(who("http"), None);
    }

    #[test]
    fn a_revocation_reads_as_a_sentence_with_names_and_the_reason() {
        let n = names();
        let one = row(
            "alice (support) at desk-7",
            "grant.revoke",
            "g-1",
            serde_json::json!({"grant_id": "g-1", "sub": null, "client_id": null, "reason": "lost device", "impact": {"grants": 1}}),
        );
        assert_eq!(
            sentence(&one, &n),
            (
                "alice revoked ada's Budget App grant — lost device".into(),
                Some("ada's Budget App grant".into())
            )
        );
        let all = row(
            "sam (support) at desk-7",
            "grant.revoke",
            "sub-ada",
            serde_json::json!({"grant_id": null, "sub": "sub-ada", "client_id": null, "reason": "suspected fraud", "impact": {"grants": 3}}),
        );
        assert_eq!(
            sentence(&all, &n).0,
            "sam revoked every grant of ada (3 grants) — suspected fraud"
        );
    }

    #[test]
    fn what_the_server_did_names_the_app_and_person() {
        let n = names();
        let refresh = row(
            "http",
            "token.refresh",
            "g-1",
            serde_json::json!({"client_id": "app-1", "token_id": "t"}),
        );
        assert_eq!(
            sentence(&refresh, &n).0,
            "Budget App refreshed ada's tokens"
        );
        let failed = row(
            "http",
            "user.login_failed",
            "mallory\n",
            serde_json::json!({}),
        );
        assert_eq!(sentence(&failed, &n).0, "A sign-in as “mallory\n” failed");
        let gone = row(
            "console:root@vm",
            "client.delete",
            "app-9",
            serde_json::json!({"name": "Old App"}),
        );
        assert_eq!(sentence(&gone, &n).0, "root at vm deleted Old App");
    }
}
