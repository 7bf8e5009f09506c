//! The data directory's upkeep: `clock`, `keys`, `retention`, `prune`, `audit`, `export` and
//! `import`.

use super::Failure;
use super::output::{self, print};
use crate::api::audit::{AuditAction, AuditQuery, ExportFormat};
use crate::api::{Actor, Authdesk};
use crate::signing::Alg;
use authdesk_core::clock::parse_duration;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum ClockCmd {
    /// Move the clock by a duration such as 91d, 10m, 1y (negative moves back).
    Advance {
        #[arg(allow_hyphen_values = true)]
        duration: String,
    },
    Show,
    Reset,
}

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    List,
    /// Make a new signing key of an algorithm (default: the one access tokens use); the one
    /// it replaces stays published until its tokens expire.
    Rotate {
        #[arg(long, value_parser = Alg::parse)]
        alg: Option<Alg>,
        /// Sign access tokens with this algorithm from now on (else they keep theirs; ID
        /// tokens follow each app's setting).
        #[arg(long)]
        access_tokens: bool,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Print the published JWKS.
    Jwks,
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Exit 0 when every event's hash follows from the one before; 1 naming the first that
    /// does not (changed after it was written, or an event before it removed).
    Verify,
}

pub(super) async fn clock(
    app: &Authdesk,
    c: ClockCmd,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    let view = match c {
        ClockCmd::Show => app.clock_show(),
        ClockCmd::Reset => app.clock_reset(actor).await?,
        ClockCmd::Advance { duration } => {
            let d = parse_duration(&duration).map_err(Failure)?;
            app.clock_advance(d, actor).await?
        }
    };
    print(j, &view, || output::clock(&view));
    Ok(())
}

pub(super) async fn keys(
    app: &Authdesk,
    k: KeysCmd,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    match k {
        KeysCmd::List => {
            let keys = app.key_list();
            print(j, &json!({"keys": keys}), || output::keys(&keys));
        }
        KeysCmd::Rotate {
            alg,
            access_tokens,
            reason,
        } => {
            let actor = &actor.clone().because(reason.as_deref());
            let alg = alg.unwrap_or_else(|| app.access_token_alg());
            let key = app.key_rotate(alg, access_tokens, actor).await?;
            print(j, &key, || output::new_key(&key));
        }
        KeysCmd::Jwks => println!("{}", app.jwks()),
    }
    Ok(())
}

/// Shows the retention rules; with `--chains` or `--audit`, changes them first.
pub(super) async fn retention(
    app: &Authdesk,
    chains: Option<String>,
    audit: Option<String>,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    let parse = |d: Option<String>| d.map(|d| parse_duration(&d).map_err(Failure)).transpose();
    let (chains, audit) = (parse(chains)?, parse(audit)?);
    let r = if chains.is_some() || audit.is_some() {
        app.set_retention(chains, audit, actor).await?
    } else {
        app.retention().await?
    };
    print(j, &r, || output::retention(&r));
    Ok(())
}

pub(super) async fn prune(app: &Authdesk, j: bool) -> Result<(), Failure> {
    let r = app.prune().await?;
    let v = json!({"deleted": r.deleted.iter().map(|(k, n)| json!({"kind": k, "rows": n})).collect::<Vec<_>>()});
    print(j, &v, || output::pruned(&r));
    Ok(())
}

/// `export`: the document to `out` (created owner-only, never replacing a file) or stdout.
pub(super) async fn export(
    app: &Authdesk,
    options: crate::api::transfer::ExportOptions,
    out: Option<&std::path::Path>,
    actor: &Actor,
) -> Result<(), Failure> {
    use std::io::Write;
    // Create the file first: a taken name is refused before anything is read or audited.
    let file = match out {
        Some(path) => Some(
            authdesk_store::files::create_owner_only(path).map_err(|e| Failure(e.to_string()))?,
        ),
        None => None,
    };
    let written = async {
        let doc = app.export(options, actor).await?;
        let text = serde_json::to_string_pretty(&doc).expect("serialises") + "\n";
        match (file, out) {
            (Some(mut f), Some(path)) => {
                f.write_all(text.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
                eprintln!(
                    "exported {}, {}{}{} to {}",
                    counted(doc.apps.len(), "app", "apps"),
                    counted(doc.users.len(), "person", "people"),
                    if options.with_secrets {
                        ", their secret hashes"
                    } else {
                        ""
                    },
                    if options.with_keys {
                        ", the signing keys"
                    } else {
                        ""
                    },
                    path.display()
                );
            }
            _ => print!("{text}"),
        }
        Ok::<(), Failure>(())
    }
    .await;
    if written.is_err()
        && let Some(path) = out
    {
        let _ = std::fs::remove_file(path);
    }
    written
}

fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `import FILE`: what was brought in; new secrets are shown once.
pub(super) async fn import(
    app: &Authdesk,
    path: &std::path::Path,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    let file = crate::api::transfer::parse(&text)?;
    let report = app.import(file, actor).await?;
    print(j, &report, || {
        let mut s = format!(
            "imported {}, {}, {}{}\n",
            counted(report.apps, "app", "apps"),
            counted(report.users, "person", "people"),
            counted(report.keys, "signing key", "signing keys"),
            if report.keys_already_present > 0 {
                format!(" ({} already here)", report.keys_already_present)
            } else {
                String::new()
            }
        );
        for n in &report.new_secrets {
            s.push_str(&format!(
                "new secret for {} ({}): {}  (shown once)\n",
                n.name, n.client_id, n.client_secret
            ));
        }
        s
    });
    Ok(())
}

/// `audit verify`: the check as JSON with `--json`; a failure (exit 1) naming the first event
/// whose hash does not follow. Events not sealed yet (PostgreSQL) are counted, not failed.
pub(super) async fn audit_verify(app: &Authdesk, j: bool) -> Result<(), Failure> {
    let check = app.audit_verify().await?;
    if j {
        println!("{}", serde_json::to_value(&check).expect("serialises"));
    }
    match check.first_bad {
        None => {
            if !j {
                println!("audit chain intact: {} events", check.events);
                if check.unsealed > 0 {
                    println!(
                        "{} newer events await sealing (a running node seals them within seconds; a count that stays means none is running)",
                        check.unsealed
                    );
                }
            }
            Ok(())
        }
        Some(id) => Err(Failure(format!(
            "audit chain broken at event {id}: it was changed after it was written, or an event before it was removed"
        ))),
    }
}

/// Which audit events (`authdesk audit`): every given filter must match.
#[derive(clap::Args, Debug)]
pub struct AuditFilterArgs {
    /// An action, e.g. grant.revoke.
    #[arg(long)]
    action: Option<String>,
    /// A part of the actor, e.g. a user name.
    #[arg(long)]
    actor: Option<String>,
    /// The target exactly: an app id, a grant id, a user's sub.
    #[arg(long)]
    target: Option<String>,
    /// From this day or time on (sandbox clock): 2026-12-01 or 2026-12-01T08:00:00Z.
    #[arg(long)]
    since: Option<String>,
    /// Before this day or time.
    #[arg(long)]
    until: Option<String>,
    /// A part of the actor, action, target or detail.
    #[arg(long)]
    text: Option<String>,
}

/// A day (`2026-12-01`, its start in UTC) or an RFC 3339 time, as Unix seconds.
fn moment(flag: &str, s: &str) -> Result<i64, Failure> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
        .ok_or_else(|| {
            Failure(format!(
                "--{flag}: {s:?} is neither a day (2026-12-01) nor a time (2026-12-01T08:00:00Z)"
            ))
        })
}

impl AuditFilterArgs {
    fn query(self) -> Result<AuditQuery, Failure> {
        Ok(AuditQuery {
            action: self
                .action
                .as_deref()
                .map(AuditAction::parse)
                .transpose()
                .map_err(Failure)?,
            actor: self.actor,
            target: self.target,
            from: self
                .since
                .as_deref()
                .map(|s| moment("since", s))
                .transpose()?,
            to: self
                .until
                .as_deref()
                .map(|s| moment("until", s))
                .transpose()?,
            text: self.text,
        })
    }
}

pub(super) async fn audit_list(
    app: &Authdesk,
    filter: AuditFilterArgs,
    limit: i64,
    export: Option<ExportFormat>,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    let query = filter.query()?;
    if let Some(format) = export {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        app.audit_export(&query, format, &mut out, actor).await?;
        return Ok(());
    }
    let page = app.audit_newest(&query, limit).await?;
    print(
        j,
        &json!({"events": page.rows, "total": page.total, "more": page.more}),
        || {
            let rows: Vec<_> = page.rows.iter().map(|e| e.row.clone()).collect();
            output::audit(&rows, page.total, page.more)
        },
    );
    Ok(())
}
