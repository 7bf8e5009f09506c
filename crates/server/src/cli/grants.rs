//! `authdesk grants ...` (refresh-token chains) and `authdesk mint`, which makes one.

use super::Failure;
use super::output::{self, print};
use crate::api::{Actor, Authdesk, Page};
use authdesk_store::grants::GrantSelector;
use clap::Subcommand;
use serde_json::json;

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

pub(super) async fn run(
    app: &Authdesk,
    c: GrantsCmd,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
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
            print(j, &json!({"grants": list}), || output::grants(&list));
        }
        GrantsCmd::Show { id } => {
            let detail = app.grant_show(&id).await?;
            print(j, &detail, || output::grant(&detail));
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
            print(j, &v, || output::impact(&impact, preview));
        }
    }
    Ok(())
}

/// `mint`: tokens for an app (and a user) without a browser (sandbox only).
pub(super) async fn mint(
    app: &Authdesk,
    client_id: &str,
    sub: Option<&str>,
    scope: &str,
    dpop: bool,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    let minted = app.mint(client_id, sub, scope, dpop, actor).await?;
    print(j, &minted, || output::minted(&minted));
    Ok(())
}
