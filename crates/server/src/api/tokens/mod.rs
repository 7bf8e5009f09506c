//! Token issuance and checking: authorization-code exchange, client credentials, refresh (with
//! the chain rules of `authdesk_core::refresh`), mint, introspection, revocation, userinfo.
//!
//! Every state change of a grant is one unit of work in the store's writer, so concurrent uses
//! of one code or one public-client refresh token are ordered by the database: exactly one
//! wins. A unit returns `Err` to roll back what it wrote, or `Ok(Err(..))` to keep a decision
//! (a revoked grant, a burnt code) and answer with an error. JWTs are signed after the commit
//! (a crash in between only loses tokens nobody got).

mod code_exchange;
mod refresh_grant;

use super::{Actor, ApiError, Authdesk, IssuerKind, IssuerSite, Result, audit};
use crate::api::audit::AuditAction;
use crate::signing::{SigningKey, at_hash};
use authdesk_core::claims::{ClaimsRequest, Target};
use authdesk_core::client::{AppType, ClientType, GrantType};
use authdesk_core::lifetime::Lifetimes;
use authdesk_core::scope::Scope;
use authdesk_core::site::Endpoint;
use authdesk_core::token_request::{Grant, TokenRequest};
use authdesk_core::{OAuthError, claims, dpop};
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::clients::ClientRow;
use authdesk_store::grants::{self, GrantRow};
use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
use authdesk_store::{Conn, Script, users};

use serde::Serialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

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
/// logged in, the nonce the app sent and the claims it asked for.
struct IdTokenInput {
    user_claims: Map<String, Value>,
    auth_time: i64,
    nonce: Option<String>,
    claims: ClaimsRequest,
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

/// A new refresh token of `grant_id` (a chain's first when `parent_id` is `None`), living the
/// app's refresh-token lifetime from `now`.
fn refresh_row(
    id: String,
    token_hash: Vec<u8>,
    grant_id: &str,
    parent_id: Option<String>,
    now: i64,
    lifetimes: &Lifetimes,
) -> RefreshTokenRow {
    RefreshTokenRow {
        id,
        grant_id: grant_id.to_string(),
        parent_id,
        token_hash,
        issued_at: now,
        expires_at: now + lifetimes.refresh_token,
        consumed_at: None,
        last_used_at: None,
        use_count: 0,
    }
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
    issuer: IssuerKind,
    claims: ClaimsRequest,
    /// The thumbprint of the token request's DPoP key: the access token is bound to it, and
    /// a public client's grant (its refresh tokens) too (RFC 9449 §5).
    dpop_jkt: Option<String>,
}

/// How a code or grant stores its issuer: `None` for the default profile's.
pub(crate) fn stored_issuer(kind: IssuerKind) -> Option<String> {
    (kind != IssuerKind::Main).then(|| kind.as_str().to_string())
}

/// The issuer a stored code or grant names.
pub(crate) fn issuer_of(stored: Option<&str>) -> IssuerKind {
    stored
        .and_then(IssuerKind::parse)
        .unwrap_or(IssuerKind::Main)
}

/// How a code or grant stores a `claims` request: `None` when empty.
pub(crate) fn stored_claims(c: &ClaimsRequest) -> Option<String> {
    (!c.is_empty()).then(|| serde_json::to_string(c).expect("claims serialise"))
}

/// The `claims` request a code or grant stored.
pub(crate) fn claims_of(stored: Option<&str>) -> Result<ClaimsRequest> {
    stored
        .map(serde_json::from_str)
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(|e| ApiError::Internal(format!("a stored claims request: {e}")))
}

/// The record of an access token for `sub` (set `grant_id` and `refresh_token_id` for a user's),
/// bound to the DPoP key `dpop_jkt` if any, which lives as the app's settings say of bound
/// tokens.
fn access_row(
    client: &ClientRow,
    lifetimes: &Lifetimes,
    jti: String,
    (sub, scope): (&str, &Scope),
    now: i64,
    dpop_jkt: Option<String>,
) -> AccessTokenRow {
    AccessTokenRow {
        jti,
        client_id: client.id.clone(),
        sub: sub.to_string(),
        grant_id: None,
        refresh_token_id: None,
        scope: scope.to_string(),
        issued_at: now,
        expires_at: now + lifetimes.access_for(dpop_jkt.is_some()),
        revoked_at: None,
        dpop_jkt,
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
    claims: ClaimsRequest,
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
        claims,
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
        issuer,
        claims,
        dpop_jkt,
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
        issuer: stored_issuer(issuer),
        claims: stored_claims(&claims),
        dpop_jkt: dpop_jkt
            .clone()
            .filter(|_| client.settings.client_type == ClientType::Public),
    };
    grants::insert_into(script, &grant);
    let mut refresh_token = None;
    let mut refresh_id = None;
    if wants_refresh {
        let row = refresh_row(
            fresh.refresh_id,
            fresh.refresh_hash,
            &grant.id,
            None,
            now,
            &lifetimes,
        );
        refresh_tokens::insert_into(script, &row);
        refresh_id = Some(row.id);
        refresh_token = Some(fresh.refresh_raw);
    }
    let access = AccessTokenRow {
        grant_id: Some(grant.id.clone()),
        refresh_token_id: refresh_id,
        ..access_row(
            &client,
            &lifetimes,
            fresh.jti,
            (&sub, &scope),
            now,
            dpop_jkt,
        )
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
    Actor::named("http")
}

impl Authdesk {
    /// The token endpoint's use case: authenticates the client, then serves the grant it asked
    /// for. Returns the client with the answer (the HTTP layer counts issues by app).
    pub async fn token(
        &self,
        at: &IssuerSite,
        request: TokenRequest,
    ) -> Result<(Arc<ClientRow>, TokenResponse)> {
        let client = self
            .client_authenticate_at(&request.client, at, Endpoint::Token)
            .await?;
        let proof = self.token_request_proof(at, &client, request.dpop.as_deref())?;
        let jkt = proof.as_ref().map(|p| p.jkt.as_str());
        // A client-credentials token records its proof's jti in its own unit (one write for
        // both); the other grants remember it first.
        if let Some(p) = &proof
            && !matches!(request.grant, Grant::ClientCredentials { .. })
        {
            self.remember_proof(p).await?;
        }
        let answer = match &request.grant {
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                self.exchange_code(
                    at,
                    &client,
                    code,
                    redirect_uri.as_deref(),
                    code_verifier.as_deref(),
                    jkt,
                )
                .await?
            }
            Grant::ClientCredentials { scope } => {
                self.client_credentials(at, &client, scope.as_deref(), proof.as_ref())
                    .await?
            }
            Grant::RefreshToken {
                refresh_token,
                scope,
            } => {
                self.refresh(at, &client, refresh_token, scope.as_deref(), jkt)
                    .await?
            }
        };
        Ok((client, answer))
    }

    /// The token request's DPoP proof checked (RFC 9449 §4.3) for the token endpoint at `at`
    /// (its `jti` is the caller's to remember), or `None` without a proof — which an app
    /// registered with `dpop_bound_access_tokens` may not send (§5.2).
    fn token_request_proof(
        &self,
        at: &IssuerSite,
        client: &ClientRow,
        proof: Option<&str>,
    ) -> Result<Option<dpop::Proof>> {
        let Some(jwt) = proof else {
            if client.settings.dpop_bound_access_tokens {
                return Err(OAuthError::invalid_dpop_proof(
                    "this application must send a DPoP proof with every token request",
                )
                .into());
            }
            return Ok(None);
        };
        Ok(Some(self.endpoint_proof(at, Endpoint::Token, jwt)?))
    }

    /// A DPoP proof of a POST to one of our endpoints at `at` (the token or PAR endpoint),
    /// checked (RFC 9449 §4.3); its `jti` is still to remember.
    pub(crate) fn endpoint_proof(
        &self,
        at: &IssuerSite,
        endpoint: Endpoint,
        jwt: &str,
    ) -> Result<dpop::Proof> {
        let url = at.url_of(endpoint);
        let proof = dpop::check(
            jwt,
            &dpop::Expected {
                method: "POST",
                url: &url,
                now: self.client_now().timestamp(),
                nonces: &self.dpop_nonces(),
                access_token: None,
            },
        )?;
        Ok(proof)
    }

    /// Remembers a proof's `jti` for its window; a replay is `invalid_dpop_proof`.
    pub(crate) async fn remember_proof(&self, proof: &dpop::Proof) -> Result<()> {
        let now = self.client_now().timestamp();
        let until = dpop::remember_until(proof);
        let (jkt, jti) = (proof.jkt.clone(), proof.jti.clone());
        let fresh = self
            .write(move |tx| {
                Box::pin(async move {
                    Ok(
                        authdesk_store::assertions::remember_proof(tx, &jkt, &jti, until, now)
                            .await?,
                    )
                })
            })
            .await?;
        if !fresh {
            return Err(OAuthError::invalid_dpop_proof(
                "the proof's jti was used already: make a new proof for every request",
            )
            .into());
        }
        Ok(())
    }

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

    /// The key the app's ID tokens are signed with (made now if the registry has none of
    /// its algorithm yet): asked before a unit of work that may issue one, so signing after
    /// the commit cannot fail.
    async fn id_token_key(&self, client: &ClientRow) -> Result<Arc<SigningKey>> {
        self.ensure_key(client.settings.id_token_alg).await
    }

    /// Signs what a unit of work issued at the issuer `at`: the access token with the
    /// registry's key, and the ID token with `id_key` (the app's algorithm) and its `at_hash`.
    fn sign(
        &self,
        at: &IssuerSite,
        client: &ClientRow,
        issued: Issued,
        id_key: Option<&SigningKey>,
    ) -> TokenResponse {
        let key = self.signing_key();
        let issuer = at.url.as_str();
        let a = &issued.access;
        let mut access_claims = json!({
            "iss": issuer, "sub": a.sub, "aud": client.id, "client_id": client.id,
            "scope": a.scope, "jti": a.jti, "iat": a.issued_at, "exp": a.expires_at,
        });
        if let Some(jkt) = &a.dpop_jkt {
            access_claims["cnf"] = json!({ "jkt": jkt });
        }
        let access_token = key.sign("at+jwt", &access_claims);
        let id_token = issued.id_token.map(|input| {
            let lifetimes = client.settings.lifetimes;
            let scope = Scope::parse(&a.scope).unwrap_or_default();
            let user_claims = self.with_sandbox_samples(&a.sub, input.user_claims);
            let mut c = claims::release(
                &user_claims,
                &scope,
                &client.settings.custom_claims,
                &input.claims,
                Target::IdToken,
            );
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
            id_key.unwrap_or(&key).sign("JWT", &Value::Object(c))
        });
        TokenResponse {
            expires_in: a.expires_at - a.issued_at,
            scope: a.scope.clone(),
            access_token,
            token_type: if a.dpop_jkt.is_some() {
                "DPoP"
            } else {
                "Bearer"
            }
            .into(),
            refresh_token: issued.refresh_token,
            id_token,
        }
    }

    /// `grant_type=client_credentials` (bound to the DPoP key `dpop_jkt` if the request proved
    /// one): a token for the app itself (`sub` = client id), or a
    /// service account's token for its associated user (`sub` = the user, `client_id` = the
    /// app; `openid` may be asked for, and no ID token comes without a login).
    pub async fn client_credentials(
        &self,
        at: &IssuerSite,
        client: &ClientRow,
        scope: Option<&str>,
        proof: Option<&dpop::Proof>,
    ) -> Result<TokenResponse> {
        self.client_credentials_bound(at, client, scope, proof.map(|p| p.jkt.as_str()), proof)
            .await
    }

    /// [`Self::client_credentials`], the token bound to `dpop_jkt` (the Sandbox's mint binds to
    /// a key it made, with no proof); `proof`'s `jti` is recorded in the token's own unit, and
    /// a replay fails it with nothing written.
    async fn client_credentials_bound(
        &self,
        at: &IssuerSite,
        client: &ClientRow,
        scope: Option<&str>,
        dpop_jkt: Option<&str>,
        proof: Option<&dpop::Proof>,
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
        let service_account = client.settings.app_type == AppType::ServiceAccount;
        let allowed = if service_account {
            client.settings.scopes.clone()
        } else {
            client.settings.scopes.without_user_scopes()
        };
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
        let sub = match (&client.settings.associated_user, service_account) {
            (Some(user), true) => {
                let mut conn = self.store().read().await?;
                if users::get(&mut conn, user).await?.is_none() {
                    return Err(OAuthError::unauthorized_client(
                        "this service account's associated user no longer exists",
                    )
                    .into());
                }
                user.clone()
            }
            _ => client.id.clone(),
        };
        let now = self.now().timestamp();
        let lifetimes = client.settings.lifetimes;
        let jti = row_id();
        let access = access_row(
            client,
            &lifetimes,
            jti,
            (&sub, &scope),
            now,
            dpop_jkt.map(String::from),
        );
        let mut script = Script::new();
        access_tokens::insert_into(&mut script, &access);
        if let Some(p) = proof {
            authdesk_store::assertions::remember_proof_into(
                &mut script,
                &p.jkt,
                &p.jti,
                dpop::remember_until(p),
                self.client_now().timestamp(),
            );
        }
        // Everything this token says is known before the write, so it is signed first and the
        // signing overlaps the commits of other requests; it leaves only after its commit.
        let response = self.sign(
            at,
            client,
            Issued {
                access,
                refresh_token: None,
                id_token: None,
            },
            None,
        );
        match self.store.append(script).await {
            Err(authdesk_store::StoreError::Missed(_)) if proof.is_some() => Err(replayed().into()),
            other => other.map(|()| response).map_err(Into::into),
        }
    }

    /// Sandbox only: issues tokens for an app (and a user) without a browser. With a user it
    /// behaves like a code exchange (a new grant); without, like client credentials. With
    /// `dpop`, the tokens are bound to a P-256 key made for them (RFC 9449), returned with a
    /// ready call of userinfo that proves it.
    pub async fn mint(
        &self,
        client_id: &str,
        sub: Option<&str>,
        scope: &str,
        dpop: bool,
        actor: &Actor,
    ) -> Result<Minted> {
        let key = dpop.then(DpopKey::generate).transpose()?;
        let jkt = key.as_ref().map(|k| k.jkt.clone());
        let tokens = self.mint_bound(client_id, sub, scope, jkt, actor).await?;
        let dpop = match key {
            None => None,
            Some(k) => Some(k.minted(self, &tokens.access_token)?),
        };
        Ok(Minted { tokens, dpop })
    }

    async fn mint_bound(
        &self,
        client_id: &str,
        sub: Option<&str>,
        scope: &str,
        dpop_jkt: Option<String>,
        actor: &Actor,
    ) -> Result<TokenResponse> {
        actor.may(authdesk_core::roles::Power::SandboxTools)?;
        self.require_sandbox("mint")?;
        let client = self.client_row(client_id).await?;
        if !client.enabled {
            return Err(ApiError::Refused(format!(
                "application {client_id} is disabled"
            )));
        }
        let site = self.site();
        let at = site.primary();
        let Some(sub) = sub else {
            let r = self
                .client_credentials_bound(at, &client, Some(scope), dpop_jkt.as_deref(), None)
                .await?;
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
            lifetimes: client.settings.lifetimes,
            client: client.clone(),
            sub: sub.to_string(),
            scope,
            auth_time: now,
            now,
            fresh: self.fresh(),
            issuer: at.kind,
            claims: ClaimsRequest::default(),
            dpop_jkt,
        };
        let id_key = self.id_token_key(&client).await?;
        let actor = actor.clone();
        let issued = self
            .write(move |tx| {
                Box::pin(async move {
                    if users::get(tx, &new.sub).await?.is_none() {
                        return Err(ApiError::NotFound(format!("no user with sub {}", new.sub)));
                    }
                    let (sub, client_id) = (new.sub.clone(), new.client.id.clone());
                    let id_token = id_token_input(
                        tx,
                        &new.sub,
                        &new.scope,
                        new.auth_time,
                        None,
                        ClaimsRequest::default(),
                    )
                    .await?;
                    let mut script = Script::new();
                    let (grant, issued) = plan_grant(&mut script, new, id_token);
                    audit::record_into(
                        &mut script,
                        now,
                        &actor,
                        AuditAction::TokenMint,
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
        Ok(self.sign(at, &client, issued, Some(&id_key)))
    }
}

/// A DPoP proof whose `jti` was used before (RFC 9449 §11.1).
fn replayed() -> OAuthError {
    OAuthError::invalid_dpop_proof(
        "the proof's jti was used already: make a new proof for every request",
    )
}

/// What the Sandbox mints: the tokens, and with DPoP the key they are bound to.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Minted {
    #[serde(flatten)]
    #[ts(flatten)]
    pub tokens: TokenResponse,
    pub dpop: Option<MintedKey>,
}

impl std::ops::Deref for Minted {
    type Target = TokenResponse;
    fn deref(&self) -> &TokenResponse {
        &self.tokens
    }
}

/// The DPoP key a minted token is bound to (RFC 9449), made by the Sandbox.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MintedKey {
    /// The key's RFC 7638 thumbprint: the tokens' `cnf.jkt`.
    pub jkt: String,
    /// The key, private part included (a P-256 JWK): the developer's, to sign more proofs
    /// with (a sandbox key, for trying things out only).
    #[ts(type = "Record<string, string>")]
    pub private_jwk: Value,
    /// A `curl` call of userinfo with the access token and a proof of the key: good once,
    /// within a minute.
    pub proof_command: String,
}

/// A P-256 key the Sandbox makes to bind minted tokens to.
struct DpopKey {
    pair: aws_lc_rs::signature::EcdsaKeyPair,
    jwk: Value,
    jkt: String,
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl DpopKey {
    fn generate() -> Result<DpopKey> {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|e| ApiError::Internal(format!("a DPoP key: {e}")))?;
        let point = pair.public_key().as_ref();
        let jwk =
            json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])});
        let jkt = dpop::thumbprint(jwk.as_object().expect("an object"))?;
        Ok(DpopKey { pair, jwk, jkt })
    }

    /// The key as the Sandbox shows it, with a proof for a userinfo call with `access_token`
    /// at the primary issuer, made now by the (sandbox) clock.
    fn minted(&self, app: &Authdesk, access_token: &str) -> Result<MintedKey> {
        use aws_lc_rs::encoding::AsBigEndian;
        let scalar = self
            .pair
            .private_key()
            .as_be_bytes()
            .map_err(|e| ApiError::Internal(format!("a DPoP key: {e}")))?;
        let mut private_jwk = self.jwk.clone();
        private_jwk["d"] = json!(b64(scalar.as_ref()));
        let userinfo = app.site().primary().url_of(Endpoint::Userinfo);
        let ath = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk});
        let claims = json!({
            "jti": row_id(), "htm": "GET", "htu": userinfo,
            "iat": app.client_now().timestamp(), "ath": b64(ath.as_ref()),
        });
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self
            .pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
            .map_err(|e| ApiError::Internal(format!("a DPoP proof: {e}")))?;
        Ok(MintedKey {
            jkt: self.jkt.clone(),
            private_jwk,
            proof_command: format!(
                "curl -s '{userinfo}' -H 'Authorization: DPoP {access_token}' -H 'DPoP: {input}.{}'",
                b64(sig.as_ref())
            ),
        })
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
