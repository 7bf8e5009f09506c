//! `grant_type=refresh_token`: the chain rules of SPEC §2, decided by
//! [`authdesk_core::refresh::decide`], on the refresh token's facts (`facts::Key::RefreshToken`:
//! the token, its grant, its person), which the store's writer reads for many refreshes at once
//! ([`authdesk_store::Store::decide`]); the use, the child token, its access token and the audit
//! event written in one unit.

use super::{
    Fresh, IdTokenInput, Issued, TokenResponse, access_row, claims_of, http_actor, issuer_of,
    refresh_row, require_grant,
};
use crate::api::audit::AuditAction;
use crate::api::{ApiError, Authdesk, IssuerKind, IssuerSite, Result, audit};
use authdesk_core::OAuthError;
use authdesk_core::client::GrantType;
use authdesk_core::lifetime::Lifetimes;
use authdesk_core::refresh::{self, Decision, Rejection};
use authdesk_core::scope::Scope;
use authdesk_core::status::{GrantFacts, RefreshFacts};
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::clients::ClientRow;
use authdesk_store::facts::{Facts, Key, Writes};
use authdesk_store::grants;
use authdesk_store::refresh_tokens::{self, ForRefresh};
use chrono::{DateTime, Utc};
use serde_json::json;

impl Authdesk {
    /// `grant_type=refresh_token` at the issuer `at`, by the chain rules of SPEC §2 (a
    /// token granted at another issuer is refused); the new access token is bound to the DPoP
    /// key `dpop_jkt` if the request proved one.
    pub async fn refresh(
        &self,
        at: &IssuerSite,
        client: &ClientRow,
        raw: &str,
        scope: Option<&str>,
        dpop_jkt: Option<&str>,
    ) -> Result<TokenResponse> {
        require_grant(client, GrantType::RefreshToken)?;
        let requested = scope
            .map(|s| Scope::parse(s).map_err(OAuthError::invalid_scope))
            .transpose()?;
        let now_dt = self.now();
        let hash = self.hasher().hash("refresh_token", raw);
        let id_key = self.id_token_key(client).await?;
        let asked = Asked {
            client: client.clone(),
            here: at.kind,
            requested,
            now: now_dt,
            lifetimes: client.settings.lifetimes,
            fresh: self.fresh(),
            dpop_jkt: dpop_jkt.map(String::from),
        };
        let issued = self
            .store
            .decide(
                vec![Key::RefreshToken(hash.clone())],
                move |facts: &Facts| decide(facts.refresh_token(&hash), asked),
            )
            .await??;
        Ok(self.sign(at, client, issued, Some(&id_key)))
    }
}

/// What a refresh with the stored facts `found` does, and the writes that record it: the use,
/// the new token, its access token and the audit event — or, for a token used again after its
/// rotation, the grant's revocation and its audit event. A refusal that writes nothing has no
/// writes and the OAuth error.
/// What a refresh request asks, beside the token's stored facts.
#[derive(Clone)]
struct Asked {
    client: ClientRow,
    here: IssuerKind,
    requested: Option<Scope>,
    now: DateTime<Utc>,
    lifetimes: Lifetimes,
    fresh: Fresh,
    /// The thumbprint of the request's DPoP key, if it proved one.
    dpop_jkt: Option<String>,
}

fn decide(
    found: Option<&ForRefresh>,
    asked: Asked,
) -> Result<(Writes, std::result::Result<Issued, OAuthError>)> {
    let Asked {
        client: ref c,
        here,
        ref requested,
        now: now_dt,
        ref lifetimes,
        fresh,
        ref dpop_jkt,
    } = asked;
    let requested = requested.as_ref();
    let dpop_jkt = dpop_jkt.as_deref();
    let now = now_dt.timestamp();
    let refuse = |e: OAuthError| Ok((Writes::none(), Err(e)));
    let Some(ForRefresh {
        token,
        grant,
        user_claims,
    }) = found
    else {
        return refuse(OAuthError::invalid_grant("the refresh token is invalid"));
    };
    if grant.client_id != c.id {
        return refuse(OAuthError::invalid_grant("the refresh token is invalid"));
    }
    if issuer_of(grant.issuer.as_deref()) != here {
        return refuse(OAuthError::invalid_grant(
            "the refresh token was issued by another issuer",
        ));
    }
    // A grant outlives its user only if the delete predates revoking grants with the user;
    // its tokens die with the user all the same.
    let Some(user_claims) = user_claims else {
        return refuse(OAuthError::invalid_grant("the user no longer exists"));
    };
    // A public client's grant started with a DPoP proof: its refresh tokens work with a proof
    // of that key only (RFC 9449 §5).
    if let Some(bound) = &grant.dpop_jkt
        && dpop_jkt != Some(bound.as_str())
    {
        return refuse(OAuthError::invalid_grant(
            "the refresh token is bound to a DPoP key: prove that key",
        ));
    }
    let decision = refresh::decide(
        c.settings.client_type,
        &RefreshFacts::from(token),
        &GrantFacts::from(grant),
        now_dt,
    );
    let consume = match decision {
        Decision::Issue { consume_parent } => consume_parent,
        Decision::Reject(Rejection::Reused) => {
            let mut writes = Writes::none();
            grants::revoke_into(
                &mut writes,
                &grant.id,
                now,
                "system",
                "refresh token reused (possible theft)",
            );
            audit::record_into(
                &mut writes,
                now,
                &http_actor(),
                AuditAction::RefreshReuseDetected,
                &grant.id,
                json!({"client_id": c.id, "token_id": token.id}),
            );
            return Ok((
                writes,
                Err(OAuthError::invalid_grant(Rejection::Reused.describe())),
            ));
        }
        Decision::Reject(r) => return refuse(OAuthError::invalid_grant(r.describe())),
    };
    let grant_scope = Scope::parse(&grant.scope).map_err(ApiError::Internal)?;
    let scope = match requested {
        Some(s) if !s.is_empty() => {
            if !s.is_subset_of(&grant_scope) {
                return refuse(OAuthError::invalid_scope(
                    "the requested scope exceeds the original grant",
                ));
            }
            s.clone()
        }
        _ => grant_scope,
    };
    let id_token = match scope.has_openid() {
        true => Some(IdTokenInput {
            user_claims: user_claims.clone(),
            auth_time: grant.auth_time,
            nonce: None,
            claims: claims_of(grant.claims.as_deref())?,
        }),
        false => None,
    };
    let child = refresh_row(
        fresh.refresh_id,
        fresh.refresh_hash,
        &grant.id,
        Some(token.id.clone()),
        now,
        lifetimes,
    );
    let access = AccessTokenRow {
        grant_id: Some(grant.id.clone()),
        refresh_token_id: Some(child.id.clone()),
        ..access_row(
            c,
            lifetimes,
            fresh.jti,
            (&grant.sub, &scope),
            now,
            dpop_jkt.map(String::from),
        )
    };
    let mut writes = Writes::none();
    refresh_tokens::record_use_into(&mut writes, token, now, consume);
    refresh_tokens::insert_into(&mut writes, &child);
    access_tokens::insert_into(&mut writes, &access);
    audit::record_into(
        &mut writes,
        now,
        &http_actor(),
        AuditAction::TokenRefresh,
        &grant.id,
        json!({"client_id": c.id, "parent": token.id, "child": child.id}),
    );
    Ok((
        writes,
        Ok(Issued {
            access,
            refresh_token: Some(fresh.refresh_raw),
            id_token,
        }),
    ))
}
