//! Types the desktop console exchanges with the backend that have no other home: the error
//! shape every command returns, the grant query, and the status bar's facts.

use super::{ApiError, Authdesk, ClockView, IssuerKind, Mode, Page, Profile};
use authdesk_core::ErrorCode;
use authdesk_core::client::FieldError;
use authdesk_core::clock::format_duration;
use authdesk_core::roles::Power;
use authdesk_store::grants::GrantSelector;
use authdesk_store::settings;
use serde::{Deserialize, Serialize};

/// What kind of failure a console command met: the closed set the UI may branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum UiErrorCode {
    /// A form field is wrong; `fields` says which.
    InvalidInput,
    NotFound,
    Refused,
    /// The signed-in operator's role does not allow it.
    Forbidden,
    /// A production registry's console needs an operator signed in (none is, or the desk was
    /// idle too long and locked).
    SignInRequired,
    /// Busy or a storage fault: nothing was written; trying again shortly may succeed.
    Unavailable,
    Internal,
    /// An OAuth rule refused it (the sandbox's mint); `oauth_error` is the RFC code.
    Oauth,
}

/// What every console command returns on failure: a stable code the UI may branch on, a
/// message for people, and per-field problems for forms. The UI never matches on `message`.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct UiError {
    pub code: UiErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
    pub oauth_error: Option<ErrorCode>,
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        let plain = |code, message| UiError {
            code,
            message,
            fields: vec![],
            oauth_error: None,
        };
        match e {
            ApiError::Invalid { fields } => UiError {
                message: fields
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                fields,
                ..plain(UiErrorCode::InvalidInput, String::new())
            },
            ApiError::Internal(msg) => {
                tracing::error!(error = %msg, "console command failed");
                plain(
                    UiErrorCode::Internal,
                    "something went wrong inside Authdesk; see its log".into(),
                )
            }
            ApiError::OAuth(o) => UiError {
                oauth_error: Some(o.code),
                ..plain(UiErrorCode::Oauth, o.to_string())
            },
            e @ ApiError::NotFound(_) => plain(UiErrorCode::NotFound, e.to_string()),
            e @ ApiError::Refused(_) => plain(UiErrorCode::Refused, e.to_string()),
            e @ ApiError::Forbidden(_) => plain(UiErrorCode::Forbidden, e.to_string()),
            e @ ApiError::SignInRequired(_) => plain(UiErrorCode::SignInRequired, e.to_string()),
            e @ ApiError::Unavailable(_) => plain(UiErrorCode::Unavailable, e.to_string()),
        }
    }
}

/// Which grants a list, preview or revocation is about, and which page of them.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct GrantQuery {
    pub client_id: Option<String>,
    pub sub: Option<String>,
    pub grant_id: Option<String>,
    /// Only grants in this state (a listing's filter; previews and revocations ignore it).
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<authdesk_core::status::GrantStatus>,
    /// The chains that end soonest first (else the newest first).
    #[serde(default)]
    #[ts(optional)]
    pub ending_first: Option<bool>,
    /// Only live grants with something ending in a window (an "ending soon" count or a chart
    /// bar, opened as the list behind it).
    #[serde(default)]
    #[ts(optional)]
    pub ending: Option<GrantEnding>,
    #[ts(type = "number")]
    pub limit: i64,
    #[ts(type = "number")]
    pub offset: i64,
}

/// Live grants with a refresh token (`refresh_token`) or the chain's one-year cap (`chain`)
/// ending in `[from, to)`, Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GrantEnding {
    pub what: EndingWhat,
    #[ts(type = "number")]
    pub from: i64,
    #[ts(type = "number")]
    pub to: i64,
}

/// What ends in a [`GrantEnding`] window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EndingWhat {
    RefreshToken,
    Chain,
}

impl From<GrantEnding> for authdesk_store::grants::Ending {
    fn from(e: GrantEnding) -> Self {
        use authdesk_store::grants::Ends;
        Self {
            what: match e.what {
                EndingWhat::RefreshToken => Ends::RefreshToken,
                EndingWhat::Chain => Ends::Chain,
            },
            from: e.from,
            to: e.to,
        }
    }
}

impl GrantQuery {
    /// The grants named (blank parts count as absent); `None` when nothing is named.
    pub fn selector(&self) -> Result<Option<GrantSelector>, ApiError> {
        let clean = |s: &Option<String>| {
            s.as_ref()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        GrantSelector::from_parts(
            clean(&self.grant_id),
            clean(&self.sub),
            clean(&self.client_id),
        )
        .map_err(|why| ApiError::invalid("filter", why))
    }

    /// The grants a preview or revocation is about: something must be named.
    pub fn required_selector(&self) -> Result<GrantSelector, ApiError> {
        self.selector()?.ok_or_else(|| {
            ApiError::invalid(
                "filter",
                "name a grant, a user (sub) or an application (client id)",
            )
        })
    }

    pub fn page(&self) -> Page {
        Page {
            limit: if self.limit <= 0 { 100 } else { self.limit },
            offset: self.offset,
        }
    }
}

/// How the console's embedded server serves this registry (Settings): the profile (shared
/// with `authdesk serve`, which remembers its `--profile`), https with the sandbox CA, and the
/// Banno profile's sandbox consumer API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ServerSettings {
    pub profile: Profile,
    pub tls: bool,
    pub sandbox_api: bool,
    /// Every app's sign-ins must start with a pushed request (RFC 9126; `serve --require-par`).
    pub require_par: bool,
    /// DPoP proofs must carry a nonce the server gave (RFC 9449 §8; `serve --dpop-nonce`).
    pub dpop_nonce: bool,
}

/// An issuer the registry serves, as the console shows it (with what to paste into an app).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct IssuerInfo {
    pub kind: IssuerKind,
    pub issuer: String,
    pub discovery: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
}

impl Authdesk {
    /// The embedded server's settings, as stored.
    pub async fn server_settings(&self) -> Result<ServerSettings, ApiError> {
        let mut conn = self.store().read().await?;
        let on = |v: Option<String>| v.as_deref() == Some("on");
        let tls = on(settings::get(&mut conn, settings::SERVE_TLS).await?);
        let sandbox_api = on(settings::get(&mut conn, settings::SERVE_SANDBOX_API).await?);
        let require_par = on(settings::get(&mut conn, settings::SERVE_REQUIRE_PAR).await?);
        let dpop_nonce = on(settings::get(&mut conn, settings::SERVE_DPOP_NONCE).await?);
        Ok(ServerSettings {
            profile: self.profile(),
            tls,
            sandbox_api,
            require_par,
            dpop_nonce,
        })
    }

    /// The sandbox consumer API serves demo bank data as Banno's API: sandbox registries and
    /// the Banno profile only.
    pub fn sandbox_api_allowed(&self, profile: Profile) -> Result<(), ApiError> {
        if self.mode() == Mode::Production {
            return Err(ApiError::Refused(
                "the sandbox consumer API serves demo bank data: sandbox registries only".into(),
            ));
        }
        if profile != Profile::Banno {
            return Err(ApiError::invalid(
                "sandbox_api",
                "the sandbox consumer API is Banno's: serve the Banno profile (--profile banno)",
            ));
        }
        Ok(())
    }

    /// Stores the embedded server's settings (the console restarts it after): the sandbox CA
    /// and the sandbox API are a sandbox's, and the API is the Banno profile's.
    pub async fn set_server_settings(
        &self,
        s: ServerSettings,
        actor: &super::Actor,
    ) -> Result<(), ApiError> {
        actor.may(Power::ManageSettings)?;
        if self.mode() == Mode::Production && s.tls {
            return Err(ApiError::Refused(
                "a production registry is served with its own certificate (authdesk serve --tls-cert), not the sandbox CA".into(),
            ));
        }
        if s.sandbox_api {
            self.sandbox_api_allowed(s.profile)?;
        }
        self.set_profile(s.profile, actor).await?;
        let flag = |b: bool| if b { "on" } else { "off" }.to_string();
        let stored = [
            (settings::SERVE_TLS, flag(s.tls)),
            (settings::SERVE_SANDBOX_API, flag(s.sandbox_api)),
            (settings::SERVE_REQUIRE_PAR, flag(s.require_par)),
            (settings::SERVE_DPOP_NONCE, flag(s.dpop_nonce)),
        ];
        self.write(move |tx| {
            Box::pin(async move {
                for (name, value) in &stored {
                    settings::set(tx, name, value).await?;
                }
                Ok(())
            })
        })
        .await
    }
}

/// The status bar: where the server listens, whether it runs, the data directory, the clock.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConsoleStatus {
    pub issuer: String,
    /// Every issuer served (two in the Banno profile).
    pub issuers: Vec<IssuerInfo>,
    pub profile: Profile,
    /// Whether the embedded server serves https (with the sandbox CA), and that CA's file.
    pub tls: bool,
    pub ca_file: Option<String>,
    pub sandbox_api: bool,
    /// Where the embedded server listens (`None` while it does not).
    pub listen: Option<String>,
    pub server_running: bool,
    pub server_error: Option<String>,
    pub data_dir: String,
    pub mode: Mode,
    pub clock: ClockView,
    pub clock_offset_text: String,
}

impl Authdesk {
    pub fn console_status(
        &self,
        listen: Option<std::net::SocketAddr>,
        server_running: bool,
        server_error: Option<String>,
        serving: ServerSettings,
    ) -> ConsoleStatus {
        let clock = self.clock_show();
        let site = self.site();
        ConsoleStatus {
            issuer: self.issuer(),
            issuers: site
                .issuers
                .iter()
                .map(|i| {
                    use authdesk_core::site::Endpoint;
                    IssuerInfo {
                        kind: i.kind,
                        issuer: i.url.clone(),
                        discovery: i.url_of(Endpoint::Discovery),
                        authorization_endpoint: i.url_of(Endpoint::Authorize),
                        token_endpoint: i.url_of(Endpoint::Token),
                    }
                })
                .collect(),
            profile: site.profile,
            tls: serving.tls,
            ca_file: serving.tls.then(|| {
                crate::tls::sandbox_ca_for(self)
                    .ca_file()
                    .display()
                    .to_string()
            }),
            sandbox_api: serving.sandbox_api,
            listen: listen.map(|a| a.to_string()),
            server_running,
            server_error,
            data_dir: self.data_dir().display().to_string(),
            mode: self.mode(),
            clock_offset_text: format_duration(chrono::Duration::seconds(clock.offset_seconds)),
            clock,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use authdesk_store::StoreError;

    #[test]
    fn overload_and_storage_faults_reach_the_console_with_their_cause() {
        for (e, cause) in [
            (
                StoreError::Busy("another connection holds the database's write lock".into()),
                "write lock",
            ),
            (
                StoreError::Unavailable(
                    "the disk is full or the database reached its size limit".into(),
                ),
                "disk is full",
            ),
        ] {
            let ui = UiError::from(ApiError::from(e));
            assert_eq!(ui.code, UiErrorCode::Unavailable);
            assert!(ui.message.contains(cause), "{}", ui.message);
        }
    }

    #[test]
    fn a_grant_query_names_grants_or_nothing_and_revocations_need_a_name() {
        let q = |grant_id: &str, sub: &str, client_id: &str| GrantQuery {
            grant_id: Some(grant_id.into()),
            sub: Some(sub.into()),
            client_id: Some(client_id.into()),
            ..Default::default()
        };
        assert_eq!(q(" ", "", "").selector().unwrap(), None, "blank is absent");
        assert_eq!(
            q("", " alice ", "").selector().unwrap(),
            Some(GrantSelector::User {
                sub: "alice".into(),
                client_id: None
            })
        );
        assert_eq!(
            q("", "", "").required_selector().unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            q("g", "alice", "").selector().unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            q("g", "", "").required_selector().unwrap(),
            GrantSelector::Grant("g".into())
        );
    }
}
