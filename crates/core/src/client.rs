//! External-application configurations (clients) and the rules a registration must meet.

use crate::alg::Alg;
use crate::lifetime::{LifetimeOverrides, Lifetimes};
use crate::names::{self, NameKind};
use crate::redirect_uri::RedirectUri;
use crate::scope::{self, Scope};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ClientType {
    Confidential,
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

/// Banno's application types: a standard app (a user signs in: code flow), or a service
/// account (client credentials with `private_key_jwt` only, acting as an associated user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AppType {
    #[default]
    Standard,
    ServiceAccount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
}

macro_rules! str_enum {
    ($t:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),*];
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),* }
            }
            pub fn parse(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok(<$t>::$v),)*
                    _ => Err(format!(
                        "'{}' is not one of: {}",
                        crate::error::shown(s),
                        [$($s),*].join(", ")
                    )),
                }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(ClientType { Confidential = "confidential", Public = "public" });
str_enum!(AppType { Standard = "standard", ServiceAccount = "service-account" });
str_enum!(AuthMethod {
    ClientSecretBasic = "client_secret_basic",
    ClientSecretPost = "client_secret_post",
    PrivateKeyJwt = "private_key_jwt",
    None = "none",
});
str_enum!(GrantType {
    AuthorizationCode = "authorization_code",
    ClientCredentials = "client_credentials",
    RefreshToken = "refresh_token",
});

impl AuthMethod {
    /// Does this method authenticate with a shared secret the server must generate?
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

/// What an administrator submits to create or edit an app. Optional fields take defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(export)]
pub struct ClientDraft {
    pub name: String,
    pub partner_name: Option<String>,
    pub client_type: Option<ClientType>,
    pub auth_method: Option<AuthMethod>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub custom_claims: Vec<String>,
    pub grant_types: Vec<GrantType>,
    /// The public key for `private_key_jwt`: a PEM public key or a JWKS JSON document.
    pub public_key: Option<String>,
    pub consent_required: Option<bool>,
    /// An API that checks other apps' access tokens at the introspection endpoint (RFC 7662).
    /// Other apps may introspect only their own tokens. Confidential apps only; default no.
    pub resource_server: Option<bool>,
    /// RFC 9449 §5.2 `dpop_bound_access_tokens`: every token request must carry a DPoP proof,
    /// so every access token the app gets is bound to its key. Default no.
    pub dpop_bound_access_tokens: Option<bool>,
    /// RFC 9126 §6 `require_pushed_authorization_requests`: the app's authorization requests
    /// must come pushed (a `request_uri`), never as plain parameters. Default no.
    pub require_pushed_authorization_requests: Option<bool>,
    pub lifetimes: LifetimeOverrides,
    /// Standard (default) or a service account.
    pub app_type: Option<AppType>,
    /// A service account's user: its access tokens carry this user as `sub`. The use case
    /// resolves a user name to the user's `sub` before validating.
    pub associated_user: Option<String>,
    /// The algorithm of the app's ID tokens (the registry's profile decides the default).
    pub id_token_alg: Option<Alg>,
    /// For `private_key_jwt`: where the app publishes its keys (instead of `public_key`).
    pub jwks_uri: Option<String>,
    /// Where RP-initiated logout may send the user back (exact match).
    pub post_logout_redirect_uris: Vec<String>,
}

impl From<&ClientSettings> for ClientDraft {
    /// The registration as an administrator would submit it again (an export's form):
    /// validating it gives back the same settings.
    fn from(s: &ClientSettings) -> Self {
        ClientDraft {
            name: s.name.clone(),
            partner_name: s.partner_name.clone(),
            client_type: Some(s.client_type),
            auth_method: Some(s.auth_method),
            redirect_uris: s
                .redirect_uris
                .iter()
                .map(|u| u.as_str().to_string())
                .collect(),
            scopes: s.scopes.iter().map(String::from).collect(),
            custom_claims: s.custom_claims.clone(),
            grant_types: s.grant_types.clone(),
            public_key: s.public_key.clone(),
            consent_required: Some(s.consent_required),
            resource_server: Some(s.resource_server),
            dpop_bound_access_tokens: Some(s.dpop_bound_access_tokens),
            require_pushed_authorization_requests: Some(s.require_pushed_authorization_requests),
            lifetimes: s.lifetimes.overrides(),
            app_type: Some(s.app_type),
            associated_user: s.associated_user.clone(),
            id_token_alg: Some(s.id_token_alg),
            jwks_uri: s.jwks_uri.clone(),
            post_logout_redirect_uris: s
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.as_str().to_string())
                .collect(),
        }
    }
}

/// A registration that passed every rule (the secret and key material are handled outside).
/// How it is stored is the store's business (`authdesk_store::clients`), not this struct's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub name: String,
    pub partner_name: Option<String>,
    pub client_type: ClientType,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<RedirectUri>,
    pub scopes: Scope,
    pub custom_claims: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub public_key: Option<String>,
    pub consent_required: bool,
    /// See [`ClientDraft::resource_server`].
    pub resource_server: bool,
    /// See [`ClientDraft::dpop_bound_access_tokens`].
    pub dpop_bound_access_tokens: bool,
    /// See [`ClientDraft::require_pushed_authorization_requests`].
    pub require_pushed_authorization_requests: bool,
    /// The app's lifetimes: the defaults, shortened where it asked.
    pub lifetimes: Lifetimes,
    pub app_type: AppType,
    /// A service account's user (`sub`).
    pub associated_user: Option<String>,
    pub id_token_alg: Alg,
    pub jwks_uri: Option<String>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
}

/// The scopes an app using the authorization code flow gets when its registration names none.
pub const DEFAULT_SCOPES: &str = "openid profile email offline_access";

/// What a registration gets for the fields it leaves empty: shown by the console's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ClientDefaults {
    pub scopes: Vec<String>,
    pub lifetimes: crate::lifetime::Lifetimes,
    /// Every grant type an app may be registered for (the form's choices).
    pub grant_types: Vec<GrantType>,
    /// The longest an administrator may let DPoP-bound access tokens live (seconds).
    #[ts(type = "number")]
    pub bound_access_token_max: i64,
}

impl ClientDefaults {
    pub fn get() -> Self {
        Self {
            scopes: DEFAULT_SCOPES.split(' ').map(String::from).collect(),
            lifetimes: crate::lifetime::Lifetimes::default(),
            grant_types: GrantType::ALL.to_vec(),
            bound_access_token_max: crate::lifetime::BOUND_ACCESS_TOKEN_MAX,
        }
    }
}

/// A registration problem, tied to the field it concerns so a form can show it in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{field}: {message}")]
#[ts(export)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn field(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Is this a URI-named custom claim (e.g. `https://api.banno.com/consumer/claim/institution_id`)?
pub fn is_custom_claim_name(name: &str) -> bool {
    match name.split_once("://") {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'.' || b == b'-')
                && !rest.is_empty()
                && !rest.contains(char::is_whitespace)
                && name.len() <= 300
        }
        None => name.starts_with("urn:") && name.len() > 4 && !name.contains(char::is_whitespace),
    }
}

impl ClientDraft {
    /// Applies defaults and checks every registration rule. All problems are returned at once.
    pub fn validate(&self) -> Result<ClientSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = match names::parse(NameKind::App, &self.name) {
            Ok(n) => n.shown,
            Err(_) if self.name.trim().is_empty() => {
                errors.push(field("name", "give the application a name"));
                String::new()
            }
            Err(e) => {
                errors.push(field("name", e));
                self.name.trim().to_string()
            }
        };
        // The partner's name is shown on consent pages beside the app's: the same characters
        // are refused (it need not be unique).
        let partner_name = match self.partner_name.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => match names::parse(NameKind::Partner, p) {
                Ok(n) => Some(n.shown),
                Err(e) => {
                    errors.push(field("partner_name", e));
                    None
                }
            },
        };
        let app_type = self.app_type.unwrap_or_default();
        let service_account = app_type == AppType::ServiceAccount;
        let client_type = self.client_type.unwrap_or(ClientType::Confidential);
        let auth_method = self
            .auth_method
            .unwrap_or(match (client_type, service_account) {
                (_, true) => AuthMethod::PrivateKeyJwt,
                (ClientType::Confidential, false) => AuthMethod::ClientSecretBasic,
                (ClientType::Public, false) => AuthMethod::None,
            });
        if service_account {
            if client_type != ClientType::Confidential {
                errors.push(field(
                    "client_type",
                    "a service account is confidential: it signs its assertions with its key",
                ));
            }
            if auth_method != AuthMethod::PrivateKeyJwt {
                errors.push(field(
                    "auth_method",
                    "a service account authenticates with private_key_jwt only",
                ));
            }
        }
        let associated_user = self
            .associated_user
            .as_ref()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        match (service_account, &associated_user) {
            (true, None) => errors.push(field(
                "associated_user",
                "a service account acts as a user: choose its associated user",
            )),
            (false, Some(_)) => errors.push(field(
                "associated_user",
                "only a service account has an associated user",
            )),
            _ => {}
        }
        match (client_type, auth_method) {
            (ClientType::Public, AuthMethod::None) => {}
            (ClientType::Public, _) => errors.push(field(
                "auth_method",
                "a public client has no secret or key: its authentication method must be none",
            )),
            (ClientType::Confidential, AuthMethod::None) => errors.push(field(
                "auth_method",
                "a confidential client must authenticate: choose client_secret_basic, client_secret_post or private_key_jwt",
            )),
            _ => {}
        }
        let public_key = self
            .public_key
            .as_ref()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        let jwks_uri = self
            .jwks_uri
            .as_ref()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        if let Some(uri) = &jwks_uri
            && let Err(e) = check_jwks_uri(uri)
        {
            errors.push(field("jwks_uri", e));
        }
        match (
            auth_method == AuthMethod::PrivateKeyJwt,
            &public_key,
            &jwks_uri,
        ) {
            (true, None, None) => errors.push(field(
                "public_key",
                "private_key_jwt needs the app's public key (PEM or JWKS) or a JWKS URI",
            )),
            (true, Some(_), Some(_)) => errors.push(field(
                "jwks_uri",
                "give the public key or a JWKS URI, not both",
            )),
            (false, Some(_), _) => errors.push(field(
                "public_key",
                "a public key is only used with private_key_jwt",
            )),
            (false, _, Some(_)) => errors.push(field(
                "jwks_uri",
                "a JWKS URI is only used with private_key_jwt",
            )),
            _ => {}
        }

        let mut redirect_uris: Vec<RedirectUri> = Vec::new();
        for raw in &self.redirect_uris {
            match RedirectUri::parse(raw) {
                Ok(u) if redirect_uris.contains(&u) => {
                    errors.push(field("redirect_uris", format!("{u} is listed twice")));
                }
                Ok(u) => redirect_uris.push(u),
                Err(e) => errors.push(field(
                    "redirect_uris",
                    format!("{}: {e}", crate::error::shown(raw)),
                )),
            }
        }

        let mut grant_types = if self.grant_types.is_empty() && service_account {
            vec![GrantType::ClientCredentials]
        } else if self.grant_types.is_empty() {
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        } else {
            let mut g = Vec::new();
            for t in &self.grant_types {
                if !g.contains(t) {
                    g.push(*t);
                }
            }
            g
        };
        grant_types.sort_by_key(|g| GrantType::ALL.iter().position(|x| x == g));
        if service_account && grant_types != [GrantType::ClientCredentials] {
            errors.push(field(
                "grant_types",
                "a service account uses client_credentials only",
            ));
        }
        if client_type == ClientType::Public && grant_types.contains(&GrantType::ClientCredentials)
        {
            errors.push(field(
                "grant_types",
                "a public client cannot use client_credentials",
            ));
        }
        if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
            errors.push(field(
                "redirect_uris",
                "authorization_code needs at least one redirect URI",
            ));
        }
        if grant_types.contains(&GrantType::RefreshToken)
            && !grant_types.contains(&GrantType::AuthorizationCode)
        {
            errors.push(field(
                "grant_types",
                "refresh_token is only issued through authorization_code",
            ));
        }

        let scopes = if self.scopes.is_empty() {
            let default = if grant_types.contains(&GrantType::AuthorizationCode) {
                DEFAULT_SCOPES
            } else {
                ""
            };
            Scope::parse(default).expect("default scopes are valid")
        } else {
            match Scope::from_tokens(&self.scopes) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(field("scopes", e));
                    Scope::default()
                }
            }
        };
        // A service account acts as a user: `openid` is accepted (Banno's client-credentials
        // flow sends it), though no ID token is issued without a login.
        if !grant_types.contains(&GrantType::AuthorizationCode) {
            let user: Vec<&str> = scopes
                .iter()
                .filter(|s| scope::is_user_scope(s) && !(service_account && *s == scope::OPENID))
                .collect();
            if !user.is_empty() {
                errors.push(field(
                    "scopes",
                    format!(
                        "{} need a user and so the authorization_code grant",
                        user.join(", ")
                    ),
                ));
            }
        }

        let mut custom_claims = Vec::new();
        for c in &self.custom_claims {
            let c = c.trim();
            if !is_custom_claim_name(c) {
                errors.push(field(
                    "custom_claims",
                    format!(
                        "'{}' is not a URI-named claim (e.g. https://api.example.com/claim/x)",
                        crate::error::shown(c)
                    ),
                ));
            } else if !custom_claims.iter().any(|x| x == c) {
                custom_claims.push(c.to_string());
            }
        }

        let resource_server = self.resource_server.unwrap_or(false);
        if resource_server && client_type != ClientType::Confidential {
            errors.push(field(
                "resource_server",
                "only a confidential app can introspect tokens: it must authenticate",
            ));
        }

        let mut post_logout_redirect_uris: Vec<RedirectUri> = Vec::new();
        for raw in &self.post_logout_redirect_uris {
            match RedirectUri::parse(raw) {
                Ok(u) if post_logout_redirect_uris.contains(&u) => errors.push(field(
                    "post_logout_redirect_uris",
                    format!("{u} is listed twice"),
                )),
                Ok(u) => post_logout_redirect_uris.push(u),
                Err(e) => errors.push(field(
                    "post_logout_redirect_uris",
                    format!("{}: {e}", crate::error::shown(raw)),
                )),
            }
        }

        let lifetimes = match self.lifetimes.resolve() {
            Ok(l) => l,
            Err(e) => {
                errors.push(field("lifetimes", e));
                Lifetimes::default()
            }
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ClientSettings {
            name,
            partner_name,
            client_type,
            auth_method,
            redirect_uris,
            scopes,
            custom_claims,
            grant_types,
            public_key,
            consent_required: self.consent_required.unwrap_or(!service_account),
            resource_server,
            dpop_bound_access_tokens: self.dpop_bound_access_tokens.unwrap_or(false),
            require_pushed_authorization_requests: self
                .require_pushed_authorization_requests
                .unwrap_or(false),
            lifetimes,
            app_type,
            associated_user,
            id_token_alg: self.id_token_alg.unwrap_or(Alg::RS256),
            jwks_uri,
            post_logout_redirect_uris,
        })
    }
}

/// The longest JWKS URI accepted.
const MAX_JWKS_URI: usize = 2048;

/// A JWKS URI's form: an absolute `https://` URL (or `http://` for a sandbox's local
/// services: the use case refuses it in production, with the addresses it may not name),
/// without user information or a fragment.
pub fn check_jwks_uri(uri: &str) -> Result<url::Url, String> {
    if uri.len() > MAX_JWKS_URI {
        return Err("the JWKS URI is longer than 2048 characters".into());
    }
    let u = url::Url::parse(uri).map_err(|e| format!("not an absolute URL: {e}"))?;
    if !matches!(u.scheme(), "https" | "http") {
        return Err("the JWKS URI must be an https:// URL".into());
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("the JWKS URI has no host".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("the JWKS URI must not carry a user name or password".into());
    }
    if u.fragment().is_some() {
        return Err("the JWKS URI must not have a fragment".into());
    }
    Ok(u)
}
