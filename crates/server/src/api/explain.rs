//! The sandbox's "explain this token": what a pasted token is, and whether Authdesk would
//! accept it now, and if not, why — in words a developer can act on.

use super::{Authdesk, Check};
use crate::signing::{signature_only, unverified_part};
use authdesk_core::clock::from_unix;
use authdesk_core::dpop;
use authdesk_core::site::Endpoint;
use authdesk_core::status::{self, GrantFacts, RefreshFacts, TokenStatus};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TokenExplanation {
    /// access_token, id_token, refresh_token or unknown.
    pub kind: String,
    pub accepted: bool,
    pub verdict: String,
    /// Each check in order: signature and key, issuer, audience, expiry, revocation.
    pub findings: Vec<String>,
    #[ts(type = "Record<string, unknown> | null")]
    pub header: Option<Value>,
    #[ts(type = "Record<string, unknown> | null")]
    pub claims: Option<Value>,
}

impl Authdesk {
    /// Explains `token`, and with `proof` (the `DPoP` header of a call that failed) what a
    /// server would say of that proof with this token: each check of RFC 9449 §4.3 that
    /// does not pass is a problem, named.
    pub async fn token_explain(
        &self,
        token: &str,
        proof: Option<&str>,
    ) -> super::Result<TokenExplanation> {
        let token = token.trim();
        let proof = proof.map(str::trim).filter(|p| !p.is_empty());
        let now = self.now();
        let mut findings = Vec::new();
        let (header, claims) = (unverified_part(token, 0), unverified_part(token, 1));
        let Some(h) = header
            .clone()
            .filter(|_| token.split('.').count() == 3 && claims.is_some())
        else {
            // Not a JWT: maybe one of our refresh tokens.
            return Ok(match self.grant_find_by_token(token).await {
                Ok(detail) => {
                    let hash = self.hasher().hash("refresh_token", token);
                    let mut conn = self.store().read().await?;
                    let (t, g) = authdesk_store::refresh_tokens::by_hash(&mut conn, &hash)
                        .await?
                        .ok_or_else(|| super::ApiError::NotFound("token".into()))?;
                    let (facts, grant) = (RefreshFacts::from(&t), GrantFacts::from(&g));
                    let eff = status::effective_expiry(&facts, &grant);
                    findings.push(format!(
                        "refresh token of grant {} (app {}, user {})",
                        g.id, g.client_id, g.sub
                    ));
                    findings.push(format!(
                        "issued {}, own expiry {}, effective expiry {eff}",
                        from_unix(t.issued_at),
                        facts.expires_at,
                    ));
                    if let Some(jkt) = &g.dpop_jkt {
                        findings.push(dpop_bound("a refresh needs", jkt));
                    }
                    let mut problems = Vec::new();
                    if let Some(p) = proof {
                        let site = self.site();
                        let token_urls: Vec<String> = site
                            .issuers
                            .iter()
                            .map(|i| i.url_of(Endpoint::Token))
                            .collect();
                        self.explain_proof(
                            p,
                            g.dpop_jkt.as_deref(),
                            &ProofFor::Refresh { token_urls },
                            (&mut findings, &mut problems),
                        )
                        .await?;
                    }
                    let why = match status::refresh_status(&facts, &grant, now) {
                        TokenStatus::Active => None,
                        TokenStatus::Revoked => Some(format!(
                            "its grant was revoked at {} by {} ({})",
                            detail.grant.revoked_at.unwrap_or_default(),
                            detail.grant.revoked_by.clone().unwrap_or_default(),
                            detail.grant.revoke_reason.clone().unwrap_or_default()
                        )),
                        TokenStatus::Consumed => Some("it was already used by a public client (rotation); using it again revokes the grant".into()),
                        TokenStatus::ChainEnded => Some("its chain reached the one-year limit".into()),
                        TokenStatus::Expired => Some("it expired (90 days after it was issued)".into()),
                    };
                    let why = match (why, problems.is_empty()) {
                        (why, true) => why,
                        (None, false) => Some(problems.join("; ")),
                        (Some(why), false) => Some(format!("{why}; {}", problems.join("; "))),
                    };
                    findings.extend(problems);
                    TokenExplanation {
                        kind: "refresh_token".into(),
                        accepted: why.is_none(),
                        verdict: why.unwrap_or_else(|| format!("usable until {eff}")),
                        findings,
                        header: None,
                        claims: None,
                    }
                }
                Err(_) => TokenExplanation {
                    kind: "unknown".into(),
                    accepted: false,
                    verdict: "not a JWT and not a refresh token this data directory issued".into(),
                    findings,
                    header: None,
                    claims: None,
                },
            });
        };
        let c = claims.clone().unwrap_or_default();
        let typ = h["typ"].as_str().unwrap_or("");
        let kind = if typ == "at+jwt" {
            "access_token"
        } else if c.get("nonce").is_some() || c.get("azp").is_some() || c.get("auth_time").is_some()
        {
            "id_token"
        } else {
            "unknown"
        };
        let kid = h["kid"].as_str().unwrap_or("");
        let key = self.verifying_keys().into_iter().find(|k| k.kid == kid);
        let mut problems: Vec<String> = Vec::new();
        if key.is_some() && self.published_key(kid).is_none() {
            problems.push(format!(
                "key {kid} was retired and its publication window ended: it verifies nothing now"
            ));
        }
        match &key {
            None => problems.push(format!(
                "signed with kid '{kid}', which is not one of this issuer's keys"
            )),
            Some(k) => {
                match jsonwebtoken::decode::<Value>(
                    token,
                    &k.decoding,
                    &signature_only(crate::signing::jwt(k.alg)),
                ) {
                    Ok(_) => findings.push(format!(
                        "signature valid: {} key {kid} ({})",
                        k.alg.as_str(),
                        if k.retired_at.is_some() {
                            "retired, still published"
                        } else {
                            "active"
                        }
                    )),
                    Err(_) => problems.push(format!("signature does not verify with key {kid}")),
                }
            }
        }
        let iss = c["iss"].as_str().unwrap_or("");
        let site = self.site();
        if site.by_url(iss).is_some() {
            findings.push(format!("issuer {iss}"));
        } else {
            let ours: Vec<&str> = site.issuers.iter().map(|i| i.url.as_str()).collect();
            problems.push(format!(
                "issuer '{iss}' is not this registry's ({})",
                ours.join(", ")
            ));
        }
        findings.push(format!("audience {}", c["aud"]));
        match c["exp"].as_i64() {
            Some(exp) if now.timestamp() < exp => findings.push(format!(
                "expires {} (in {} s by the sandbox clock)",
                from_unix(exp),
                exp - now.timestamp()
            )),
            Some(exp) => problems.push(format!(
                "expired at {} ({} s ago by the sandbox clock)",
                from_unix(exp),
                now.timestamp() - exp
            )),
            None => problems.push("no exp claim".into()),
        }
        let bound_to = c["cnf"]["jkt"].as_str();
        if let Some(jkt) = bound_to {
            findings.push(dpop_bound("a resource takes it only with", jkt));
        }
        if kind == "access_token" && problems.is_empty() {
            match self.check_access_token(None, token).await {
                Ok(_) => findings.push("not revoked; its grant and app are live".into()),
                Err(Check::Refused(why)) => {
                    problems.push(format!("not accepted by introspection or userinfo: {why}"));
                }
                Err(Check::Failed(e)) => return Err(e),
            }
        }
        // The proof last: what the token itself says comes first, whatever the proof's faults.
        if let Some(p) = proof.filter(|_| kind == "access_token") {
            self.explain_proof(
                p,
                bound_to,
                &ProofFor::Access { token },
                (&mut findings, &mut problems),
            )
            .await?;
        }
        let accepted = problems.is_empty();
        let verdict = if accepted {
            format!("a valid {kind} from this issuer")
        } else {
            problems.join("; ")
        };
        findings.extend(problems);
        Ok(TokenExplanation {
            kind: kind.into(),
            accepted,
            verdict,
            findings,
            header,
            claims,
        })
    }
}

/// What a proof pasted with a token must name.
enum ProofFor<'a> {
    /// A call to a resource with this access token (`ath`; any URL the developer called).
    Access { token: &'a str },
    /// A refresh at one of this registry's token endpoints.
    Refresh { token_urls: Vec<String> },
}

impl Authdesk {
    /// Each check of a DPoP proof sent with a token bound to `bound_to` (or to none), as
    /// `core::dpop` makes it, said in words: what passed goes to `findings`, what a server
    /// would refuse to `problems`.
    async fn explain_proof(
        &self,
        proof: &str,
        bound_to: Option<&str>,
        call: &ProofFor<'_>,
        (findings, problems): (&mut Vec<String>, &mut Vec<String>),
    ) -> super::Result<()> {
        let s = match dpop::signed(proof) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("the DPoP proof is refused: {}", e.description));
                return Ok(());
            }
        };
        match (bound_to, call) {
            (Some(jkt), _) if s.jkt != jkt => problems.push(format!(
                "the DPoP proof is signed by the key with thumbprint {}, not the one the token is bound to ({jkt})",
                s.jkt
            )),
            (Some(_), _) => findings.push("the DPoP proof is signed by the key the token is bound to".into()),
            (None, ProofFor::Access { .. }) => problems.push(
                "the token is not bound to a DPoP key: send it as a Bearer token (with the DPoP scheme it is refused)".into(),
            ),
            (None, ProofFor::Refresh { .. }) => findings.push(format!(
                "the DPoP proof would bind the new access token to the key with thumbprint {}",
                s.jkt
            )),
        }
        let mut refused = |r: std::result::Result<(), authdesk_core::OAuthError>| {
            if let Err(e) = r {
                problems.push(e.description);
            }
        };
        refused(s.jti().map(drop));
        match call {
            ProofFor::Access { token } => {
                refused(s.for_token(token));
                findings.push(format!(
                    "the DPoP proof is for {} {} (a resource takes it only for the URL it is called at)",
                    s.htm.as_deref().unwrap_or("(no htm)"),
                    s.htu.as_deref().unwrap_or("(no htu)")
                ));
            }
            ProofFor::Refresh { token_urls } => {
                if let Some(first) = token_urls.first()
                    && !token_urls.iter().any(|u| s.names("POST", u).is_ok())
                {
                    refused(s.names("POST", first));
                }
            }
        }
        let now = self.client_now().timestamp();
        match s.iat {
            Some(iat) if iat > now + dpop::IAT_WINDOW_SECONDS => problems.push(format!(
                "the DPoP proof is dated {} s ahead of now: the client's clock runs fast",
                iat - now
            )),
            Some(iat) => findings.push(format!(
                "the DPoP proof was made at {} and is taken until {}{}",
                from_unix(iat),
                from_unix(dpop::no_longer_passes(iat) - 1),
                if now >= dpop::no_longer_passes(iat) {
                    " (past now: each call needs a fresh proof)"
                } else {
                    ""
                }
            )),
            None => refused(s.iat_near(now).map(drop)),
        }
        // A nonce rolls over every few minutes, so an old one is only news for a resend; none
        // at all is why the call was refused.
        if let Err(e) = s.carries_nonce(&self.dpop_nonces()) {
            if s.nonce.is_some() {
                findings.push(
                    "the DPoP proof's nonce is not the server's current one (nonces change every few minutes): sent now, it would be answered use_dpop_nonce with the nonce to use".into(),
                );
            } else {
                problems.push(format!(
                    "the DPoP proof carries no nonce, and this server asks for one: {}",
                    e.description
                ));
            }
        }
        if let Some(jti) = s.jti.as_deref() {
            let mut conn = self.store().read().await?;
            if authdesk_store::assertions::proof_used(&mut conn, &s.jkt, jti, now).await? {
                problems.push(
                    "the DPoP proof's jti was used already: a proof is good for one call, so a second call with it is refused and the client must make a new one for each (if the call you explain was its first, the other findings say why it failed)".into(),
                );
            }
        }
        Ok(())
    }
}

/// What Explain says of a token bound to a DPoP key: the proof a call with it needs, so a
/// developer whose call failed sees why.
fn dpop_bound(needs: &str, jkt: &str) -> String {
    format!(
        "bound to the DPoP key with thumbprint {jkt} (RFC 9449): {needs} a fresh DPoP proof signed by that key; without a proof, as a Bearer token, or with another key's proof it is refused"
    )
}
