//! `authdesk users ...`: sandbox users, and reading a new user's password.

use super::Failure;
use super::output::{self, print};
use crate::api::{Actor, Authdesk, Page};
use authdesk_core::claims::parse_claim_arg;
use clap::Subcommand;
use serde_json::{Map, json};

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
    /// Delete a user; their grants are revoked with them.
    Delete {
        sub: String,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Sign a person out everywhere: end every login session of theirs (grants stay).
    SignOut {
        sub: String,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
}

pub(super) async fn run(
    app: &Authdesk,
    c: UsersCmd,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    match c {
        UsersCmd::Create {
            username,
            password,
            password_stdin,
            claims,
        } => {
            let password = read_password(password, password_stdin, "Password for the new user: ")?;
            let mut map = Map::new();
            for c in &claims {
                let (k, v) = parse_claim_arg(c).map_err(Failure)?;
                map.insert(k, v);
            }
            let user = app.user_create(&username, &password, map, actor).await?;
            print(j, &user, || output::user(&user));
        }
        UsersCmd::List => {
            let list = app.user_list(None, Page::default()).await?;
            print(j, &json!({"users": list}), || output::users(&list));
        }
        UsersCmd::Delete { sub, reason } => {
            let actor = &actor.clone().because(reason.as_deref());
            app.user_delete(&sub, actor).await?;
            print(j, &json!({"deleted": sub}), || {
                format!("user {sub} deleted\n")
            });
        }
        UsersCmd::SignOut { sub, reason } => {
            let actor = &actor.clone().because(reason.as_deref());
            let ended = app.user_sign_out(&sub, actor).await?;
            print(j, &json!({"sub": sub, "sessions_ended": ended}), || {
                format!("{ended} login session(s) of {sub} ended\n")
            });
        }
    }
    Ok(())
}

/// The new user's password: from standard input, the command line (with a warning), or a
/// prompt without echo when standard input is a terminal.
/// A password from `--password` (warned about), standard input, or a prompt in a terminal
/// (`prompt` says whose).
pub(super) fn read_password(
    given: Option<String>,
    from_stdin: bool,
    prompt: &str,
) -> Result<String, Failure> {
    use std::io::{BufRead, IsTerminal};
    if let Some(p) = given {
        eprintln!(
            "warning: --password shows the password to other local users (process list) and keeps it in shell history; prefer --password-stdin"
        );
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if !from_stdin && stdin.is_terminal() {
        return super::prompt::hidden_line(prompt)
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
