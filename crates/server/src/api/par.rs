//! Pushed authorization requests (RFC 9126): an app posts its authorization request to the PAR
//! endpoint, authenticated as at the token endpoint, and gets a `request_uri` to send the
//! person's browser with instead of the parameters. The request is checked when pushed by the
//! same rules as at the authorization endpoint (`core::authorize::Request::parse`), stored by
//! the hash of its `request_uri` for [`PUSHED_SECONDS`], and used once.

use super::{Authdesk, IssuerSite, Result};
use authdesk_core::authorize::{self, Refusal, Request as AuthorizeRequest};
use authdesk_core::params::Params;
use authdesk_core::site::Endpoint;
use authdesk_core::token_request::Credentials;
use authdesk_core::{ErrorCode, OAuthError};
use authdesk_store::Script;
use authdesk_store::pushed::{self, PushedRow};
use serde::Serialize;

/// How long a pushed request may be used (RFC 9126 §2.2 asks for a short time).
pub const PUSHED_SECONDS: i64 = 60;

/// What every `request_uri` starts with (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// The PAR endpoint's answer (RFC 9126 §2.2), sent with 201.
#[derive(Debug, Clone, Serialize)]
pub struct Pushed {
    pub request_uri: String,
    pub expires_in: i64,
}

impl Authdesk {
    /// Takes an app's pushed authorization request at the issuer `at`: the app authenticates as
    /// at the token endpoint; the parameters pass the authorization endpoint's checks or are
    /// refused here with the same error; nothing is stored for a refused one. A DPoP proof
    /// binds the code to its key.
    pub async fn push_authorization_request(
        &self,
        at: &IssuerSite,
        credentials: &Credentials,
        params: &Params,
        dpop_proof: Option<&str>,
    ) -> Result<Pushed> {
        let client = self
            .client_authenticate_at(credentials, at, Endpoint::Par)
            .await?;
        if params.get("request_uri").is_some() {
            return Err(OAuthError::invalid_request(
                "request_uri cannot be pushed (RFC 9126 §2.1)",
            )
            .into());
        }
        if params.get("request").is_some() {
            return Err(OAuthError::new(
                ErrorCode::RequestNotSupported,
                "request objects are not supported: push the parameters themselves",
            )
            .into());
        }
        let mut pairs: Vec<(String, String)> = params
            .0
            .iter()
            .filter(|(k, _)| !is_client_auth(k))
            .cloned()
            .collect();
        match params.get("client_id") {
            Some(id) if id != client.id => {
                return Err(OAuthError::invalid_request(
                    "client_id is not the application that authenticated",
                )
                .into());
            }
            Some(_) => {}
            None => pairs.push(("client_id".into(), client.id.clone())),
        }
        // A DPoP proof at the PAR endpoint binds the code as `dpop_jkt` would (RFC 9449 §10.1).
        if let Some(jwt) = dpop_proof {
            let proof = self.endpoint_proof(at, Endpoint::Par, jwt)?;
            self.remember_proof(&proof).await?;
            let jkt = proof.jkt;
            match params.get("dpop_jkt") {
                Some(named) if named != jkt => {
                    return Err(OAuthError::invalid_dpop_proof(
                        "dpop_jkt names another key than the DPoP proof's",
                    )
                    .into());
                }
                Some(_) => {}
                None => pairs.push(("dpop_jkt".into(), jkt)),
            }
        }
        let pushed = Params(pairs);
        let registered = authorize::Registered {
            client_id: &client.id,
            settings: &client.settings,
            enabled: client.enabled,
        };
        if let Err(refusal) = AuthorizeRequest::parse(&pushed, registered, at.kind) {
            return Err(match refusal {
                Refusal::Page(message) => OAuthError::invalid_request(message),
                Refusal::Redirect { error, .. } => error,
            }
            .into());
        }
        let request_uri = format!("{REQUEST_URI_PREFIX}{}", crate::secret::generate());
        let row = PushedRow {
            client_id: client.id.clone(),
            params: serde_json::to_string(&pushed.0)
                .map_err(|e| super::ApiError::Internal(e.to_string()))?,
            expires_at: self.now().timestamp() + PUSHED_SECONDS,
        };
        let mut script = Script::new();
        pushed::insert_into(
            &mut script,
            &self.hasher().hash("request_uri", &request_uri),
            &row,
        );
        self.append(script).await?;
        Ok(Pushed {
            request_uri,
            expires_in: PUSHED_SECONDS,
        })
    }

    /// The parameters of the pushed request a `request_uri` (one with [`REQUEST_URI_PREFIX`])
    /// names, for the authorization endpoint (RFC 9126 §4): used once; refused when unknown, used or expired, when it is
    /// another app's than `client_id` says, or when the request's own parameters contradict
    /// it. The refusal is a page: nothing in the request is known good to redirect to.
    pub(crate) async fn pushed_params(
        &self,
        request_uri: &str,
        params: &Params,
    ) -> Result<std::result::Result<Params, (ErrorCode, &'static str)>> {
        let Some(client_id) = params.get("client_id") else {
            return Ok(Err((
                ErrorCode::InvalidRequest,
                "The request has no client_id.",
            )));
        };
        let now = self.now().timestamp();
        let hash = self.hasher().hash("request_uri", request_uri);
        let taken = self
            .write(move |tx| Box::pin(async move { Ok(pushed::take(tx, &hash, now).await?) }))
            .await?;
        let Some(row) = taken else {
            return Ok(Err((
                ErrorCode::InvalidRequestUri,
                "This sign-in request was used already or is not known. Start again from the application.",
            )));
        };
        if row.client_id != client_id {
            return Ok(Err((
                ErrorCode::InvalidRequestUri,
                "This sign-in request belongs to another application than the one named.",
            )));
        }
        if row.expires_at <= now {
            return Ok(Err((
                ErrorCode::InvalidRequestUri,
                "This sign-in request expired. Start again from the application.",
            )));
        }
        let pairs: Vec<(String, String)> = serde_json::from_str(&row.params)
            .map_err(|e| super::ApiError::Internal(format!("a stored pushed request: {e}")))?;
        let pushed = Params(pairs);
        for (k, v) in &params.0 {
            if k == "request_uri" || k == "client_id" {
                continue;
            }
            if pushed.get(k) != Some(v.as_str()) {
                return Ok(Err((
                    ErrorCode::InvalidRequest,
                    "The request's parameters contradict the request the application pushed.",
                )));
            }
        }
        Ok(Ok(pushed))
    }
}

/// Parameters that authenticate the client at the PAR endpoint, not part of the request.
fn is_client_auth(name: &str) -> bool {
    matches!(
        name,
        "client_secret" | "client_assertion" | "client_assertion_type"
    )
}
