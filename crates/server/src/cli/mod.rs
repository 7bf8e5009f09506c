//! The `authdesk` command-line program (SPEC §5). Each subcommand parses its arguments, makes
//! one call into `api`, and prints the result: one JSON object with `--json`, a table otherwise.
//!
//! This file holds the arguments ([`Cli`], [`Command`]), [`Failure`] and [`run`], which opens
//! the data directory and hands the subcommand to its module: `clients`, `users`, `grants`
//! (and `mint`), `admin` (clock, keys, retention, prune, audit) and `serve`. `output` prints:
//! serde's JSON of the typed view, or a text rendering of the same view.

mod admin;
mod clients;
mod grants;
mod operators;
mod output;
mod prompt;
mod serve;
mod users;

pub use admin::{AuditCmd, AuditFilterArgs, ClockCmd, KeysCmd};
pub use clients::{ClientsCmd, CreateClient};
pub use grants::GrantsCmd;
pub use operators::OperatorsCmd;
pub use users::UsersCmd;

#[derive(Subcommand, Debug)]
pub enum TlsCmd {
    /// Where the sandbox's CA certificate is (made if there is none yet), and how to make
    /// clients trust it.
    Ca,
}

use crate::api::Database;
use crate::api::{Actor, ApiError, Authdesk, Mode, OpenOptions, mode_name};
use clap::{Parser, Subcommand};
use serde_json::json;
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
    /// The database: a PostgreSQL URL (postgres://user@host/db) that several `serve` nodes,
    /// consoles and commands share, or a data directory as with --data-dir.
    #[arg(
        long,
        global = true,
        env = "AUTHDESK_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database: Option<String>,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Act as this operator of the registry: the audit names them, and their role applies
    /// (`operators list`). Without it the audit names the operating-system user.
    #[arg(long, global = true, env = "AUTHDESK_OPERATOR", value_name = "NAME")]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the OAuth 2.0 / OIDC endpoints.
    Serve(serve::ServeArgs),
    /// External-application configurations.
    #[command(subcommand)]
    Clients(ClientsCmd),
    /// Sandbox users.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Operators: who uses the console and the CLI, with a role (admin, support, auditor).
    #[command(subcommand)]
    Operators(OperatorsCmd),
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
        /// Bind the tokens to a new DPoP key (RFC 9449): prints the key and a userinfo call
        /// that proves it.
        #[arg(long)]
        dpop: bool,
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
        #[command(flatten)]
        filter: AuditFilterArgs,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Write every matching event to standard output in this format instead of a page.
        #[arg(long, value_enum)]
        export: Option<crate::api::audit::ExportFormat>,
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
    /// The sandbox's local certificate authority (`serve --tls`).
    #[command(subcommand)]
    Tls(TlsCmd),
    /// Delete now what the retention rules let go (a running server does this every minute).
    Prune,
    /// Write a consistent copy of the database to FILE (while a server runs, too); restore it
    /// by putting it in a data directory as authdesk.db with nothing running there.
    Backup {
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Replace this data directory's database with a backup (nothing may have the directory
    /// open); the replaced database is kept beside it.
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Copy this data directory into an empty PostgreSQL database (every table, counts
    /// verified, all or nothing); then point every node at it with --database.
    Migrate {
        /// The PostgreSQL URL; `-` reads it from standard input, and AUTHDESK_MIGRATE_TO may
        /// hold it (a password on the command line is visible in the process list).
        #[arg(
            long,
            value_name = "URL",
            env = "AUTHDESK_MIGRATE_TO",
            hide_env_values = true
        )]
        to: String,
    },
    /// Write the registry (apps, people) as versioned JSON, to FILE (created owner-only, never
    /// replacing one) or standard output.
    Export {
        /// Include the apps' secret hashes; they can be imported only into this data directory
        /// or a copy of it (elsewhere, imported apps get new secrets).
        #[arg(long)]
        with_secrets: bool,
        /// Include the signing keys' private halves.
        #[arg(long)]
        with_keys: bool,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Bring in an export, all or nothing: apps keep their ids; apps that need a secret and
    /// come without one get a new secret, shown once.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Sandbox only: add demo apps and PEOPLE people (customer00001 …, password
    /// "sandbox-password") with grants of every kind, to try the console at scale.
    Seed {
        #[arg(long, default_value_t = 1000)]
        people: u32,
    },
    /// Create the data directory (a sandbox unless --production).
    Init {
        #[arg(long)]
        production: bool,
    },
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

/// The platform's configuration directory for Authdesk (what the console remembers).
pub fn default_config_dir() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("authdesk")
}

/// `migrate --to`'s URL: as given, or read from standard input for `-`. A password given on
/// the command line is warned about (any user of the machine sees it in the process list).
fn migration_target(given: &str) -> Result<String, Failure> {
    let url = if given == "-" {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Failure(format!("cannot read the URL from standard input: {e}")))?;
        line.trim().to_string()
    } else {
        given.to_string()
    };
    let has_password = url::Url::parse(&url).is_ok_and(|u| u.password().is_some());
    if has_password && std::env::args().any(|a| a.contains(&url)) {
        eprintln!(
            "warning: the URL's password is visible to every user of this machine in the process list; pass the URL in AUTHDESK_MIGRATE_TO or with --to - on standard input"
        );
    }
    Ok(url)
}

/// Where the command works: `--database` (or AUTHDESK_DATABASE_URL), else `--data-dir` (or
/// AUTHDESK_DATA_DIR), else the platform's data directory. Both at once is a mistake to name.
fn database(cli: &Cli) -> Result<Database, Failure> {
    if cli.database.as_deref().is_some_and(|d| d.trim().is_empty())
        || cli
            .data_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
    {
        return Err(Failure(
            "--database and --data-dir (and AUTHDESK_DATABASE_URL, AUTHDESK_DATA_DIR) must not be empty".into(),
        ));
    }
    match (&cli.database, &cli.data_dir) {
        (Some(_), Some(_)) => Err(Failure(
            "give either --database (AUTHDESK_DATABASE_URL) or --data-dir (AUTHDESK_DATA_DIR), not both".into(),
        )),
        (Some(db), None) => Ok(Database::parse(db)),
        (None, Some(dir)) => Ok(Database::Dir(dir.clone())),
        (None, None) => Ok(Database::Dir(default_data_dir())),
    }
}

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let db = database(&cli)?;
    let j = cli.json;
    if let Command::Init { production } = cli.command {
        return init(&db, production, j).await;
    }
    // Before opening: a restore needs the directory to itself.
    if let Command::Restore { from } = &cli.command {
        let Database::Dir(dir) = &db else {
            return Err(Failure(
                "restore puts back a data directory's backup; a PostgreSQL database is restored with PostgreSQL's own tools (pg_restore)".into(),
            ));
        };
        use authdesk_core::clock::{Clock, SystemClock};
        let kept = authdesk_store::Store::restore(dir, from, SystemClock.now().timestamp())
            .await
            .map_err(ApiError::from)?;
        // Opening brings an older backup's schema up to date, and checks it as at any start.
        Authdesk::open(dir).await?;
        output::print(
            j,
            &json!({"restored": from.display().to_string(), "kept": kept.display().to_string()}),
            || {
                format!(
                    "restored {} into {}; the database it replaced is kept as {}\n",
                    from.display(),
                    dir.display(),
                    kept.display()
                )
            },
        );
        return Ok(());
    }
    // A server yields to admin commands between its write batches; every other command is one.
    let role = match cli.command {
        Command::Serve(_) => authdesk_store::Role::Serving,
        _ => authdesk_store::Role::Admin,
    };
    let app = Arc::new(
        Authdesk::open_database(
            &db,
            OpenOptions {
                role,
                ..Default::default()
            },
        )
        .await?,
    );
    let actor = match &cli.operator {
        None => Actor::cli(),
        Some(name) => match app.operator_get(name).await? {
            Some(o) if o.disabled_at.is_none() => Actor::operator(&o, Some("cli")),
            Some(o) => return Err(Failure(format!("operator {} is disabled", o.username))),
            None => {
                return Err(Failure(format!(
                    "no operator named {name}: `authdesk operators list` shows them"
                )));
            }
        },
    };
    let result = match cli.command {
        Command::Init { .. } => unreachable!("handled above"),
        Command::Operators(c) => operators::run(&app, c, j, &actor).await,
        Command::Serve(args) => return serve::serve(app, args).await,
        Command::Clients(c) => clients::run(&app, c, j, &actor).await,
        Command::Users(c) => users::run(&app, c, j, &actor).await,
        Command::Grants(c) => grants::run(&app, c, j, &actor).await,
        Command::Mint {
            client_id,
            sub,
            scope,
            dpop,
        } => grants::mint(&app, &client_id, sub.as_deref(), &scope, dpop, j, &actor).await,
        Command::Clock(c) => admin::clock(&app, c, j, &actor).await,
        Command::Keys(k) => admin::keys(&app, k, j, &actor).await,
        Command::Retention { chains, audit } => {
            admin::retention(&app, chains, audit, j, &actor).await
        }
        Command::Prune => admin::prune(&app, j).await,
        Command::Tls(TlsCmd::Ca) => serve::tls_ca(&app, j),
        // Done above, before the directory was opened.
        Command::Restore { .. } => Ok(()),
        Command::Backup { to } => {
            let bytes = app.store().backup(&to).await.map_err(ApiError::from)?;
            output::print(
                j,
                &json!({"backup": to.display().to_string(), "bytes": bytes}),
                || format!("backed up to {} ({bytes} bytes)\n", to.display()),
            );
            Ok(())
        }
        Command::Export {
            with_secrets,
            with_keys,
            out,
        } => {
            admin::export(
                &app,
                crate::api::transfer::ExportOptions {
                    with_secrets,
                    with_keys,
                },
                out.as_deref(),
                &actor,
            )
            .await
        }
        Command::Import { file } => admin::import(&app, &file, j, &actor).await,
        Command::Migrate { to } => {
            let to = migration_target(&to)?;
            if !matches!(Database::parse(&to), Database::Postgres(_)) {
                return Err(Failure(
                    "--to must be a PostgreSQL URL (postgres://user@host/database)".into(),
                ));
            }
            let counts = app
                .store()
                .copy_to_postgres(&to)
                .await
                .map_err(ApiError::from)?;
            let shown = Database::parse(&to).shown();
            let total: i64 = counts.iter().map(|(_, n)| n).sum();
            output::print(
                j,
                &json!({"to": shown, "rows": counts.iter().map(|(t, n)| json!({"table": t, "rows": n})).collect::<Vec<_>>()}),
                || {
                    format!(
                        "copied {total} rows in {} tables into {shown}; every count matches\n",
                        counts.len()
                    )
                },
            );
            Ok(())
        }
        Command::Seed { people } => {
            let report = app.sandbox_seed(people, &actor).await?;
            output::print(j, &report, || {
                format!(
                    "seeded {} people (customer00001 …, password {:?}), {} apps, {} grants, {} refresh tokens\n",
                    report.people,
                    crate::api::seed::SEED_PASSWORD,
                    report.apps,
                    report.grants,
                    report.refresh_tokens
                )
            });
            Ok(())
        }
        Command::Audit {
            check: Some(AuditCmd::Verify),
            ..
        } => admin::audit_verify(&app, j).await,
        Command::Audit {
            check: None,
            filter,
            limit,
            export,
        } => admin::audit_list(&app, filter, limit, export, j, &actor).await,
    };
    // Closing seals the command's audit events (PostgreSQL seals off the request path, and a
    // command may run with no server to do it) and gives the sealer's lease up.
    app.store().close().await;
    result
}

/// `init`: creates the data directory in the wanted mode, or finds it already in that mode.
async fn init(db: &Database, production: bool, j: bool) -> Result<(), Failure> {
    let wanted = if production {
        Mode::Production
    } else {
        Mode::Sandbox
    };
    let dir = db.shown();
    let app = Authdesk::open_database(
        db,
        OpenOptions {
            mode_if_new: wanted,
            role: authdesk_store::Role::Admin,
            ..Default::default()
        },
    )
    .await?;
    if app.mode() != wanted {
        return Err(Failure(format!(
            "{dir} is already a {} data directory; a directory's mode is fixed when it is created",
            mode_name(app.mode())
        )));
    }
    let mode = app.mode();
    let kind = match db {
        Database::Dir(_) => "data directory",
        Database::Postgres(_) => "database",
    };
    output::print(j, &json!({"data_dir": dir, "mode": mode}), || {
        format!("{dir} is a {} {kind}\n", mode_name(mode))
    });
    app.store().close().await;
    Ok(())
}
