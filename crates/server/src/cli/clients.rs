//! `authdesk clients ...`: external-application configurations.

use super::Failure;
use super::output::{self, print};
use crate::api::{Actor, Authdesk, Page};
use authdesk_core::alg::Alg;
use authdesk_core::client::{AppType, AuthMethod, ClientDraft, ClientType, GrantType};
use authdesk_core::clock::parse_duration;
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;

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
    /// Every token request must carry a DPoP proof (RFC 9449), so every access token the app
    /// gets is bound to its key (`dpop_bound_access_tokens`).
    #[arg(long)]
    dpop_bound: bool,
    /// Authorization requests must be pushed first (RFC 9126 PAR):
    /// `require_pushed_authorization_requests`.
    #[arg(long)]
    require_par: bool,
    /// standard (a user signs in), or service-account (client credentials with
    /// private_key_jwt, acting as --associated-user).
    #[arg(long, value_parser = AppType::parse)]
    app_type: Option<AppType>,
    /// A service account's user, by user name (or sub).
    #[arg(long, value_name = "USERNAME")]
    associated_user: Option<String>,
    /// The algorithm of the app's ID tokens (default: RS256; ES256 in the Banno profile).
    #[arg(long, value_parser = Alg::parse)]
    id_token_alg: Option<Alg>,
    /// Where the app publishes its keys for private_key_jwt (instead of --jwks-file).
    #[arg(long, value_name = "URL")]
    jwks_uri: Option<String>,
    /// Where RP-initiated logout may return the user (exact match; repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
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
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    Enable {
        id: String,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    Delete {
        id: String,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    RotateSecret {
        id: String,
        /// Keep the old secret working this long (e.g. 24h, 7d; at most 30d); default: it
        /// stops at once.
        #[arg(long)]
        overlap: Option<String>,
        /// Why (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
}

impl CreateClient {
    /// The draft to validate: `--scope` may be given more than once, each a space-separated
    /// list; `--jwks-file` is read here.
    fn into_draft(self) -> Result<ClientDraft, Failure> {
        let public_key = match &self.jwks_file {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .map_err(|e| Failure(format!("cannot read {}: {e}", p.display())))?,
            ),
            None => None,
        };
        Ok(ClientDraft {
            name: self.name,
            partner_name: self.partner_name,
            client_type: self.client_type,
            auth_method: self.auth_method,
            redirect_uris: self.redirect_uris,
            scopes: self
                .scopes
                .iter()
                .flat_map(|s| s.split(' '))
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            custom_claims: self.custom_claims,
            grant_types: self.grant_types,
            public_key,
            consent_required: self.consent_required,
            resource_server: Some(self.resource_server),
            dpop_bound_access_tokens: Some(self.dpop_bound),
            require_pushed_authorization_requests: Some(self.require_par),
            lifetimes: Default::default(),
            app_type: self.app_type,
            associated_user: self.associated_user,
            id_token_alg: self.id_token_alg,
            jwks_uri: self.jwks_uri,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
        })
    }
}

pub(super) async fn run(
    app: &Authdesk,
    c: ClientsCmd,
    j: bool,
    actor: &Actor,
) -> Result<(), Failure> {
    match c {
        ClientsCmd::Create(a) => {
            let created = app.client_create(&a.into_draft()?, actor).await?;
            print(j, &created, || output::client_created(&created));
        }
        ClientsCmd::List { search } => {
            let list = app.client_list(&search, Page::default()).await?;
            print(j, &json!({"clients": list}), || output::clients(&list));
        }
        ClientsCmd::Show { id } => {
            let view = app.client_show(&id).await?;
            print(j, &view, || output::client(&view));
        }
        ClientsCmd::Disable { id, reason } => {
            let actor = &actor.clone().because(reason.as_deref());
            let view = app.client_set_enabled(&id, false, actor).await?;
            print(j, &view, || {
                format!("application {id} disabled: it gets no more tokens\n")
            });
        }
        ClientsCmd::Enable { id, reason } => {
            let actor = &actor.clone().because(reason.as_deref());
            let view = app.client_set_enabled(&id, true, actor).await?;
            print(j, &view, || format!("application {id} enabled\n"));
        }
        ClientsCmd::Delete { id, reason } => {
            let actor = &actor.clone().because(reason.as_deref());
            app.client_delete(&id, actor).await?;
            print(j, &json!({"deleted": id}), || {
                format!("application {id} deleted with its grants and tokens\n")
            });
        }
        ClientsCmd::RotateSecret {
            id,
            overlap,
            reason,
        } => {
            let actor = &actor.clone().because(reason.as_deref());
            let overlap = overlap
                .as_deref()
                .map(|o| parse_duration(o).map_err(|e| Failure(format!("--overlap: {e}"))))
                .transpose()?;
            let rotated = app.client_rotate_secret(&id, overlap, actor).await?;
            print(j, &rotated, || output::rotated_secret(&rotated));
        }
    }
    Ok(())
}
