//! `grant_type=authorization_code`: the exchange decided by [`authdesk_core::code::check`],
//! a new grant written in one unit with the code marked used.

use super::{
    NewGrant, TokenResponse, claims_of, http_actor, id_token_input, issuer_of, plan_grant,
    require_grant, run_all,
};
use crate::api::audit::AuditAction;
use crate::api::{ApiError, Authdesk, IssuerSite, Result, audit};
use authdesk_core::OAuthError;
use authdesk_core::client::GrantType;
use authdesk_core::clock::from_unix;
use authdesk_core::code;
use authdesk_core::scope::Scope;
use authdesk_store::clients::ClientRow;
use authdesk_store::grants::GrantSelector;
use authdesk_store::{Script, codes, grants};
use serde_json::json;

impl Authdesk {
    /// `grant_type=authorization_code` at the issuer `at` (a code issued at another issuer
    /// is refused and burnt, as any failed exchange), bound to the DPoP key `dpop_jkt` if the
    /// request proved one.
    pub async fn exchange_code(
        &self,
        at: &IssuerSite,
        client: &ClientRow,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        dpop_jkt: Option<&str>,
    ) -> Result<TokenResponse> {
        require_grant(client, GrantType::AuthorizationCode)?;
        let now = self.now().timestamp();
        let hash = self.hasher().hash("code", code);
        let redirect_uri = redirect_uri.map(String::from);
        let verifier = verifier.map(String::from);
        let dpop_jkt = dpop_jkt.map(String::from);
        let lifetimes = client.settings.lifetimes;
        let fresh = self.fresh();
        let id_key = self.id_token_key(client).await?;
        let c = client.clone();
        let here = at.kind;
        let issued = self
            .write(move |tx| {
                Box::pin(async move {
                    let Some(row) = codes::get(tx, &hash).await? else {
                        return Ok(Err(OAuthError::invalid_grant(
                            "the authorization code is invalid",
                        )));
                    };
                    if issuer_of(row.issuer.as_deref()) != here {
                        codes::mark_used(tx, &hash, now, None).await?;
                        return Ok(Err(OAuthError::invalid_grant(
                            "the authorization code was issued by another issuer",
                        )));
                    }
                    let issued_code = code::IssuedCode::try_from(&row)?;
                    let presented = code::Presented {
                        client_id: &c.id,
                        redirect_uri: redirect_uri.as_deref(),
                        verifier: verifier.as_deref(),
                    };
                    if let Err(why) = code::check(&issued_code, &presented, from_unix(now)) {
                        if why.revokes_grant() {
                            // The code leaked: revoke whatever it produced.
                            if let Some(g) = &row.grant_id {
                                grants::revoke(tx, &GrantSelector::Grant(g.clone()), now, "system", "authorization code replayed")
                                    .await?;
                            }
                            audit::record(
                                tx,
                                now,
                                &http_actor(),
                                AuditAction::CodeReplayed,
                                row.grant_id.as_deref().unwrap_or(&row.client_id),
                                json!({"client_id": c.id}),
                            )
                            .await?;
                        }
                        if why.burns_code() {
                            codes::mark_used(tx, &hash, now, None).await?;
                        }
                        return Ok(Err(OAuthError::invalid_grant(why.describe())));
                    }
                    // A code asked for with dpop_jkt is exchanged with a proof of that key only
                    // (RFC 9449 §10); like any failed exchange, the code is burnt.
                    if let Some(bound) = &row.dpop_jkt
                        && dpop_jkt.as_ref() != Some(bound)
                    {
                        codes::mark_used(tx, &hash, now, None).await?;
                        return Ok(Err(OAuthError::invalid_grant(
                            "the authorization code is bound to another DPoP key (dpop_jkt): prove that key",
                        )));
                    }
                    let scope = Scope::parse(&row.scope).map_err(ApiError::Internal)?;
                    let claims = claims_of(row.claims.as_deref())?;
                    let id_token = id_token_input(
                        tx,
                        &row.sub,
                        &scope,
                        row.auth_time,
                        row.nonce.clone(),
                        claims.clone(),
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
                            issuer: here,
                            claims,
                            dpop_jkt: dpop_jkt.clone(),
                        },
                        id_token,
                    );
                    codes::mark_used_into(&mut script, &hash, now, Some(&grant.id));
                    audit::record_into(
                        &mut script,
                        now,
                        &http_actor(),
                        AuditAction::TokenIssue,
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
        Ok(self.sign(at, client, issued, Some(&id_key)))
    }
}
