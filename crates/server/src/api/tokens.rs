//! Token issuance and checking: authorization-code exchange, client credentials, refresh (with
//! the chain rules of `authdesk_core::refresh`), mint, introspection, revocation, userinfo.
//!
//! Every state change of a grant happens in one `BEGIN IMMEDIATE` transaction, so concurrent
//! uses of one code or one public-client refresh token are ordered by the database: exactly one
//! wins. JWTs are signed after the commit (a crash in between only loses tokens nobody got).

use super::{audit, Actor, ApiError, Authdesk, Result};
use crate::signing::at_hash;
use authdesk_core::client::{ClientType, GrantType};
use authdesk_core::pkce::CodeChallenge;
use authdesk_core::refresh::{self, Decision, Rejection, TokenState};
use authdesk_core::scope::Scope;
use authdesk_core::{claims, ErrorCode, OAuthError};
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::clients::ClientRow;
use authdesk_store::grants::{self, GrantRow};
use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
use authdesk_store::{codes, users, Conn};

use jsonwebtoken::Validation;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// A token-endpoint success response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    #[ts(type = "number")]
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub id_token: Option<String>,
}

/// Who authorized what: the user, the granted scope, when they logged in, and the nonce
/// the app sent (for the ID token).
#[derive(Clone, Copy)]
struct Authorization<'a> {
    sub: &'a str,
    scope: &'a Scope,
    auth_time: i64,
    nonce: Option<&'a str>,
}

/// Tokens decided inside a transaction, signed after it commits.
struct Pending {
    access: AccessTokenRow,
    access_claims: Value,
    refresh_token: Option<String>,
    id_token: Option<Value>,
}

impl Authdesk {
    fn access_claims(
        &self,
        client: &ClientRow,
        sub: &str,
        scope: &Scope,
        grant_id: Option<&str>,
        refresh_id: Option<&str>,
        now: i64,
    ) -> (AccessTokenRow, Value) {
        let lifetimes = client.settings.lifetimes.resolve().unwrap_or_default();
        let jti = uuid::Uuid::new_v4().to_string();
        let exp = now + lifetimes.access_token;
        let claims = json!({
            "iss": self.issuer(), "sub": sub, "aud": client.id, "client_id": client.id,
            "scope": scope.to_string(), "jti": jti, "iat": now, "exp": exp,
        });
        let row = AccessTokenRow {
            jti,
            client_id: client.id.clone(),
            sub: sub.to_string(),
            grant_id: grant_id.map(String::from),
            refresh_token_id: refresh_id.map(String::from),
            scope: scope.to_string(),
            issued_at: now,
            expires_at: exp,
            revoked_at: None,
        };
        (row, claims)
    }

    async fn id_token_claims(
        &self,
        conn: &mut Conn,
        client: &ClientRow,
        who: &Authorization<'_>,
        now: i64,
    ) -> Result<Option<Value>> {
        let Authorization {
            sub,
            scope,
            auth_time,
            nonce,
        } = *who;
        if !scope.has_openid() {
            return Ok(None);
        }
        let user = users::get(conn, sub)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("the user no longer exists"))?;
        let lifetimes = client.settings.lifetimes.resolve().unwrap_or_default();
        let mut c = claims::release(&user.claims, scope, &client.settings.custom_claims);
        let std_claims = json!({
            "iss": self.issuer(), "sub": sub, "aud": client.id, "azp": client.id,
            "iat": now, "exp": now + lifetimes.id_token, "auth_time": auth_time,
        });
        for (k, v) in std_claims.as_object().expect("object") {
            c.insert(k.clone(), v.clone());
        }
        if let Some(n) = nonce {
            c.insert("nonce".into(), Value::String(n.to_string()));
        }
        Ok(Some(Value::Object(c)))
    }

    /// Starts a grant for a user: the grant row, its first refresh token if the scope asks
    /// for offline access and the app may refresh, and an access token.
    async fn start_grant(
        &self,
        conn: &mut Conn,
        client: &ClientRow,
        who: &Authorization<'_>,
        now: i64,
    ) -> Result<(GrantRow, Pending)> {
        let Authorization {
            sub,
            scope,
            auth_time,
            ..
        } = *who;
        let lifetimes = client.settings.lifetimes.resolve().unwrap_or_default();
        let wants_refresh = scope.has_offline_access()
            && client
                .settings
                .grant_types
                .contains(&GrantType::RefreshToken);
        let grant = GrantRow {
            id: uuid::Uuid::new_v4().to_string(),
            client_id: client.id.clone(),
            sub: sub.to_string(),
            scope: scope.to_string(),
            auth_time,
            created_at: now,
            chain_started_at: wants_refresh.then_some(now),
            chain_ends_at: wants_refresh.then_some(now + lifetimes.chain),
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
        };
        grants::insert(conn, &grant).await?;
        let mut refresh_token = None;
        let mut refresh_id = None;
        if wants_refresh {
            let raw = crate::secret::generate();
            let row = RefreshTokenRow {
                id: uuid::Uuid::new_v4().to_string(),
                grant_id: grant.id.clone(),
                parent_id: None,
                token_hash: self.hasher().hash("refresh_token", &raw),
                issued_at: now,
                expires_at: now + lifetimes.refresh_token,
                consumed_at: None,
                last_used_at: None,
                use_count: 0,
            };
            refresh_tokens::insert(conn, &row).await?;
            refresh_id = Some(row.id);
            refresh_token = Some(raw);
        }
        let (access, access_claims) = self.access_claims(
            client,
            sub,
            scope,
            Some(&grant.id),
            refresh_id.as_deref(),
            now,
        );
        access_tokens::insert(conn, &access).await?;
        let id_token = self.id_token_claims(conn, client, who, now).await?;
        Ok((
            grant,
            Pending {
                access,
                access_claims,
                refresh_token,
                id_token,
            },
        ))
    }

    fn sign(&self, p: Pending) -> TokenResponse {
        let key = self.signing_key();
        let access_token = key.sign("at+jwt", &p.access_claims);
        let id_token = p.id_token.map(|mut c| {
            c["at_hash"] = Value::String(at_hash(&access_token));
            key.sign("JWT", &c)
        });
        TokenResponse {
            expires_in: p.access.expires_at - p.access.issued_at,
            scope: p.access.scope.clone(),
            access_token,
            token_type: "Bearer".into(),
            refresh_token: p.refresh_token,
            id_token,
        }
    }

    /// `grant_type=authorization_code`.
    pub async fn exchange_code(
        &self,
        client: &ClientRow,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<TokenResponse> {
        require_grant(client, GrantType::AuthorizationCode)?;
        let now = self.now().timestamp();
        let hash = self.hasher().hash("code", code);
        let mut tx = self.store().write().await?;
        let Some(row) = codes::get(&mut tx, &hash).await? else {
            return Err(OAuthError::invalid_grant("the authorization code is invalid").into());
        };
        if row.used_at.is_some() {
            // Replay: the code leaked. Revoke whatever it produced (RFC 6749 §4.1.2).
            let f = grants::Filter {
                grant_id: row.grant_id.clone(),
                ..Default::default()
            };
            if row.grant_id.is_some() {
                grants::revoke(&mut tx, &f, now, "system", "authorization code replayed").await?;
            }
            audit::record(
                &mut tx,
                now,
                &Actor("http".into()),
                "code.replayed",
                row.grant_id.as_deref().unwrap_or(&row.client_id),
                json!({"client_id": client.id}),
            )
            .await?;
            authdesk_store::commit(tx).await?;
            return Err(
                OAuthError::invalid_grant("the authorization code was already used").into(),
            );
        }
        // From here on the code is burnt whatever happens: a wrong guess cannot be retried.
        let problem = if row.client_id != client.id {
            Some("the authorization code was issued to another client")
        } else if now >= row.expires_at {
            Some("the authorization code has expired")
        } else if redirect_uri != Some(row.redirect_uri.as_str()) {
            Some("redirect_uri does not match the authorization request")
        } else {
            match (&row.code_challenge, verifier) {
                (Some(c), Some(v)) if CodeChallenge::from_stored(c.clone()).verify(v) => None,
                (Some(_), Some(_)) => Some("code_verifier does not match the code_challenge"),
                (Some(_), None) => Some("code_verifier is required"),
                (None, Some(_)) => {
                    Some("code_verifier given but the authorization request had no code_challenge")
                }
                (None, None) => None,
            }
        };
        if let Some(why) = problem {
            codes::mark_used(&mut tx, &hash, now, None).await?;
            authdesk_store::commit(tx).await?;
            return Err(OAuthError::invalid_grant(why).into());
        }
        let scope = Scope::parse(&row.scope).map_err(ApiError::Internal)?;
        let (grant, pending) = self
            .start_grant(
                &mut tx,
                client,
                &Authorization {
                    sub: &row.sub,
                    scope: &scope,
                    auth_time: row.auth_time,
                    nonce: row.nonce.as_deref(),
                },
                now,
            )
            .await?;
        codes::mark_used(&mut tx, &hash, now, Some(&grant.id)).await?;
        audit::record(&mut tx, now, &Actor("http".into()), "token.issue", &grant.id, json!({"grant_type": "authorization_code", "client_id": client.id, "sub": row.sub, "refresh_token": pending.refresh_token.is_some()})).await?;
        authdesk_store::commit(tx).await?;
        Ok(self.sign(pending))
    }

    /// `grant_type=client_credentials`: a token for the app itself (`sub` = client id).
    pub async fn client_credentials(
        &self,
        client: &ClientRow,
        scope: Option<&str>,
    ) -> Result<TokenResponse> {
        if client.settings.client_type != ClientType::Confidential
            || !client
                .settings
                .grant_types
                .contains(&GrantType::ClientCredentials)
        {
            return Err(OAuthError::unauthorized_client(
                "this application may not use client_credentials",
            )
            .into());
        }
        let allowed = client.settings.scopes.without_user_scopes();
        let scope = match scope {
            None => allowed.clone(),
            Some(s) => {
                let s = Scope::parse(s).map_err(OAuthError::invalid_scope)?;
                let extra = s.not_in(&allowed);
                if !extra.is_empty() {
                    return Err(OAuthError::invalid_scope(format!(
                        "not allowed for this application: {}",
                        extra.join(" ")
                    ))
                    .into());
                }
                s
            }
        };
        let now = self.now().timestamp();
        let (access, access_claims) =
            self.access_claims(client, &client.id, &scope, None, None, now);
        let mut tx = self.store().write().await?;
        access_tokens::insert(&mut tx, &access).await?;
        authdesk_store::commit(tx).await?;
        Ok(self.sign(Pending {
            access,
            access_claims,
            refresh_token: None,
            id_token: None,
        }))
    }

    /// `grant_type=refresh_token`, by the chain rules of SPEC §2.
    pub async fn refresh(
        &self,
        client: &ClientRow,
        raw: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse> {
        require_grant(client, GrantType::RefreshToken)?;
        let requested = scope
            .map(|s| Scope::parse(s).map_err(OAuthError::invalid_scope))
            .transpose()?;
        let now_dt = self.now();
        let now = now_dt.timestamp();
        let hash = self.hasher().hash("refresh_token", raw);
        let mut tx = self.store().write().await?;
        let Some((token, grant)) = refresh_tokens::by_hash(&mut tx, &hash).await? else {
            return Err(OAuthError::invalid_grant("the refresh token is invalid").into());
        };
        if grant.client_id != client.id {
            return Err(OAuthError::invalid_grant("the refresh token is invalid").into());
        }
        let lifetimes = client.settings.lifetimes.resolve().unwrap_or_default();
        let chain_ends = grant
            .chain_ends_at
            .unwrap_or(token.issued_at + lifetimes.chain);
        let state = TokenState {
            client_type: client.settings.client_type,
            expires_at: super::clients::ts(token.expires_at),
            chain_ends_at: super::clients::ts(chain_ends),
            consumed_at: token.consumed_at.map(super::clients::ts),
            revoked: grant.revoked_at.is_some(),
        };
        let consume = match refresh::decide(&state, now_dt) {
            Decision::Issue { consume_parent } => consume_parent,
            Decision::Reject(Rejection::Reused) => {
                grants::revoke(
                    &mut tx,
                    &grants::Filter {
                        grant_id: Some(grant.id.clone()),
                        ..Default::default()
                    },
                    now,
                    "system",
                    "refresh token reused (possible theft)",
                )
                .await?;
                audit::record(
                    &mut tx,
                    now,
                    &Actor("http".into()),
                    "refresh.reuse_detected",
                    &grant.id,
                    json!({"client_id": client.id, "token_id": token.id}),
                )
                .await?;
                authdesk_store::commit(tx).await?;
                return Err(OAuthError::invalid_grant(Rejection::Reused.describe()).into());
            }
            Decision::Reject(r) => return Err(OAuthError::invalid_grant(r.describe()).into()),
        };
        let grant_scope = Scope::parse(&grant.scope).map_err(ApiError::Internal)?;
        let scope = match requested {
            Some(s) if !s.is_empty() => {
                if !s.is_subset_of(&grant_scope) {
                    return Err(OAuthError::invalid_scope(
                        "the requested scope exceeds the original grant",
                    )
                    .into());
                }
                s
            }
            _ => grant_scope.clone(),
        };
        if !refresh_tokens::record_use(&mut tx, &token.id, now, consume).await? {
            return Err(OAuthError::invalid_grant(Rejection::AlreadyUsed.describe()).into());
        }
        let raw_child = crate::secret::generate();
        let child = RefreshTokenRow {
            id: uuid::Uuid::new_v4().to_string(),
            grant_id: grant.id.clone(),
            parent_id: Some(token.id.clone()),
            token_hash: self.hasher().hash("refresh_token", &raw_child),
            issued_at: now,
            expires_at: now + lifetimes.refresh_token,
            consumed_at: None,
            last_used_at: None,
            use_count: 0,
        };
        refresh_tokens::insert(&mut tx, &child).await?;
        let (access, access_claims) = self.access_claims(
            client,
            &grant.sub,
            &scope,
            Some(&grant.id),
            Some(&child.id),
            now,
        );
        access_tokens::insert(&mut tx, &access).await?;
        let id_token = self
            .id_token_claims(
                &mut tx,
                client,
                &Authorization {
                    sub: &grant.sub,
                    scope: &scope,
                    auth_time: grant.auth_time,
                    nonce: None,
                },
                now,
            )
            .await?;
        audit::record(
            &mut tx,
            now,
            &Actor("http".into()),
            "token.refresh",
            &grant.id,
            json!({"client_id": client.id, "parent": token.id, "child": child.id}),
        )
        .await?;
        authdesk_store::commit(tx).await?;
        Ok(self.sign(Pending {
            access,
            access_claims,
            refresh_token: Some(raw_child),
            id_token,
        }))
    }

    /// Sandbox only: issues tokens for an app (and a user) without a browser. With a user it
    /// behaves like a code exchange (a new grant); without, like client credentials.
    pub async fn mint(
        &self,
        client_id: &str,
        sub: Option<&str>,
        scope: &str,
        actor: &Actor,
    ) -> Result<TokenResponse> {
        self.require_sandbox("mint")?;
        let client = self.client_row(client_id).await?;
        if !client.enabled {
            return Err(ApiError::Refused(format!(
                "application {client_id} is disabled"
            )));
        }
        let Some(sub) = sub else {
            let r = self.client_credentials(&client, Some(scope)).await?;
            return Ok(r);
        };
        let scope = Scope::parse(scope).map_err(|e| ApiError::invalid("scope", e))?;
        let extra = scope.not_in(&client.settings.scopes);
        if !extra.is_empty() {
            return Err(ApiError::invalid(
                "scope",
                format!("not allowed for this application: {}", extra.join(" ")),
            ));
        }
        let now = self.now().timestamp();
        let mut tx = self.store().write().await?;
        if users::get(&mut tx, sub).await?.is_none() {
            return Err(ApiError::NotFound(format!("no user with sub {sub}")));
        }
        let (grant, pending) = self
            .start_grant(
                &mut tx,
                &client,
                &Authorization {
                    sub,
                    scope: &scope,
                    auth_time: now,
                    nonce: None,
                },
                now,
            )
            .await?;
        audit::record(
            &mut tx,
            now,
            actor,
            "token.mint",
            &grant.id,
            json!({"client_id": client.id, "sub": sub}),
        )
        .await?;
        authdesk_store::commit(tx).await?;
        Ok(self.sign(pending))
    }

    /// Verifies a JWT access token: signature by one of our keys, `typ`, issuer, expiry by the
    /// sandbox clock, and that neither it nor its grant was revoked nor its app disabled.
    pub async fn check_access_token(
        &self,
        token: &str,
    ) -> std::result::Result<(Map<String, Value>, AccessTokenRow), String> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "not a JWT".to_string())?;
        if header.typ.as_deref() != Some("at+jwt") {
            return Err("not an access token (typ is not at+jwt)".into());
        }
        let kid = header.kid.ok_or("no kid in the header")?;
        let key = self
            .verifying_keys()
            .into_iter()
            .find(|k| k.kid == kid)
            .ok_or("signed by an unknown key")?;
        if header.alg != key.alg.jwt() {
            return Err("algorithm does not match the key".into());
        }
        let mut v = Validation::new(key.alg.jwt());
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &v)
            .map_err(|_| "signature invalid".to_string())?;
        let c = data.claims;
        if c.get("iss").and_then(Value::as_str) != Some(self.issuer().as_str()) {
            return Err("issued by another issuer".into());
        }
        let exp = c.get("exp").and_then(Value::as_i64).ok_or("no exp")?;
        if self.now().timestamp() >= exp {
            return Err("expired".into());
        }
        let jti = c.get("jti").and_then(Value::as_str).ok_or("no jti")?;
        let mut conn = self.store().conn().await.map_err(|e| e.to_string())?;
        let row = access_tokens::get(&mut conn, jti)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("unknown token")?;
        if row.revoked_at.is_some() {
            return Err("revoked".into());
        }
        if let Some(g) = &row.grant_id {
            let grant = grants::get(&mut conn, g).await.map_err(|e| e.to_string())?;
            if grant.is_none_or(|g| g.revoked_at.is_some()) {
                return Err("its grant was revoked".into());
            }
        }
        let client = authdesk_store::clients::get(&mut conn, &row.client_id)
            .await
            .map_err(|e| e.to_string())?;
        if !client.is_some_and(|c| c.enabled) {
            return Err("its application is disabled or deleted".into());
        }
        Ok((c, row))
    }

    /// RFC 7662. Any authenticated confidential client may introspect access tokens; refresh
    /// tokens only by the app they were issued to.
    pub async fn introspect(&self, caller: &ClientRow, token: &str) -> Result<Value> {
        if caller.settings.client_type != ClientType::Confidential {
            return Err(OAuthError::unauthorized_client(
                "only confidential clients may introspect",
            )
            .into());
        }
        if let Ok((c, _)) = self.check_access_token(token).await {
            let mut out = json!({"active": true, "token_type": "Bearer"});
            for k in [
                "scope",
                "client_id",
                "sub",
                "exp",
                "iat",
                "iss",
                "aud",
                "jti",
            ] {
                if let Some(v) = c.get(k) {
                    out[k] = v.clone();
                }
            }
            return Ok(out);
        }
        let hash = self.hasher().hash("refresh_token", token);
        let mut conn = self.store().conn().await?;
        if let Some((t, g)) = refresh_tokens::by_hash(&mut conn, &hash).await? {
            if g.client_id == caller.id {
                let exp = t.expires_at.min(g.chain_ends_at.unwrap_or(t.expires_at));
                let now = self.now().timestamp();
                let usable = g.revoked_at.is_none() && t.consumed_at.is_none() && now < exp;
                if usable {
                    return Ok(json!({
                        "active": true, "token_type": "refresh_token", "scope": g.scope,
                        "client_id": g.client_id, "sub": g.sub, "exp": exp, "iat": t.issued_at,
                        "iss": self.issuer(),
                    }));
                }
            }
        }
        Ok(json!({"active": false}))
    }

    /// RFC 7009: a refresh token revokes its whole grant; an access token is revoked alone.
    /// Tokens that are unknown or belong to another app are ignored (still a success).
    pub async fn revoke_token(
        &self,
        caller: &ClientRow,
        token: &str,
        hint: Option<&str>,
    ) -> Result<()> {
        if let Some(h) = hint {
            if !matches!(h, "access_token" | "refresh_token") {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedTokenType,
                    "token_type_hint must be access_token or refresh_token",
                )
                .into());
            }
        }
        let now = self.now().timestamp();
        let hash = self.hasher().hash("refresh_token", token);
        let mut tx = self.store().write().await?;
        if let Some((_, g)) = refresh_tokens::by_hash(&mut tx, &hash).await? {
            if g.client_id == caller.id {
                let f = grants::Filter {
                    grant_id: Some(g.id.clone()),
                    ..Default::default()
                };
                grants::revoke(
                    &mut tx,
                    &f,
                    now,
                    &format!("client:{}", caller.id),
                    "revoked by the application (RFC 7009)",
                )
                .await?;
                audit::record(
                    &mut tx,
                    now,
                    &Actor(format!("client:{}", caller.id)),
                    "grant.revoke",
                    &g.id,
                    json!({"via": "revocation_endpoint"}),
                )
                .await?;
            }
        } else if let Some(jti) = unverified_claim(token, "jti") {
            if let Some(row) = access_tokens::get(&mut tx, &jti).await? {
                if row.client_id == caller.id && self.check_access_token(token).await.is_ok() {
                    access_tokens::revoke(&mut tx, &jti, now).await?;
                    audit::record(
                        &mut tx,
                        now,
                        &Actor(format!("client:{}", caller.id)),
                        "access_token.revoke",
                        &jti,
                        json!({}),
                    )
                    .await?;
                }
            }
        }
        authdesk_store::commit(tx).await?;
        Ok(())
    }

    /// OIDC userinfo for a bearer access token.
    pub async fn userinfo(&self, token: &str) -> Result<Value> {
        let (c, row) = self.check_access_token(token).await.map_err(|why| {
            OAuthError::new(
                ErrorCode::InvalidToken,
                format!("the access token is invalid: {why}"),
            )
        })?;
        let scope =
            Scope::parse(c.get("scope").and_then(Value::as_str).unwrap_or("")).unwrap_or_default();
        if !scope.has_openid() || row.grant_id.is_none() {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "userinfo needs a user's token with the openid scope",
            )
            .into());
        }
        let mut conn = self.store().conn().await?;
        let user = users::get(&mut conn, &row.sub)
            .await?
            .ok_or_else(|| OAuthError::new(ErrorCode::InvalidToken, "the user no longer exists"))?;
        let client = authdesk_store::clients::get(&mut conn, &row.client_id)
            .await?
            .ok_or_else(|| {
                OAuthError::new(ErrorCode::InvalidToken, "the application no longer exists")
            })?;
        let mut out = claims::release(&user.claims, &scope, &client.settings.custom_claims);
        out.insert("sub".into(), Value::String(row.sub));
        Ok(Value::Object(out))
    }
}

/// Refuses a grant type the app is not registered for (RFC 6749 `unauthorized_client`).
fn require_grant(client: &ClientRow, grant: GrantType) -> Result<()> {
    if client.settings.grant_types.contains(&grant) {
        Ok(())
    } else {
        Err(OAuthError::unauthorized_client(format!("this application may not use {grant}")).into())
    }
}

/// A claim of a JWT read without verification (to find the stored record).
pub(crate) fn unverified_claim(jwt: &str, claim: &str) -> Option<String> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get(claim)?.as_str().map(String::from)
}
