//! The `authdesk` command-line program (SPEC §5). Each subcommand parses its arguments, makes
//! one call into `api`, and prints the result: one JSON object with `--json`, a table otherwise.

use crate::api::audit::AuditAction;
use crate::api::{Actor, ApiError, Authdesk, Mode, OpenOptions, Page};
use crate::signing::Alg;
use authdesk_core::claims::parse_claim_arg;
use authdesk_core::client::{AuthMethod, ClientDraft, ClientType, GrantType};
use authdesk_core::clock::from_unix;
use authdesk_core::clock::{format_duration, parse_duration};
use authdesk_core::issuer::Issuer;
use authdesk_store::grants::GrantSelector;
use clap::{Args, Parser, Subcommand};
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "authdesk",
    version,
    about = "Authdesk: OAuth 2.0 / OpenID Connect issuer and admin tools for external applications"
)]
pub struct Cli {
    /// Data directory (default: the platform's data directory; AUTHDESK_DATA_DIR overrides it).
    #[arg(long, global = true, env = "AUTHDESK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the OAuth 2.0 / OIDC endpoints.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8400")]
        listen: SocketAddr,
        /// Public issuer URL (default: http://<listen address>).
        #[arg(long, value_parser = Issuer::parse)]
        issuer: Option<Issuer>,
        /// Serve a non-loopback --listen address with an http:// issuer anyway (tokens and
        /// passwords then cross the network in clear text; for a trusted lab network only).
        #[arg(long)]
        insecure_listen: bool,
        /// Keep login sessions (single sign-on) with an http:// issuer too. Browsers send a
        /// 127.0.0.1 cookie to every port, so any local app could then get codes for the
        /// logged-in user without a login. Always on with an https:// issuer.
        #[arg(long)]
        sso: bool,
    },
    /// External-application configurations.
    #[command(subcommand)]
    Clients(ClientsCmd),
    /// Sandbox users.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Grants (refresh-token chains).
    #[command(subcommand)]
    Grants(GrantsCmd),
    /// Issue tokens for an app (and a user) without a browser (sandbox only).
    Mint {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        sub: Option<String>,
        #[arg(long)]
        scope: String,
    },
    /// The sandbox clock every token rule sees.
    #[command(subcommand)]
    Clock(ClockCmd),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// The audit log, newest first; `audit verify` checks its hash chain.
    Audit {
        #[command(subcommand)]
        check: Option<AuditCmd>,
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// How long ended chains and audit events are kept; with a flag, change it.
    Retention {
        /// e.g. 90d: an ended grant, its tokens and codes are deleted this long after its end.
        #[arg(long)]
        chains: Option<String>,
        /// e.g. 365d: audit events older than this are deleted.
        #[arg(long)]
        audit: Option<String>,
    },
    /// Delete now what the retention rules let go (a running server does this every minute).
    Prune,
    /// Create the data directory (a sandbox unless --production).
    Init {
        #[arg(long)]
        production: bool,
    },
}

#[derive(Args, Debug)]
pub struct CreateClient {
    #[arg(long)]
    name: String,
    #[arg(long)]
    partner_name: Option<String>,
    #[arg(long = "type", value_parser = ClientType::parse)]
    client_type: Option<ClientType>,
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    #[arg(long = "scope")]
    scopes: Vec<String>,
    #[arg(long = "claim")]
    custom_claims: Vec<String>,
    #[arg(long = "grant-type", value_parser = GrantType::parse)]
    grant_types: Vec<GrantType>,
    #[arg(long, value_parser = AuthMethod::parse)]
    auth_method: Option<AuthMethod>,
    /// The app's public key for private_key_jwt: a JWKS document or a PEM public key.
    #[arg(long, value_name = "PATH")]
    jwks_file: Option<PathBuf>,
    #[arg(long, value_parser = parse_bool)]
    consent_required: Option<bool>,
    /// An API that may introspect other apps' access tokens (confidential apps only).
    #[arg(long)]
    resource_server: bool,
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("'{s}' is not true or false")),
    }
}

#[derive(Subcommand, Debug)]
pub enum ClientsCmd {
    Create(CreateClient),
    List {
        #[arg(long, default_value = "")]
        search: String,
    },
    Show {
        id: String,
    },
    Disable {
        id: String,
    },
    Enable {
        id: String,
    },
    Delete {
        id: String,
    },
    RotateSecret {
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Exit 0 when every event's hash follows from the one before; 1 naming the first that
    /// does not (changed after it was written, or an event before it removed).
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum UsersCmd {
    /// The password comes from standard input (--password-stdin), from a prompt when run in a
    /// terminal without either option, or from --password (visible to other local users in
    /// the process list and kept in shell history: avoid).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from standard input (one line; the newline is not part of it).
        #[arg(long)]
        password_stdin: bool,
        #[arg(long = "claim", value_name = "KEY=VALUE")]
        claims: Vec<String>,
    },
    List,
    Delete {
        sub: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum GrantsCmd {
    List {
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long)]
        sub: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    Show {
        id: String,
    },
    /// Revoke one grant, all of a user's (optionally for one app), or all of an app's.
    Revoke {
        id: Option<String>,
        #[arg(long)]
        sub: Option<String>,
        #[arg(long)]
        client_id: Option<String>,
        /// Only say what would be revoked.
        #[arg(long)]
        preview: bool,
        #[arg(long, default_value = "revoked from the command line")]
        reason: String,
    },
}

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
    /// Make a new signing key; the old one stays published until its tokens expire.
    Rotate {
        #[arg(long, default_value = "RS256", value_parser = Alg::parse)]
        alg: Alg,
    },
    /// Print the published JWKS.
    Jwks,
}

/// A failure to report: message to stderr, exit code 1.
pub struct Failure(pub String);

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure(match e {
            ApiError::Invalid { fields } => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("\n"),
            e => e.to_string(),
        })
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure(format!("{e:#}"))
    }
}

pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("authdesk")
}

fn print(json_mode: bool, v: &Value, table: impl FnOnce() -> String) {
    if json_mode {
        println!("{v}");
    } else {
        print!("{}", table());
    }
}

/// A plain text table: a header row and aligned columns.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
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
    let mut out = line(headers.iter().map(|h| h.to_string()).collect());
    for r in rows {
        out.push_str(&line(r));
    }
    if out.lines().count() == 1 {
        out.push_str("(none)\n");
    }
    out
}

fn kv(pairs: &[(&str, String)]) -> String {
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:<w$}  {v}\n"))
        .collect()
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(a) => a.iter().map(s).collect::<Vec<_>>().join(" "),
        v => v.to_string(),
    }
}

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let j = cli.json;
    let actor = Actor::cli();
    if let Command::Init { production } = cli.command {
        let wanted = if production {
            Mode::Production
        } else {
            Mode::Sandbox
        };
        let app = Authdesk::open_with(
            &dir,
            OpenOptions {
                mode_if_new: wanted,
                role: authdesk_store::Role::Admin,
                ..Default::default()
            },
        )
        .await?;
        if app.mode() != wanted {
            return Err(Failure(format!(
                "{} is already a {:?} data directory; a directory's mode is fixed when it is created",
                dir.display(),
                app.mode()
            ).to_lowercase()));
        }
        let v = json!({"data_dir": dir, "mode": app.mode()});
        print(j, &v, || {
            format!("{} is a {} data directory\n", dir.display(), s(&v["mode"]))
        });
        return Ok(());
    }
    // A server yields to admin commands between its write batches; every other command is one.
    let role = match cli.command {
        Command::Serve { .. } => authdesk_store::Role::Serving,
        _ => authdesk_store::Role::Admin,
    };
    let app = Arc::new(
        Authdesk::open_with(
            &dir,
            OpenOptions {
                role,
                ..Default::default()
            },
        )
        .await?,
    );
    match cli.command {
        Command::Init { .. } => unreachable!("handled above"),
        Command::Serve {
            listen,
            issuer,
            insecure_listen,
            sso,
        } => {
            app.set_sso_over_http(sso);
            serve(app, listen, issuer, insecure_listen).await?
        }
        Command::Clients(c) => clients(&app, c, j, &actor).await?,
        Command::Users(c) => users(&app, c, j, &actor).await?,
        Command::Grants(c) => grants(&app, c, j, &actor).await?,
        Command::Mint {
            client_id,
            sub,
            scope,
        } => {
            let r = app.mint(&client_id, sub.as_deref(), &scope, &actor).await?;
            let v = serde_json::to_value(&r).expect("serialises");
            print(j, &v, || {
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
            });
        }
        Command::Clock(c) => {
            let view = match c {
                ClockCmd::Show => app.clock_show(),
                ClockCmd::Reset => app.clock_reset(&actor).await?,
                ClockCmd::Advance { duration } => {
                    let d = parse_duration(&duration).map_err(Failure)?;
                    app.clock_advance(d, &actor).await?
                }
            };
            let v = serde_json::to_value(&view).expect("serialises");
            print(j, &v, || {
                kv(&[
                    ("now", view.now.to_rfc3339()),
                    (
                        "offset",
                        format_duration(chrono::Duration::seconds(view.offset_seconds)),
                    ),
                    ("mode", s(&v["mode"])),
                ])
            });
        }
        Command::Keys(k) => match k {
            KeysCmd::List => {
                let keys = app.key_list();
                let v = json!({"keys": keys});
                print(j, &v, || {
                    table(
                        &["KID", "ALG", "CREATED", "STATE"],
                        keys.iter()
                            .map(|k| {
                                vec![
                                    k.kid.clone(),
                                    k.alg.as_str().to_string(),
                                    k.created_at.to_rfc3339(),
                                    k.state.into(),
                                ]
                            })
                            .collect(),
                    )
                });
            }
            KeysCmd::Rotate { alg } => {
                let k = app.key_rotate(alg, &actor).await?;
                let v = serde_json::to_value(&k).expect("serialises");
                print(j, &v, || {
                    format!("new signing key {} ({})\n", k.kid, k.alg.as_str())
                });
            }
            KeysCmd::Jwks => println!("{}", app.jwks()),
        },
        Command::Retention { chains, audit } => {
            let parse =
                |d: Option<String>| d.map(|d| parse_duration(&d).map_err(Failure)).transpose();
            let (chains, audit) = (parse(chains)?, parse(audit)?);
            let r = if chains.is_some() || audit.is_some() {
                app.set_retention(chains, audit, &actor).await?
            } else {
                app.retention().await?
            };
            let v = serde_json::to_value(r).expect("serialises");
            print(j, &v, || {
                kv(&[
                    (
                        "chains",
                        format_duration(chrono::Duration::seconds(r.chains_seconds)),
                    ),
                    (
                        "audit",
                        format_duration(chrono::Duration::seconds(r.audit_seconds)),
                    ),
                ])
            });
        }
        Command::Prune => {
            let r = app.prune().await?;
            let v = json!({"deleted": r.deleted.iter().map(|(k, n)| json!({"kind": k, "rows": n})).collect::<Vec<_>>()});
            print(j, &v, || {
                table(
                    &["DELETED", "ROWS"],
                    r.deleted
                        .iter()
                        .map(|(k, n)| vec![k.to_string(), n.to_string()])
                        .collect(),
                )
            });
        }
        Command::Audit {
            check: Some(AuditCmd::Verify),
            ..
        } => {
            let check = app.audit_verify().await?;
            let v = serde_json::to_value(&check).expect("serialises");
            if j {
                println!("{v}");
            }
            match check.first_bad {
                None => {
                    if !j {
                        println!("audit chain intact: {} events", check.events);
                    }
                }
                Some(id) => {
                    return Err(Failure(format!(
                        "audit chain broken at event {id}: it was changed after it was written, or an event before it was removed"
                    )))
                }
            }
        }
        Command::Audit {
            check: None,
            action,
            limit,
        } => {
            let rows = app
                .audit_list(
                    action
                        .as_deref()
                        .map(AuditAction::parse)
                        .transpose()
                        .map_err(Failure)?,
                    Page { limit, offset: 0 },
                )
                .await?;
            let v = json!({"events": rows});
            print(j, &v, || {
                table(
                    &["WHEN", "ACTOR", "ACTION", "TARGET"],
                    rows.iter()
                        .map(|r| {
                            vec![
                                from_unix(r.at).to_rfc3339(),
                                r.actor.clone(),
                                r.action.clone(),
                                r.target.clone(),
                            ]
                        })
                        .collect(),
                )
            });
        }
    }
    Ok(())
}

async fn clients(app: &Authdesk, c: ClientsCmd, j: bool, actor: &Actor) -> Result<(), Failure> {
    let show = |v: &Value| {
        kv(&[
            ("client_id", s(&v["client_id"])),
            ("name", s(&v["name"])),
            ("type", s(&v["client_type"])),
            ("auth method", s(&v["token_endpoint_auth_method"])),
            ("redirect uris", s(&v["redirect_uris"])),
            ("scopes", s(&v["scopes"])),
            ("grant types", s(&v["grant_types"])),
            ("consent required", s(&v["consent_required"])),
            ("resource server", s(&v["resource_server"])),
            ("enabled", s(&v["enabled"])),
        ])
    };
    match c {
        ClientsCmd::Create(a) => {
            let public_key = match &a.jwks_file {
                Some(p) => Some(
                    std::fs::read_to_string(p)
                        .map_err(|e| Failure(format!("cannot read {}: {e}", p.display())))?,
                ),
                None => None,
            };
            let draft = ClientDraft {
                name: a.name,
                partner_name: a.partner_name,
                client_type: a.client_type,
                auth_method: a.auth_method,
                redirect_uris: a.redirect_uris,
                scopes: a
                    .scopes
                    .iter()
                    .flat_map(|s| s.split(' '))
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                custom_claims: a.custom_claims,
                grant_types: a.grant_types,
                public_key,
                consent_required: a.consent_required,
                resource_server: Some(a.resource_server),
                lifetimes: Default::default(),
            };
            let created = app.client_create(&draft, actor).await?;
            let v = serde_json::to_value(&created).expect("serialises");
            print(j, &v, || {
                let mut out = show(&v);
                if let Some(secret) = &created.client_secret {
                    out.push_str(&format!("client_secret     {secret}\n\nThe secret is shown only now. Store it safely; it cannot be read again.\n"));
                }
                out
            });
        }
        ClientsCmd::List { search } => {
            let list = app.client_list(&search, Page::default()).await?;
            let v = json!({"clients": list});
            print(j, &v, || {
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
            });
        }
        ClientsCmd::Show { id } => {
            let v = serde_json::to_value(app.client_show(&id).await?).expect("serialises");
            print(j, &v, || show(&v));
        }
        ClientsCmd::Disable { id } => {
            let v = serde_json::to_value(app.client_set_enabled(&id, false, actor).await?)
                .expect("serialises");
            print(j, &v, || {
                format!("application {id} disabled: it gets no more tokens\n")
            });
        }
        ClientsCmd::Enable { id } => {
            let v = serde_json::to_value(app.client_set_enabled(&id, true, actor).await?)
                .expect("serialises");
            print(j, &v, || format!("application {id} enabled\n"));
        }
        ClientsCmd::Delete { id } => {
            app.client_delete(&id, actor).await?;
            print(j, &json!({"deleted": id}), || {
                format!("application {id} deleted with its grants and tokens\n")
            });
        }
        ClientsCmd::RotateSecret { id } => {
            let r = app.client_rotate_secret(&id, actor).await?;
            let v = serde_json::to_value(&r).expect("serialises");
            print(j, &v, || {
                format!(
                    "client_secret  {}\n\nThe old secret no longer works. The new one is shown only now.\n",
                    r.client_secret.as_deref().unwrap_or("")
                )
            });
        }
    }
    Ok(())
}

async fn users(app: &Authdesk, c: UsersCmd, j: bool, actor: &Actor) -> Result<(), Failure> {
    match c {
        UsersCmd::Create {
            username,
            password,
            password_stdin,
            claims,
        } => {
            let password = read_password(password, password_stdin)?;
            let mut map = Map::new();
            for c in &claims {
                let (k, v) = parse_claim_arg(c).map_err(Failure)?;
                map.insert(k, v);
            }
            let u = app.user_create(&username, &password, map, actor).await?;
            let v = serde_json::to_value(&u).expect("serialises");
            print(j, &v, || {
                kv(&[("sub", u.sub.clone()), ("username", u.username.clone())])
            });
        }
        UsersCmd::List => {
            let list = app.user_list(Page::default()).await?;
            let v = json!({"users": list});
            print(j, &v, || {
                table(
                    &["SUB", "USERNAME"],
                    list.iter()
                        .map(|u| vec![u.sub.clone(), u.username.clone()])
                        .collect(),
                )
            });
        }
        UsersCmd::Delete { sub } => {
            app.user_delete(&sub, actor).await?;
            print(j, &json!({"deleted": sub}), || {
                format!("user {sub} deleted\n")
            });
        }
    }
    Ok(())
}

async fn grants(app: &Authdesk, c: GrantsCmd, j: bool, actor: &Actor) -> Result<(), Failure> {
    match c {
        GrantsCmd::List {
            client_id,
            sub,
            limit,
            offset,
        } => {
            let list = app
                .grant_list(
                    GrantSelector::from_parts(None, sub, client_id)
                        .map_err(|why| Failure(why.into()))?
                        .as_ref(),
                    Page { limit, offset },
                )
                .await?;
            let v = json!({"grants": list});
            print(j, &v, || {
                table(
                    &[
                        "GRANT ID",
                        "CLIENT ID",
                        "SUB",
                        "CREATED",
                        "CHAIN ENDS",
                        "STATE",
                    ],
                    list.iter()
                        .map(|g| {
                            vec![
                                g.grant_id.clone(),
                                g.client_id.clone(),
                                g.sub.clone(),
                                g.created_at.to_rfc3339(),
                                g.chain_ends_at
                                    .map(|t| t.to_rfc3339())
                                    .unwrap_or_else(|| "-".into()),
                                g.status.as_str().into(),
                            ]
                        })
                        .collect(),
                )
            });
        }
        GrantsCmd::Show { id } => {
            let d = app.grant_show(&id).await?;
            let v = serde_json::to_value(&d).expect("serialises");
            print(j, &v, || {
                let mut out = kv(&[
                    ("grant", d.grant.grant_id.clone()),
                    ("client", d.grant.client_id.clone()),
                    ("sub", d.grant.sub.clone()),
                    ("scope", d.grant.scope.clone()),
                    (
                        "chain ends",
                        d.grant
                            .chain_ends_at
                            .map(|t| t.to_rfc3339())
                            .unwrap_or_else(|| "-".into()),
                    ),
                    (
                        "revoked",
                        d.grant
                            .revoked_at
                            .map(|t| {
                                format!(
                                    "{} by {} ({})",
                                    t.to_rfc3339(),
                                    d.grant.revoked_by.clone().unwrap_or_default(),
                                    d.grant.revoke_reason.clone().unwrap_or_default()
                                )
                            })
                            .unwrap_or_else(|| "no".into()),
                    ),
                ]);
                out.push_str("\nrefresh tokens (issued / expires / effective / state):\n");
                fn walk(
                    out: &mut String,
                    nodes: &[crate::api::grants::RefreshTokenNode],
                    depth: usize,
                ) {
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
            });
        }
        GrantsCmd::Revoke {
            id,
            sub,
            client_id,
            preview,
            reason,
        } => {
            let named =
                "name exactly one of: a grant ID, --sub SUB [--client-id ID], or --client-id ID";
            let selector = GrantSelector::from_parts(id, sub, client_id)
                .ok()
                .flatten()
                .ok_or_else(|| Failure(named.into()))?;
            let impact = if preview {
                app.grant_preview(&selector).await?
            } else {
                app.grant_revoke(&selector, actor, &reason).await?
            };
            let v = json!({"preview": preview, "grants": impact.grants, "refresh_tokens": impact.refresh_tokens, "access_tokens": impact.access_tokens});
            print(j, &v, || {
                format!(
                    "{} {} grant(s), {} usable refresh token(s), {} unexpired access token(s).{}\n",
                    if preview { "Would revoke" } else { "Revoked" },
                    impact.grants,
                    impact.refresh_tokens,
                    impact.access_tokens,
                    if preview {
                        ""
                    } else {
                        " Access tokens already handed out still verify offline until they expire (at most 10 minutes); introspection and userinfo refuse them now."
                    }
                )
            });
        }
    }
    Ok(())
}

/// The new user's password: from standard input, the command line (with a warning), or a
/// prompt without echo when standard input is a terminal.
fn read_password(given: Option<String>, from_stdin: bool) -> Result<String, Failure> {
    use std::io::{BufRead, IsTerminal};
    if let Some(p) = given {
        eprintln!("warning: --password shows the password to other local users (process list) and keeps it in shell history; prefer --password-stdin");
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if !from_stdin && stdin.is_terminal() {
        return rpassword::prompt_password("Password for the new user: ")
            .map_err(|e| Failure(format!("cannot read the password: {e}")));
    }
    if !from_stdin {
        return Err(Failure(
            "give the password with --password-stdin (or run in a terminal to be asked)".into(),
        ));
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure(format!("cannot read the password from standard input: {e}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(Failure(
            "the password read from standard input is empty".into(),
        ));
    }
    Ok(password.to_string())
}

/// A listen address other machines can reach needs an `https://` issuer (TLS ended in front
/// of authdesk); `--insecure-listen` overrides, with the warning returned.
fn check_listen(
    listen: SocketAddr,
    issuer: Option<&Issuer>,
    insecure_listen: bool,
) -> Result<Option<String>, Failure> {
    let https = issuer.is_some_and(Issuer::is_https);
    if listen.ip().is_loopback() || https {
        return Ok(None);
    }
    if !insecure_listen {
        return Err(Failure(format!(
            "refusing to listen on {listen} with an http:// issuer: other machines would send \
             tokens and passwords in clear text. Give an https:// --issuer (with TLS ended in \
             front of authdesk), listen on 127.0.0.1, or pass --insecure-listen for a trusted \
             lab network"
        )));
    }
    Ok(Some(format!(
        "--insecure-listen: serving {listen} over plain http; tokens and passwords cross the network in clear text"
    )))
}

async fn serve(
    app: Arc<Authdesk>,
    listen: SocketAddr,
    issuer: Option<Issuer>,
    insecure_listen: bool,
) -> Result<(), Failure> {
    if let Some(warning) = check_listen(listen, issuer.as_ref(), insecure_listen)? {
        tracing::warn!(%listen, "{warning}");
        eprintln!("warning: {warning}");
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| Failure(e.to_string()))?;
    let issuer = match issuer {
        Some(i) => i,
        None => Issuer::for_address(addr),
    };
    app.set_issuer(&issuer).await?;
    let mode = format!("{:?}", app.mode()).to_lowercase();
    tracing::info!(%addr, %issuer, data_dir = %app.data_dir().display(), %mode, "authdesk serving");
    println!(
        "authdesk listening on http://{addr} (issuer {issuer}, {mode} data directory {})",
        app.data_dir().display()
    );
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("shutting down");
    };
    crate::http::serve(app.clone(), listener, shutdown)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    app.store().close().await;
    println!("authdesk stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_listen;
    use authdesk_core::issuer::Issuer;

    #[test]
    fn a_network_listen_address_needs_https_or_an_explicit_override() {
        let cases = [
            ("127.0.0.1:8400", None, false, Some(false)),
            (
                "[::1]:8400",
                Some("http://localhost:8400"),
                false,
                Some(false),
            ),
            ("0.0.0.0:8400", None, false, None),
            ("0.0.0.0:8400", Some("http://auth.example.com"), false, None),
            (
                "10.0.0.5:8400",
                Some("https://auth.example.com"),
                false,
                Some(false),
            ),
            (
                "0.0.0.0:8400",
                Some("http://auth.example.com"),
                true,
                Some(true),
            ),
        ];
        for (listen, issuer, insecure, expect) in cases {
            let issuer = issuer.map(|i| Issuer::parse(i).unwrap());
            let got = check_listen(listen.parse().unwrap(), issuer.as_ref(), insecure);
            match expect {
                None => assert!(
                    got.as_ref()
                        .is_err_and(|e| e.0.contains("--insecure-listen")),
                    "{listen} {issuer:?}"
                ),
                Some(warns) => assert_eq!(
                    got.as_ref().map(|w| w.is_some()).ok(),
                    Some(warns),
                    "{listen} {issuer:?}"
                ),
            }
        }
    }
}
