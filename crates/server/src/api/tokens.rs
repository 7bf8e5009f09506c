//! Token issuance and checking: authorization-code exchange, client credentials, refresh (with
//! the chain rules of `authdesk_core::refresh`), mint, introspection, revocation, userinfo.
//!
//! Every state change of a grant is one unit of work in the store's writer, so concurrent uses
//! of one code or one public-client refresh token are ordered by the database: exactly one
//! wins. A unit returns `Err` to roll back what it wrote, or `Ok(Err(..))` to keep a decision
//! (a revoked grant, a burnt code) and answer with an error. JWTs are signed after the commit
//! (a crash in between only loses tokens nobody got).

use super::{audit, Actor, ApiError, Authdesk, Result};
use crate::signing::at_hash;
use authdesk_core::client::{ClientType, GrantType};
use authdesk_core::lifetime::Lifetimes;
use authdesk_core::pkce::CodeChallenge;
use authdesk_core::refresh::{self, Decision, Rejection};
use authdesk_core::scope::Scope;
use authdesk_core::status;
use authdesk_core::{claims, ErrorCode, OAuthError};
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::clients::ClientRow;
use authdesk_store::grants::{self, GrantRow};
use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
use authdesk_store::{codes, users, Conn, Script};

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

/// What an ID token needs besides the access token: the user's stored claims, when they
/// logged in, and the nonce the app sent.
struct IdTokenInput {
    user_claims: Map<String, Value>,
    auth_time: i64,
    nonce: Option<String>,
}

/// Tokens a unit of work decided to issue (and recorded); signed after the commit.
struct Issued {
    access: AccessTokenRow,
    refresh_token: Option<String>,
    id_token: Option<IdTokenInput>,
}

/// Identifiers and secrets for what a unit of work may create, made before it starts (the
/// writer runs plain data, not the request's state).
#[derive(Clone)]
struct Fresh {
    grant_id: String,
    jti: String,
    refresh_id: String,
    refresh_raw: String,
    refresh_hash: Vec<u8>,
}

/// Everything needed to start a grant for a user inside a unit of work.
#[derive(Clone)]
struct NewGrant {
    client: ClientRow,
    lifetimes: Lifetimes,
    sub: String,
    scope: Scope,
    auth_time: i64,
    now: i64,
    fresh: Fresh,
}

/// The record of an access token for `sub` (set `grant_id` and `refresh_token_id` for a user's).
fn access_row(
    client: &ClientRow,
    lifetimes: &Lifetimes,
    jti: String,
    sub: &str,
    scope: &Scope,
    now: i64,
) -> AccessTokenRow {
    AccessTokenRow {
        jti,
        client_id: client.id.clone(),
        sub: sub.to_string(),
        grant_id: None,
        refresh_token_id: None,
        scope: scope.to_string(),
        issued_at: now,
        expires_at: now + lifetimes.access_token,
        revoked_at: None,
    }
}

/// The user's claims for an ID token when the scope asks for one; `None` otherwise. A user
/// that no longer exists ends the request (the unit is rolled back).
async fn id_token_input(
    conn: &mut Conn,
    sub: &str,
    scope: &Scope,
    auth_time: i64,
    nonce: Option<String>,
) -> Result<Option<IdTokenInput>> {
    if !scope.has_openid() {
        return Ok(None);
    }
    let user = users::get(conn, sub)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the user no longer exists"))?;
    Ok(Some(IdTokenInput {
        user_claims: user.claims,
        auth_time,
        nonce,
    }))
}

/// Adds a new grant for a user to `script`: the grant row, its first refresh token if the
/// scope asks for offline access and the app may refresh, and an access token. Returns what
/// to sign once the script ran and the unit committed.
fn plan_grant(
    script: &mut Script,
    g: NewGrant,
    id_token: Option<IdTokenInput>,
) -> (GrantRow, Issued) {
    let NewGrant {
        client,
        lifetimes,
        sub,
        scope,
        auth_time,
        now,
        fresh,
    } = g;
    let wants_refresh = scope.has_offline_access()
        && client
            .settings
            .grant_types
            .contains(&GrantType::RefreshToken);
    let grant = GrantRow {
        id: fresh.grant_id,
        client_id: client.id.clone(),
        sub: sub.clone(),
        scope: scope.to_string(),
        auth_time,
        created_at: now,
        chain_started_at: wants_refresh.then_some(now),
        chain_ends_at: wants_refresh.then_some(now + lifetimes.chain),
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
    };
    grants::insert_into(script, &grant);
    let mut refresh_token = None;
    let mut refresh_id = None;
    if wants_refresh {
        let row = RefreshTokenRow {
            id: fresh.refresh_id,
            grant_id: grant.id.clone(),
            parent_id: None,
            token_hash: fresh.refresh_hash,
            issued_at: now,
            expires_at: now + lifetimes.refresh_token,
            consumed_at: None,
            last_used_at: None,
            use_count: 0,
        };
        refresh_tokens::insert_into(script, &row);
        refresh_id = Some(row.id);
        refresh_token = Some(fresh.refresh_raw);
    }
    let access = AccessTokenRow {
        grant_id: Some(grant.id.clone()),
        refresh_token_id: refresh_id,
        ..access_row(&client, &lifetimes, fresh.jti, &sub, &scope, now)
    };
    access_tokens::insert_into(script, &access);
    (
        grant,
        Issued {
            access,
            refresh_token,
            id_token,
        },
    )
}

/// Runs a unit's script of writes, each of which changes exactly one row; `Err` (and so a
/// rollback) if one did not, which only a race the unit already ruled out could cause.
async fn run_all(conn: &mut Conn, script: Script, lost: impl FnOnce() -> ApiError) -> Result<()> {
    let expected = script.len();
    if script.run(conn).await? == expected {
        Ok(())
    } else {
        Err(lost())
    }
}

/// An id for a new grant, token or jti: a UUIDv7, time-ordered so that rows issued together
/// share index pages (a random v4 id dirties one page per row in every commit). The time part
/// serves only locality; the rules take time from the clock.
fn row_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn http_actor() -> Actor {
    Actor("http".into())
}

fn one_grant(id: &str) -> grants::Filter {
    grants::Filter {
        grant_id: Some(id.to_string()),
        ..Default::default()
    }
}

impl Authdesk {
    fn fresh(&self) -> Fresh {
        let refresh_raw = crate::secret::generate();
        Fresh {
            grant_id: row_id(),
            jti: row_id(),
            refresh_id: row_id(),
            refresh_hash: self.hasher().hash("refresh_token", &refresh_raw),
            refresh_raw,
        }
    }

    /// Signs what a unit of work issued: the access token, and the ID token with its `at_hash`.
    fn sign(&self, client: &ClientRow, issued: Issued) -> TokenResponse {
        let key = self.signing_key();
        let issuer = self.issuer();
        let a = &issued.access;
        let access_claims = json!({
            "iss": issuer, "sub": a.sub, "aud": client.id, "client_id": client.id,
            "scope": a.scope, "jti": a.jti, "iat": a.issued_at, "exp": a.expires_at,
        });
        let access_token = key.sign("at+jwt", &access_claims);
        let id_token = issued.id_token.map(|input| {
            let lifetimes = client.settings.lifetimes.resolve().unwrap_or_default();
            let scope = Scope::parse(&a.scope).unwrap_or_default();
            let mut c = claims::release(&input.user_claims, &scope, &client.settings.custom_claims);
            let std_claims = json!({
                "iss": issuer, "sub": a.sub, "aud": client.id, "azp": client.id,
                "iat": a.issued_at, "exp": a.issued_at + lifetimes.id_token,
                "auth_time": input.auth_time, "at_hash": at_hash(&access_token),
            });
            for (k, v) in std_claims.as_object().expect("object") {
                c.insert(k.clone(), v.clone());
            }
            if let Some(n) = input.nonce {
                c.insert("nonce".into(), Value::String(n));
            }
            key.sign("JWT", &Value::Object(c))
        });
        TokenResponse {
            expires_in: a.expires_at - a.issued_at,
            scope: a.scope.clone(),
            access_token,
            token_type: "Bearer".into(),
            refresh_token: issued.refresh_token,
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
        let redirect_uri = redirect_uri.map(String::from);
        let verifier = verifier.map(String::from);
        let lifetimes = client.settings.lifetimes.resolve().unwrap_or_default();
        let fresh = self.fresh();
        let c = client.clone();
        let issued = self
            .write(move |tx| {
                Box::pin(async move {
                    let Some(row) = codes::get(tx, &hash).await? else {
                        return Ok(Err(OAuthError::invalid_grant(
                            "the authorization code is invalid",
                        )));
                    };
                    if row.client_id != c.id {
                        // Another client's code: refused without touching it, so neither a
                        // replay by another client nor a guess can burn the code or revoke
                        // its owner's grant.
                        return Ok(Err(OAuthError::invalid_grant(
                            "the authorization code was issued to another client",
                        )));
                    }
                    if row.used_at.is_some() {
                        // Replay by the code's own client: the code leaked. Revoke whatever it produced (RFC 6749 §4.1.2).
                        if let Some(g) = &row.grant_id {
                            grants::revoke(tx, &one_grant(g), now, "system", "authorization code replayed")
                                .await?;
                        }
                        audit::record(
                            tx,
                            now,
                            &http_actor(),
                            "code.replayed",
                            row.grant_id.as_deref().unwrap_or(&row.client_id),
                            json!({"client_id": c.id}),
                        )
                        .await?;
                        return Ok(Err(OAuthError::invalid_grant(
                            "the authorization code was already used",
                        )));
                    }
                    // From here on the code is burnt whatever happens: a wrong guess cannot be retried.
                    let problem = if now >= row.expires_at {
                        Some("the authorization code has expired")
                    } else if redirect_uri.as_deref() != Some(row.redirect_uri.as_str()) {
                        Some("redirect_uri does not match the authorization request")
                    } else {
                        match (&row.code_challenge, verifier.as_deref()) {
                            (Some(ch), Some(v)) if CodeChallenge::from_stored(ch.clone()).verify(v) => None,
                            (Some(_), Some(_)) => Some("code_verifier does not match the code_challenge"),
                            (Some(_), None) => Some("code_verifier is required"),
                            (None, Some(_)) => Some(
                                "code_verifier given but the authorization request had no code_challenge",
                            ),
                            (None, None) => None,
                        }
                    };
                    if let Some(why) = problem {
                        codes::mark_used(tx, &hash, now, None).await?;
                        return Ok(Err(OAuthError::invalid_grant(why)));
                    }
                    let scope = Scope::parse(&row.scope).map_err(ApiError::Internal)?;
                    let id_token = id_token_input(
                        tx,
                        &row.sub,
                        &scope,
                        row.auth_time,
                        row.nonce.clone(),
                    )
                    .await?;
                    let mut script = Script::new();
                    let (grant, issued) = plan_grant(
                        &mut script,
                        NewGrant {
                            client: c.clone(),
                            lifetimes,
                            sub: row.sub.clone(),
                            scope,
                            auth_time: row.auth_time,
                            now,
                            fresh,
                        },
                        id_token,
                    );
                    codes::mark_used_into(&mut script, &hash, now, Some(&grant.id));
                    audit::record_into(
                        &mut script,
                        now,
                        &http_actor(),
                        "token.issue",
                        &grant.id,
                        json!({"grant_type": "authorization_code", "client_id": c.id, "sub": row.sub,
                               "refresh_token": issued.refresh_token.is_some()}),
                    );
                    run_all(tx, script, || {
                        OAuthError::invalid_grant("the authorization code was already used").into()
                    })
                    .await?;
                    Ok(Ok(issued))
                })
            })
            .await??;
        Ok(self.sign(client, issued))
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
        let lifetimes = client.settings.lifetimes.resolve().unwrap_or_default();
        let jti = row_id();
        let access = access_row(client, &lifetimes, jti, &client.id, &scope, now);
        let mut script = Script::new();
        access_tokens::insert_into(&mut script, &access);
        // Everything this token says is known before the write, so it is signed first and the
        // signing overlaps the commits of other requests; it leaves only after its commit.
        let response = self.sign(
            client,
            Issued {
                access,
                refresh_token: None,
                id_token: None,
            },
        );
        self.append(script).await?;
        Ok(response)
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
        let lifetimes = client.settings.lifetimes.resolve().unwrap_or_default();
        let fresh = self.fresh();
        let c = client.clone();
        let issued = self
            .write(move |tx| {
                Box::pin(async move {
                    let invalid = || {
                        Ok(Err(OAuthError::invalid_grant(
                            "the refresh token is invalid",
                        )))
                    };
                    let Some((token, grant, user_claims)) =
                        refresh_tokens::for_refresh(tx, &hash).await?
                    else {
                        return invalid();
                    };
                    if grant.client_id != c.id {
                        return invalid();
                    }
                    // A grant outlives its user only if the delete predates revoking grants
                    // with the user; its tokens die with the user all the same.
                    let Some(user_claims) = user_claims else {
                        return Ok(Err(OAuthError::invalid_grant("the user no longer exists")));
                    };
                    let decision = refresh::decide(
                        c.settings.client_type,
                        &token.facts(),
                        &grant.facts(),
                        now_dt,
                    );
                    let consume = match decision {
                        Decision::Issue { consume_parent } => consume_parent,
                        Decision::Reject(Rejection::Reused) => {
                            grants::revoke(
                                tx,
                                &one_grant(&grant.id),
                                now,
                                "system",
                                "refresh token reused (possible theft)",
                            )
                            .await?;
                            audit::record(
                                tx,
                                now,
                                &http_actor(),
                                "refresh.reuse_detected",
                                &grant.id,
                                json!({"client_id": c.id, "token_id": token.id}),
                            )
                            .await?;
                            return Ok(Err(OAuthError::invalid_grant(
                                Rejection::Reused.describe(),
                            )));
                        }
                        Decision::Reject(r) => {
                            return Ok(Err(OAuthError::invalid_grant(r.describe())))
                        }
                    };
                    let grant_scope = Scope::parse(&grant.scope).map_err(ApiError::Internal)?;
                    let scope = match requested {
                        Some(s) if !s.is_empty() => {
                            if !s.is_subset_of(&grant_scope) {
                                return Ok(Err(OAuthError::invalid_scope(
                                    "the requested scope exceeds the original grant",
                                )));
                            }
                            s
                        }
                        _ => grant_scope.clone(),
                    };
                    let id_token = if scope.has_openid() {
                        Some(IdTokenInput {
                            user_claims,
                            auth_time: grant.auth_time,
                            nonce: None,
                        })
                    } else {
                        None
                    };
                    let child = RefreshTokenRow {
                        id: fresh.refresh_id,
                        grant_id: grant.id.clone(),
                        parent_id: Some(token.id.clone()),
                        token_hash: fresh.refresh_hash,
                        issued_at: now,
                        expires_at: now + lifetimes.refresh_token,
                        consumed_at: None,
                        last_used_at: None,
                        use_count: 0,
                    };
                    let access = AccessTokenRow {
                        grant_id: Some(grant.id.clone()),
                        refresh_token_id: Some(child.id.clone()),
                        ..access_row(&c, &lifetimes, fresh.jti, &grant.sub, &scope, now)
                    };
                    // The use, the new token, its access token and the audit event: one round
                    // trip. A rotation that lost (the token was consumed meanwhile) changes no
                    // row and undoes the rest.
                    let mut script = Script::new();
                    refresh_tokens::record_use_into(&mut script, &token.id, now, consume);
                    refresh_tokens::insert_into(&mut script, &child);
                    access_tokens::insert_into(&mut script, &access);
                    audit::record_into(
                        &mut script,
                        now,
                        &http_actor(),
                        "token.refresh",
                        &grant.id,
                        json!({"client_id": c.id, "parent": token.id, "child": child.id}),
                    );
                    run_all(tx, script, || {
                        OAuthError::invalid_grant(Rejection::AlreadyUsed.describe()).into()
                    })
                    .await?;
                    Ok(Ok(Issued {
                        access,
                        refresh_token: Some(fresh.refresh_raw),
                        id_token,
                    }))
                })
            })
            .await??;
        Ok(self.sign(client, issued))
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
        let new = NewGrant {
            lifetimes: client.settings.lifetimes.resolve().unwrap_or_default(),
            client: client.clone(),
            sub: sub.to_string(),
            scope,
            auth_time: now,
            now,
            fresh: self.fresh(),
        };
        let actor = actor.clone();
        let issued = self
            .write(move |tx| {
                Box::pin(async move {
                    if users::get(tx, &new.sub).await?.is_none() {
                        return Err(ApiError::NotFound(format!("no user with sub {}", new.sub)));
                    }
                    let (sub, client_id) = (new.sub.clone(), new.client.id.clone());
                    let id_token =
                        id_token_input(tx, &new.sub, &new.scope, new.auth_time, None).await?;
                    let mut script = Script::new();
                    let (grant, issued) = plan_grant(&mut script, new, id_token);
                    audit::record_into(
                        &mut script,
                        now,
                        &actor,
                        "token.mint",
                        &grant.id,
                        json!({"client_id": client_id, "sub": sub}),
                    );
                    run_all(tx, script, || {
                        ApiError::Internal("a new grant was not written".into())
                    })
                    .await?;
                    Ok(issued)
                })
            })
            .await?;
        Ok(self.sign(&client, issued))
    }

    /// Verifies a JWT access token: signature by one of our published keys, `typ`, issuer,
    /// expiry by the sandbox clock, that it is the token we issued under its `jti` (its claims
    /// match the stored record), and that neither it nor its grant was revoked, its user
    /// deleted or its app disabled. Returns the stored record: what the token says is answered
    /// from it, never from the presented claims. The outer error is a failure to look (the
    /// store); the inner one says why the token is not accepted.
    pub async fn check_access_token(
        &self,
        token: &str,
    ) -> Result<std::result::Result<AccessTokenRow, String>> {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(h) => h,
            Err(_) => return Ok(Err("not a JWT".into())),
        };
        if header.typ.as_deref() != Some("at+jwt") {
            return Ok(Err("not an access token (typ is not at+jwt)".into()));
        }
        let Some(kid) = header.kid else {
            return Ok(Err("no kid in the header".into()));
        };
        let Some(key) = self.published_key(&kid) else {
            return Ok(Err("signed by an unknown or expired key".into()));
        };
        if header.alg != key.alg.jwt() {
            return Ok(Err("algorithm does not match the key".into()));
        }
        let mut v = Validation::new(key.alg.jwt());
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &v) else {
            return Ok(Err("signature invalid".into()));
        };
        let c = data.claims;
        if c.get("iss").and_then(Value::as_str) != Some(self.issuer().as_str()) {
            return Ok(Err("issued by another issuer".into()));
        }
        let Some(exp) = c.get("exp").and_then(Value::as_i64) else {
            return Ok(Err("no exp".into()));
        };
        if self.now().timestamp() >= exp {
            return Ok(Err("expired".into()));
        }
        let Some(jti) = c.get("jti").and_then(Value::as_str) else {
            return Ok(Err("no jti".into()));
        };
        let found = {
            let mut conn = self.store().read().await?;
            access_tokens::with_grant_state(&mut conn, jti).await?
        };
        let Some((row, grant_live)) = found else {
            return Ok(Err("unknown token".into()));
        };
        let claim = |k: &str| c.get(k).and_then(Value::as_str);
        if claim("sub") != Some(row.sub.as_str())
            || claim("client_id") != Some(row.client_id.as_str())
            || claim("scope") != Some(row.scope.as_str())
            || exp != row.expires_at
        {
            return Ok(Err(
                "its claims do not match the token issued under its jti".into(),
            ));
        }
        if row.revoked_at.is_some() {
            return Ok(Err("revoked".into()));
        }
        if !grant_live {
            return Ok(Err("its grant was revoked or its user deleted".into()));
        }
        let client = self.client_cached(&row.client_id).await?;
        if !client.is_some_and(|c| c.enabled) {
            return Ok(Err("its application is disabled or deleted".into()));
        }
        Ok(Ok(row))
    }

    /// RFC 7662, for authenticated confidential clients: an app learns about its own tokens;
    /// a resource server (a registry flag) also about other apps' access tokens. Anything else
    /// is `active: false`, as for a token that does not exist.
    pub async fn introspect(&self, caller: &ClientRow, token: &str) -> Result<Value> {
        if caller.settings.client_type != ClientType::Confidential {
            return Err(OAuthError::unauthorized_client(
                "only confidential clients may introspect",
            )
            .into());
        }
        if let Ok(row) = self.check_access_token(token).await? {
            if row.client_id != caller.id && !caller.settings.resource_server {
                return Ok(json!({"active": false}));
            }
            return Ok(json!({
                "active": true, "token_type": "Bearer", "scope": row.scope,
                "client_id": row.client_id, "sub": row.sub, "exp": row.expires_at,
                "iat": row.issued_at, "iss": self.issuer(), "aud": row.client_id, "jti": row.jti,
            }));
        }
        let hash = self.hasher().hash("refresh_token", token);
        let mut conn = self.store().read().await?;
        if let Some((t, g)) = refresh_tokens::by_hash(&mut conn, &hash).await? {
            if g.client_id == caller.id {
                let (token, grant) = (t.facts(), g.facts());
                let exp = status::effective_expiry(&token, &grant).timestamp();
                if status::refresh_status(&token, &grant, self.now()).is_active() {
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
        // An access token is revocable only if it is one of ours and still accepted.
        let access_jti = match self.check_access_token(token).await? {
            Ok(row) if row.client_id == caller.id => Some(row.jti),
            _ => None,
        };
        let caller_id = caller.id.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let who = Actor(format!("client:{caller_id}"));
                if let Some((_, g)) = refresh_tokens::by_hash(tx, &hash).await? {
                    if g.client_id == caller_id {
                        grants::revoke(
                            tx,
                            &one_grant(&g.id),
                            now,
                            &who.0,
                            "revoked by the application (RFC 7009)",
                        )
                        .await?;
                        audit::record(
                            tx,
                            now,
                            &who,
                            "grant.revoke",
                            &g.id,
                            json!({"via": "revocation_endpoint"}),
                        )
                        .await?;
                    }
                } else if let Some(jti) = access_jti {
                    if access_tokens::revoke(tx, &jti, now).await? {
                        audit::record(tx, now, &who, "access_token.revoke", &jti, json!({}))
                            .await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// OIDC userinfo for a bearer access token.
    pub async fn userinfo(&self, token: &str) -> Result<Value> {
        let row = self.check_access_token(token).await?.map_err(|why| {
            OAuthError::new(
                ErrorCode::InvalidToken,
                format!("the access token is invalid: {why}"),
            )
        })?;
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
        drop(conn);
        let client = self.client_cached(&row.client_id).await?.ok_or_else(|| {
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
