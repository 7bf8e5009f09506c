//! `grant_type=refresh_token`: the chain rules of SPEC §2, decided by
//! [`authdesk_core::refresh::decide`]; the use, the child token, its access token and the
//! audit event written in one unit.

use super::{
    IdTokenInput, Issued, TokenResponse, access_row, http_actor, refresh_row, require_grant,
    run_all,
};
use crate::api::audit::AuditAction;
use crate::api::{ApiError, Authdesk, Result, audit};
use authdesk_core::OAuthError;
use authdesk_core::client::GrantType;
use authdesk_core::refresh::{self, Decision, Rejection};
use authdesk_core::scope::Scope;
use authdesk_core::status::{GrantFacts, RefreshFacts};
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::clients::ClientRow;
use authdesk_store::grants::GrantSelector;
use authdesk_store::refresh_tokens;
use authdesk_store::{Script, grants};
use serde_json::json;

impl Authdesk {
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
        let lifetimes = client.settings.lifetimes;
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
                        &RefreshFacts::from(&token),
                        &GrantFacts::from(&grant),
                        now_dt,
                    );
                    let consume = match decision {
                        Decision::Issue { consume_parent } => consume_parent,
                        Decision::Reject(Rejection::Reused) => {
                            grants::revoke(
                                tx,
                                &GrantSelector::Grant(grant.id.clone()),
                                now,
                                "system",
                                "refresh token reused (possible theft)",
                            )
                            .await?;
                            audit::record(
                                tx,
                                now,
                                &http_actor(),
                                AuditAction::RefreshReuseDetected,
                                &grant.id,
                                json!({"client_id": c.id, "token_id": token.id}),
                            )
                            .await?;
                            return Ok(Err(OAuthError::invalid_grant(
                                Rejection::Reused.describe(),
                            )));
                        }
                        Decision::Reject(r) => {
                            return Ok(Err(OAuthError::invalid_grant(r.describe())));
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
                    let child = refresh_row(
                        fresh.refresh_id,
                        fresh.refresh_hash,
                        &grant.id,
                        Some(token.id.clone()),
                        now,
                        &lifetimes,
                    );
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
                        AuditAction::TokenRefresh,
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
}
