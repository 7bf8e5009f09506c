//! `authdesk operators ...`: the people who use the console and the CLI, with their roles.

use super::Failure;
use super::output::{self, print};
use super::users::read_password;
use crate::api::operators::OperatorView;
use crate::api::{Actor, Authdesk};
use authdesk_core::roles::Role;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum OperatorsCmd {
    /// Add an operator. The password (at least 12 characters) comes from standard input
    /// (--password-stdin) or a prompt in a terminal.
    Add {
        username: String,
        /// admin (everything), support (find, explain, revoke) or auditor (read, export).
        #[arg(long, value_parser = Role::parse)]
        role: Role,
        /// The name the console shows (default: the user name).
        #[arg(long, default_value = "")]
        display_name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    List,
    /// Change an operator's role (the last enabled admin stays one).
    SetRole {
        username: String,
        #[arg(value_parser = Role::parse)]
        role: Role,
    },
    /// Stop an operator from signing in (the last enabled admin cannot be disabled).
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    /// Give an operator a new password (from standard input or a prompt).
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

pub(super) async fn run(
    app: &Authdesk,
    c: OperatorsCmd,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    let one = |o: &OperatorView| {
        print(j, o, || output::operators(std::slice::from_ref(o)));
    };
    match c {
        OperatorsCmd::Add {
            username,
            role,
            display_name,
            password_stdin,
        } => {
            let password = read_password(None, password_stdin, "Password for the operator: ")?;
            one(&app
                .operator_add(&username, &display_name, role, &password, actor)
                .await?);
        }
        OperatorsCmd::List => {
            let all = app.operator_list().await?;
            print(j, &serde_json::json!({"operators": all}), || {
                output::operators(&all)
            });
        }
        OperatorsCmd::SetRole { username, role } => {
            one(&app.operator_set_role(&username, role, actor).await?);
        }
        OperatorsCmd::Disable { username } => {
            one(&app.operator_set_disabled(&username, true, actor).await?);
        }
        OperatorsCmd::Enable { username } => {
            one(&app.operator_set_disabled(&username, false, actor).await?);
        }
        OperatorsCmd::ResetPassword {
            username,
            password_stdin,
        } => {
            let password = read_password(None, password_stdin, "New password for the operator: ")?;
            one(&app
                .operator_reset_password(&username, &password, actor)
                .await?);
        }
    }
    Ok(())
}
