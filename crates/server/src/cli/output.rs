//! What a command prints: with `--json` serde's JSON of the typed view, otherwise a text
//! rendering of the same view (aligned `key  value` lines or a table). Both read the typed
//! structs; nothing here looks fields up in untyped JSON.

use crate::api::clients::{ClientCreated, ClientView};
use crate::api::grants::{GrantDetail, GrantSummary, RefreshTokenNode};
use crate::api::keys::KeyView;
use crate::api::operators::OperatorView;
use crate::api::prune::{PruneReport, Retention};
use crate::api::tokens::TokenResponse;
use crate::api::users::UserView;
use crate::api::{ClockView, mode_name};
use authdesk_core::clock::{format_duration, from_unix};
use authdesk_core::names::for_terminal;
use authdesk_store::audit::AuditRow;
use authdesk_store::grants::Impact;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::borrow::Cow;

/// Prints `view` as one JSON object with `--json`, else `text()`. The JSON goes through a
/// `serde_json::Value` (object keys sorted), as it always has: scripts may compare it as text.
pub(super) fn print<T: Serialize + ?Sized>(
    json_mode: bool,
    view: &T,
    text: impl FnOnce() -> String,
) {
    if json_mode {
        println!("{}", serde_json::to_value(view).expect("serialises"));
    } else {
        print!("{}", text());
    }
}

/// A plain text table: a header row and aligned columns.
/// Cells are caller-chosen text (names, audit targets): escaped for the terminal
/// (`authdesk_core::names::for_terminal`), so none can start a line or send an escape code.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.iter().map(|c| for_terminal(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
            + "\n"
    };
    let mut out = line(
        headers
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
    );
    for r in rows {
        out.push_str(&line(r));
    }
    if out.lines().count() == 1 {
        out.push_str("(none)\n");
    }
    out
}

/// `key  value` lines, the values aligned.
fn kv(pairs: &[(&str, String)]) -> String {
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:<w$}  {}\n", for_terminal(v)))
        .collect()
}

/// A list on one line, separated by single spaces (empty for an empty list).
fn words<T: ToString>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(" ")
}

fn time_or_dash(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into())
}

fn seconds(s: i64) -> String {
    format_duration(chrono::Duration::seconds(s))
}

pub(super) fn client(c: &ClientView) -> String {
    let mut rows = vec![
        ("client_id", c.client_id.clone()),
        ("name", c.name.clone()),
        ("app type", c.app_type.to_string()),
        ("type", c.client_type.to_string()),
        ("auth method", c.token_endpoint_auth_method.to_string()),
        ("redirect uris", words(&c.redirect_uris)),
        ("scopes", words(&c.scopes)),
        ("grant types", words(&c.grant_types)),
        ("id token alg", c.id_token_alg.to_string()),
        ("consent required", c.consent_required.to_string()),
        ("resource server", c.resource_server.to_string()),
        ("dpop bound", c.dpop_bound_access_tokens.to_string()),
        (
            "require par",
            c.require_pushed_authorization_requests.to_string(),
        ),
        ("enabled", c.enabled.to_string()),
    ];
    let optional = [
        ("associated user", c.associated_user.clone()),
        ("jwks uri", c.jwks_uri.clone()),
        (
            "logout uris",
            (!c.post_logout_redirect_uris.is_empty()).then(|| words(&c.post_logout_redirect_uris)),
        ),
        (
            "claims enabled",
            (!c.custom_claims.is_empty()).then(|| words(&c.custom_claims)),
        ),
    ];
    rows.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    kv(&rows)
        + &c.trouble
            .iter()
            .map(|line| format!("why: {line}\n"))
            .collect::<String>()
}

/// A new app: its settings, then the secret (if it has one) with the note it is shown once.
pub(super) fn client_created(c: &ClientCreated) -> String {
    let mut out = client(&c.client);
    if let Some(secret) = &c.client_secret {
        out.push_str(&format!("client_secret     {secret}\n\nThe secret is shown only now. Store it safely; it cannot be read again.\n"));
    }
    out
}

pub(super) fn rotated_secret(c: &ClientCreated) -> String {
    let old = match c.client.previous_secret_until {
        Some(until) => format!(
            "The old secret keeps working until {} (sandbox clock); then only the new one does.",
            until.to_rfc3339()
        ),
        None => "The old secret no longer works.".to_string(),
    };
    format!(
        "client_secret  {}\n\n{old} The new one is shown only now.\n",
        c.client_secret.as_deref().unwrap_or("")
    )
}

pub(super) fn clients(list: &[ClientView]) -> String {
    table(
        &["CLIENT ID", "NAME", "TYPE", "AUTH METHOD", "ENABLED"],
        list.iter()
            .map(|c| {
                vec![
                    c.client_id.clone(),
                    c.name.clone(),
                    c.client_type.to_string(),
                    c.token_endpoint_auth_method.to_string(),
                    c.enabled.to_string(),
                ]
            })
            .collect(),
    )
}

pub(super) fn user(u: &UserView) -> String {
    kv(&[("sub", u.sub.clone()), ("username", u.username.clone())])
}

pub(super) fn users(list: &[UserView]) -> String {
    table(
        &["SUB", "USERNAME"],
        list.iter()
            .map(|u| vec![u.sub.clone(), u.username.clone()])
            .collect(),
    )
}

pub(super) fn operators(list: &[OperatorView]) -> String {
    table(
        &["USERNAME", "NAME", "ROLE", "STATE"],
        list.iter()
            .map(|o| {
                vec![
                    o.username.clone(),
                    o.display_name.clone(),
                    o.role.to_string(),
                    if o.disabled { "disabled" } else { "enabled" }.into(),
                ]
            })
            .collect(),
    )
}

pub(super) fn grants(list: &[GrantSummary]) -> String {
    table(
        &[
            "GRANT ID",
            "APP",
            "CLIENT ID",
            "USER",
            "SUB",
            "CREATED",
            "CHAIN ENDS",
            "STATE",
        ],
        list.iter()
            .map(|g| {
                vec![
                    g.grant_id.clone(),
                    g.client_name.clone().unwrap_or_else(|| "-".into()),
                    g.client_id.clone(),
                    g.username.clone().unwrap_or_else(|| "(deleted)".into()),
                    g.sub.clone(),
                    g.created_at.to_rfc3339(),
                    time_or_dash(g.chain_ends_at),
                    g.status.as_str().into(),
                ]
            })
            .collect(),
    )
}

/// One grant, then its refresh tokens as a tree (each rotation indented under its parent).
pub(super) fn grant(d: &GrantDetail) -> String {
    let g = &d.grant;
    let mut out = kv(&[
        ("grant", g.grant_id.clone()),
        ("client", g.client_id.clone()),
        ("app", g.client_name.clone().unwrap_or_else(|| "-".into())),
        ("sub", g.sub.clone()),
        (
            "user",
            g.username.clone().unwrap_or_else(|| "(deleted)".into()),
        ),
        ("scope", g.scope.clone()),
        ("chain ends", time_or_dash(g.chain_ends_at)),
        (
            "revoked",
            g.revoked_at
                .map(|t| {
                    format!(
                        "{} by {} ({})",
                        t.to_rfc3339(),
                        g.revoked_by.clone().unwrap_or_default(),
                        g.revoke_reason.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_else(|| "no".into()),
        ),
        ("why", d.grant.why.clone().unwrap_or_else(|| "-".into())),
    ]);
    out.push_str("\nrefresh tokens (issued / expires / effective / state):\n");
    fn walk(out: &mut String, nodes: &[RefreshTokenNode], depth: usize) {
        for n in nodes {
            out.push_str(&format!(
                "{}- {}  {} / {} / {} / {}\n",
                "  ".repeat(depth),
                n.id,
                n.issued_at.format("%Y-%m-%d %H:%M"),
                n.expires_at.format("%Y-%m-%d %H:%M"),
                n.effective_expires_at.format("%Y-%m-%d %H:%M"),
                n.state.as_str()
            ));
            walk(out, &n.children, depth + 1);
        }
    }
    walk(&mut out, &d.refresh_tokens, 1);
    out
}

/// What a revocation hit (or, with `preview`, would hit).
pub(super) fn impact(i: &Impact, preview: bool) -> String {
    format!(
        "{} {} grant(s), {} usable refresh token(s), {} unexpired access token(s).{}\n",
        if preview { "Would revoke" } else { "Revoked" },
        i.grants,
        i.refresh_tokens,
        i.access_tokens,
        if preview {
            ""
        } else {
            " Access tokens already handed out still verify offline until they expire (at most 10 minutes); introspection and userinfo refuse them now."
        }
    )
}

pub(super) fn tokens(r: &TokenResponse) -> String {
    let mut pairs = vec![
        ("access_token", r.access_token.clone()),
        ("expires_in", r.expires_in.to_string()),
        ("scope", r.scope.clone()),
    ];
    if let Some(t) = &r.refresh_token {
        pairs.push(("refresh_token", t.clone()));
    }
    if let Some(t) = &r.id_token {
        pairs.push(("id_token", t.clone()));
    }
    kv(&pairs)
}

/// Minted tokens, and the DPoP key they are bound to if any.
pub(super) fn minted(m: &crate::api::tokens::Minted) -> String {
    let mut out = tokens(&m.tokens);
    if let Some(k) = &m.dpop {
        out.push_str(&kv(&[
            ("token_type", m.tokens.token_type.clone()),
            ("dpop_jkt", k.jkt.clone()),
            ("dpop_private_jwk", k.private_jwk.to_string()),
            ("try it", k.proof_command.clone()),
        ]));
    }
    out
}

pub(super) fn clock(v: &ClockView) -> String {
    kv(&[
        ("now", v.now.to_rfc3339()),
        ("offset", seconds(v.offset_seconds)),
        ("mode", mode_name(v.mode).into()),
    ])
}

pub(super) fn keys(list: &[KeyView]) -> String {
    table(
        &["KID", "ALG", "CREATED", "STATE", "SIGNS"],
        list.iter()
            .map(|k| {
                vec![
                    k.kid.clone(),
                    k.alg.as_str().to_string(),
                    k.created_at.to_rfc3339(),
                    k.state.into(),
                    match (k.state, k.signs_access_tokens) {
                        ("active", true) => "access tokens, ID tokens",
                        ("active", false) => "ID tokens",
                        _ => "",
                    }
                    .into(),
                ]
            })
            .collect(),
    )
}

pub(super) fn new_key(k: &KeyView) -> String {
    format!("new signing key {} ({})\n", k.kid, k.alg.as_str())
}

pub(super) fn retention(r: &Retention) -> String {
    kv(&[
        ("chains", seconds(r.chains_seconds)),
        ("audit", seconds(r.audit_seconds)),
    ])
}

pub(super) fn pruned(r: &PruneReport) -> String {
    table(
        &["DELETED", "ROWS"],
        r.deleted
            .iter()
            .map(|(k, n)| vec![k.to_string(), n.to_string()])
            .collect(),
    )
}

/// A page of the audit, and how many events match in all when that is more.
/// The events shown, and how many match in all (`more`: more than `total`).
pub(super) fn audit(rows: &[AuditRow], total: i64, more: bool) -> String {
    let shown = table(
        &["WHEN", "ACTOR", "ACTION", "TARGET"],
        rows.iter()
            .map(|r| {
                vec![
                    from_unix(r.at).to_rfc3339(),
                    r.actor.clone(),
                    r.action.clone(),
                    quoted_if_odd(&r.target),
                ]
            })
            .collect(),
    );
    if more || total > rows.len() as i64 {
        format!(
            "{shown}\n{} of {}{total} events; --limit shows more, --export csv|json writes them all",
            rows.len(),
            if more { "more than " } else { "" }
        )
    } else {
        shown
    }
}

/// An audit target as stored (a failed login's is whatever user name was typed), in quotes
/// when it holds anything but plain visible text, so it reads as one value.
fn quoted_if_odd(target: &str) -> String {
    let plain = matches!(for_terminal(target), Cow::Borrowed(_))
        && !target.contains([' ', '"'])
        && !target.is_empty();
    if plain {
        target.to_string()
    } else {
        format!("\"{target}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Mode;
    use authdesk_core::client::{AuthMethod, ClientType, GrantType};

    /// The text of `clients show` as it was when it came from the JSON: lists joined with
    /// single spaces (empty for none), enums by their wire names, bools as true / false.
    #[test]
    fn a_client_renders_its_lists_on_one_line_and_enums_by_wire_name() {
        let now = from_unix(1_800_000_000);
        let view = ClientView {
            client_id: "c1".into(),
            name: "My App".into(),
            partner_name: None,
            client_type: ClientType::Confidential,
            token_endpoint_auth_method: AuthMethod::PrivateKeyJwt,
            redirect_uris: vec![],
            scopes: vec!["openid".into(), "profile".into()],
            custom_claims: vec![],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            consent_required: false,
            resource_server: true,
            dpop_bound_access_tokens: false,
            require_pushed_authorization_requests: false,
            enabled: true,
            has_public_key: false,
            public_key: None,
            lifetimes: Default::default(),
            secret_rotated_at: None,
            previous_secret_until: None,
            app_type: Default::default(),
            associated_user: None,
            id_token_alg: authdesk_core::alg::Alg::ES256,
            jwks_uri: Some("https://app.example/jwks".into()),
            post_logout_redirect_uris: vec![],
            trouble: vec![],
            created_at: now,
            updated_at: now,
        };
        assert_eq!(
            client(&view),
            "client_id         c1\n\
             name              My App\n\
             app type          standard\n\
             type              confidential\n\
             auth method       private_key_jwt\n\
             redirect uris     \n\
             scopes            openid profile\n\
             grant types       authorization_code refresh_token\n\
             id token alg      ES256\n\
             consent required  false\n\
             resource server   true\n\
             dpop bound        false\n\
             require par       false\n\
             enabled           true\n\
             jwks uri          https://app.example/jwks\n"
        );
        let wire = serde_json::to_value(&view).unwrap();
        assert_eq!(wire["token_endpoint_auth_method"], "private_key_jwt");
        assert_eq!(wire["grant_types"][1], "refresh_token");
        let clock_view = ClockView {
            now,
            offset_seconds: 86_400,
            mode: Mode::Production,
        };
        assert!(clock(&clock_view).ends_with("offset  1d\nmode    production\n"));
        assert_eq!(
            serde_json::to_value(&clock_view).unwrap()["mode"],
            "production"
        );
    }

    #[test]
    fn grants_are_listed_with_the_names_people_know() {
        use crate::api::grants::GrantSummary;
        use authdesk_core::status::GrantStatus;
        let g = GrantSummary {
            grant_id: "g-1".into(),
            client_id: "c-1".into(),
            client_name: Some("Budget app".into()),
            sub: "s-1".into(),
            username: None,
            scope: "openid".into(),
            created_at: from_unix(1_800_000_000),
            chain_started_at: None,
            chain_ends_at: None,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            status: GrantStatus::Active,
            active: true,
            why: None,
            dpop_jkt: None,
        };
        let text = grants(&[g]);
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert!(header.starts_with("GRANT ID  APP"), "{header}");
        let row = lines.next().unwrap();
        for cell in ["g-1", "Budget app", "c-1", "(deleted)", "s-1", "active"] {
            assert!(row.contains(cell), "{cell} in {row}");
        }
    }

    /// A failed login's user name is stored as typed; in `authdesk audit` it stays one quoted
    /// cell: no forged row, no colour, no bell.
    #[test]
    fn an_audit_target_cannot_forge_a_row_or_send_escapes() {
        let forged = "mallory\n2026-12-06T00:00:00+00:00  console  client.delete  app-1\u{1b}[31mRED\u{1b}[0m\u{7}";
        let row = |target: &str| AuditRow {
            id: 1,
            at: 1_800_000_000,
            actor: "http".into(),
            action: "user.login_failed".into(),
            target: target.into(),
            detail: "{}".into(),
            recorded_at: None,
        };
        let text = audit(&[row(forged), row("ada")], 2, false);
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(!text.contains(['\u{1b}', '\u{7}']), "{text}");
        let line = text.lines().nth(1).unwrap();
        assert!(
            line.ends_with("\"mallory\\n2026-12-06T00:00:00+00:00  console  client.delete  app-1\\u{1b}[31mRED\\u{1b}[0m\\u{7}\""),
            "{line}"
        );
        assert!(text.lines().nth(2).unwrap().ends_with("  ada"), "{text}");
    }
}
