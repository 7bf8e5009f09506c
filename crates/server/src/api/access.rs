//! Presented tokens: access-token verification (for introspection, userinfo and revocation),
//! RFC 7662 introspection, RFC 7009 revocation and OIDC userinfo.

use super::{Actor, ApiError, Authdesk, Check, IssuerSite, Result, audit};
use crate::api::audit::AuditAction;
use crate::signing;
use authdesk_core::claims::{self, Target};
use authdesk_core::client::ClientType;
use authdesk_core::scope::Scope;
use authdesk_core::status::{self, GrantFacts, RefreshFacts};
use authdesk_core::{ErrorCode, OAuthError, dpop};
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::clients::ClientRow;
use authdesk_store::{grants, refresh_tokens, users};
use serde_json::{Map, Value, json};

/// Why a presented access token is not accepted. Each reason is safe to tell the caller (it
/// is about the token they hold); a failure to look it up is not a reason but an internal
/// error ([`Check::Failed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    NotJwt,
    NotAccessToken,
    NoKid,
    UnknownKey,
    AlgorithmMismatch,
    BadSignature,
    OtherIssuer,
    NoExp,
    Expired,
    NoJti,
    Unknown,
    ClaimsMismatch,
    Revoked,
    GrantEnded,
    AppDisabled,
}

impl Rejection {
    pub fn describe(self) -> &'static str {
        match self {
            Self::NotJwt => "not a JWT",
            Self::NotAccessToken => "not an access token (typ is not at+jwt)",
            Self::NoKid => "no kid in the header",
            Self::UnknownKey => "signed by an unknown or expired key",
            Self::AlgorithmMismatch => "algorithm does not match the key",
            Self::BadSignature => "signature invalid",
            Self::OtherIssuer => "issued by another issuer",
            Self::NoExp => "no exp",
            Self::Expired => "expired",
            Self::NoJti => "no jti",
            Self::Unknown => "unknown token",
            Self::ClaimsMismatch => "its claims do not match the token issued under its jti",
            Self::Revoked => "revoked",
            Self::GrantEnded => "its grant was revoked or its user deleted",
            Self::AppDisabled => "its application is disabled or deleted",
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// A refused bearer token is RFC 6750 `invalid_token`.
impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        OAuthError::new(
            ErrorCode::InvalidToken,
            format!("the access token is invalid: {r}"),
        )
        .into()
    }
}

impl Authdesk {
    /// Verifies a JWT access token: signature by one of our published keys, `typ`, issuer
    /// (`at`'s, or with `None` any of the profile's), expiry by the sandbox clock, that it is
    /// the token we issued under its `jti` (its claims match the stored record), and that
    /// neither it nor its grant was revoked, its user deleted or its app disabled. Returns the
    /// stored record: what the token says is answered from it, never from the presented
    /// claims.
    pub async fn check_access_token(
        &self,
        at: Option<&IssuerSite>,
        token: &str,
    ) -> std::result::Result<AccessTokenRow, Check<Rejection>> {
        use Rejection::*;
        let refuse = |r| Err(Check::Refused(r));
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return refuse(NotJwt);
        };
        if header.typ.as_deref() != Some("at+jwt") {
            return refuse(NotAccessToken);
        }
        let Some(kid) = header.kid else {
            return refuse(NoKid);
        };
        let Some(key) = self.published_key(&kid) else {
            return refuse(UnknownKey);
        };
        if header.alg != signing::jwt(key.alg) {
            return refuse(AlgorithmMismatch);
        }
        let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(
            token,
            &key.decoding,
            &signing::signature_only(signing::jwt(key.alg)),
        ) else {
            return refuse(BadSignature);
        };
        let c = data.claims;
        let iss = c.get("iss").and_then(Value::as_str).unwrap_or("");
        let ours = match at {
            Some(at) => at.url == iss,
            None => self.site().by_url(iss).is_some(),
        };
        if !ours {
            return refuse(OtherIssuer);
        }
        let Some(exp) = c.get("exp").and_then(Value::as_i64) else {
            return refuse(NoExp);
        };
        if self.now().timestamp() >= exp {
            return refuse(Expired);
        }
        let Some(jti) = c.get("jti").and_then(Value::as_str) else {
            return refuse(NoJti);
        };
        let found = {
            let mut conn = self.store().read().await?;
            access_tokens::with_grant_state(&mut conn, jti).await?
        };
        let Some((row, grant_live)) = found else {
            return refuse(Unknown);
        };
        let claim = |k: &str| c.get(k).and_then(Value::as_str);
        if claim("sub") != Some(row.sub.as_str())
            || claim("client_id") != Some(row.client_id.as_str())
            || claim("scope") != Some(row.scope.as_str())
            || exp != row.expires_at
        {
            return refuse(ClaimsMismatch);
        }
        if row.revoked_at.is_some() {
            return refuse(Revoked);
        }
        if !grant_live {
            return refuse(GrantEnded);
        }
        let client = self.client_cached(&row.client_id).await?;
        if !client.is_some_and(|c| c.enabled) {
            return refuse(AppDisabled);
        }
        Ok(row)
    }

    /// A token presented at a resource we serve (userinfo, the sandbox API): checked as
    /// [`Self::check_access_token`] says, then its binding (`core::dpop::check_presented`: a
    /// DPoP-bound token only with a proof of its key, a bearer token only as Bearer); the
    /// proof's `jti` is remembered. Refusals are RFC 6750/9449 errors, challenging with DPoP
    /// when the token or the request used it.
    pub async fn check_presented(
        &self,
        at: &IssuerSite,
        p: &dpop::Presented,
    ) -> Result<AccessTokenRow> {
        let row = match self.check_access_token(Some(at), &p.token).await {
            Ok(row) => row,
            Err(Check::Refused(why)) => {
                let e = OAuthError::new(
                    ErrorCode::InvalidToken,
                    format!("the access token is invalid: {why}"),
                );
                return Err(if p.dpop_scheme {
                    e.with_dpop_challenge()
                } else {
                    e
                }
                .into());
            }
            Err(Check::Failed(e)) => return Err(e),
        };
        let client_now = self.client_now().timestamp();
        let nonces = self.dpop_nonces();
        if let Some(proof) = dpop::check_presented(p, row.dpop_jkt.as_deref(), client_now, &nonces)?
        {
            self.remember_proof(&proof).await?;
        }
        Ok(row)
    }

    /// [`Self::check_access_token`] for callers that treat a refused token as no token: `None`
    /// if refused; a failure to look is still an error.
    async fn accepted_access_token(
        &self,
        at: &IssuerSite,
        token: &str,
    ) -> Result<Option<AccessTokenRow>> {
        match self.check_access_token(Some(at), token).await {
            Ok(row) => Ok(Some(row)),
            Err(Check::Refused(_)) => Ok(None),
            Err(Check::Failed(e)) => Err(e),
        }
    }

    /// RFC 7662, for authenticated confidential clients: an app learns about its own tokens;
    /// a resource server (a registry flag) also about other apps' access tokens. Anything else
    /// is `active: false`, as for a token that does not exist.
    pub async fn introspect(
        &self,
        at: &IssuerSite,
        caller: &ClientRow,
        token: &str,
    ) -> Result<Value> {
        if caller.settings.client_type != ClientType::Confidential {
            return Err(OAuthError::unauthorized_client(
                "only confidential clients may introspect",
            )
            .into());
        }
        if let Some(row) = self.accepted_access_token(at, token).await? {
            if row.client_id != caller.id && !caller.settings.resource_server {
                return Ok(json!({"active": false}));
            }
            let mut answer = json!({
                "active": true, "token_type": "Bearer", "scope": row.scope,
                "client_id": row.client_id, "sub": row.sub, "exp": row.expires_at,
                "iat": row.issued_at, "iss": at.url, "aud": row.client_id, "jti": row.jti,
            });
            // A DPoP-bound token says so, and names its key (RFC 9449 §6.2).
            if let Some(jkt) = &row.dpop_jkt {
                answer["token_type"] = json!("DPoP");
                answer["cnf"] = json!({ "jkt": jkt });
            }
            return Ok(answer);
        }
        let hash = self.hasher().hash("refresh_token", token);
        let mut conn = self.store().read().await?;
        if let Some((t, g)) = refresh_tokens::by_hash(&mut conn, &hash).await?
            && g.client_id == caller.id
            && super::tokens::issuer_of(g.issuer.as_deref()) == at.kind
        {
            let (token, grant) = (RefreshFacts::from(&t), GrantFacts::from(&g));
            let exp = status::effective_expiry(&token, &grant).timestamp();
            if status::refresh_status(&token, &grant, self.now()).is_active() {
                return Ok(json!({
                    "active": true, "token_type": "refresh_token", "scope": g.scope,
                    "client_id": g.client_id, "sub": g.sub, "exp": exp, "iat": t.issued_at,
                    "iss": at.url,
                }));
            }
        }
        Ok(json!({"active": false}))
    }

    /// RFC 7009: a refresh token revokes its whole grant; an access token is revoked alone.
    /// Tokens that are unknown or belong to another app are ignored (still a success).
    pub async fn revoke_token(
        &self,
        at: &IssuerSite,
        caller: &ClientRow,
        token: &str,
        hint: Option<&str>,
    ) -> Result<()> {
        if let Some(h) = hint
            && !matches!(h, "access_token" | "refresh_token")
        {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedTokenType,
                "token_type_hint must be access_token or refresh_token",
            )
            .into());
        }
        let now = self.now().timestamp();
        let hash = self.hasher().hash("refresh_token", token);
        // An access token is revocable only if it is one of ours and still accepted.
        let access_jti = self
            .accepted_access_token(at, token)
            .await?
            .filter(|row| row.client_id == caller.id)
            .map(|row| row.jti);
        let caller_id = caller.id.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let who = Actor::named(format!("client:{caller_id}"));
                if let Some((_, g)) = refresh_tokens::by_hash(tx, &hash).await? {
                    if g.client_id == caller_id {
                        grants::revoke(
                            tx,
                            &grants::GrantSelector::Grant(g.id.clone()),
                            now,
                            &who.name,
                            "revoked by the application (RFC 7009)",
                        )
                        .await?;
                        audit::record(
                            tx,
                            now,
                            &who,
                            AuditAction::GrantRevoke,
                            &g.id,
                            json!({"via": "revocation_endpoint"}),
                        )
                        .await?;
                    }
                } else if let Some(jti) = access_jti
                    && access_tokens::revoke(tx, &jti, now).await?
                {
                    audit::record(
                        tx,
                        now,
                        &who,
                        AuditAction::AccessTokenRevoke,
                        &jti,
                        json!({}),
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// OIDC userinfo for an access token issued at `at` (as Bearer, or DPoP-bound with its
    /// proof): the claims its scope covers and those its authorization asked for at userinfo
    /// (`claims` parameter).
    pub async fn userinfo(&self, at: &IssuerSite, token: &dpop::Presented) -> Result<Value> {
        let row = self.check_presented(at, token).await?;
        let scope = Scope::parse(&row.scope).unwrap_or_default();
        if !scope.has_openid() || row.grant_id.is_none() {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "userinfo needs a user's token with the openid scope",
            )
            .into());
        }
        let mut conn = self.store().read().await?;
        let user = users::get(&mut conn, &row.sub)
            .await?
            .ok_or_else(|| OAuthError::new(ErrorCode::InvalidToken, "the user no longer exists"))?;
        let requested = match &row.grant_id {
            Some(g) => {
                let grant = grants::get(&mut conn, g).await?;
                super::tokens::claims_of(grant.as_ref().and_then(|g| g.claims.as_deref()))?
            }
            None => Default::default(),
        };
        drop(conn);
        let client = self.client_cached(&row.client_id).await?.ok_or_else(|| {
            OAuthError::new(ErrorCode::InvalidToken, "the application no longer exists")
        })?;
        let user_claims = self.with_sandbox_samples(&user.sub, user.claims);
        let mut out = claims::release(
            &user_claims,
            &scope,
            &client.settings.custom_claims,
            &requested,
            Target::Userinfo,
        );
        out.insert("sub".into(), Value::String(row.sub));
        Ok(Value::Object(out))
    }
}
