//! Types the desktop console exchanges with the backend that have no other home: the error
//! shape every command returns, the grant query, and the status bar's facts.

use super::{ApiError, Authdesk, ClockView, Mode, Page};
use authdesk_core::ErrorCode;
use authdesk_core::client::FieldError;
use authdesk_core::clock::format_duration;
use authdesk_store::grants::GrantSelector;
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
    #[ts(type = "number")]
    pub limit: i64,
    #[ts(type = "number")]
    pub offset: i64,
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

/// The status bar: where the server listens, whether it runs, the data directory, the clock.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConsoleStatus {
    pub issuer: String,
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
    ) -> ConsoleStatus {
        let clock = self.clock_show();
        ConsoleStatus {
            issuer: self.issuer(),
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
