//! Support-staff use cases: find grants, see each chain's tree, preview and revoke.

use super::console::GrantQuery;
use super::{Actor, ApiError, Authdesk, Page, Result, audit};
use crate::api::audit::AuditAction;
use authdesk_core::clock::from_unix;
use authdesk_core::roles::Power;
use authdesk_core::status::{
    self, GrantContext, GrantFacts, GrantStatus, RefreshFacts, TokenStatus,
};
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::grants::{self, GrantRow, GrantSelector, Impact, NamedGrant};
use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
use authdesk_store::{consents, sessions};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GrantSummary {
    pub grant_id: String,
    pub client_id: String,
    /// The app's name.
    pub client_name: Option<String>,
    pub sub: String,
    /// The user's username; `None` once the user was deleted.
    pub username: Option<String>,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub chain_started_at: Option<DateTime<Utc>>,
    pub chain_ends_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    pub status: GrantStatus,
    /// `status == active`.
    pub active: bool,
    /// Why the grant no longer yields tokens (`core::status::why_stopped`), in plain words;
    /// `None` while it does (and in search hits, which do not look at tokens).
    pub why: Option<String>,
    /// The thumbprint (RFC 7638) of the DPoP key its refresh tokens are bound to: a public
    /// client's grant started with a DPoP proof (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RefreshTokenNode {
    pub id: String,
    pub parent_id: Option<String>,
    pub issued_at: DateTime<Utc>,
    /// The token's own expiry: issued_at + 90 days (or the app's shorter lifetime).
    pub expires_at: DateTime<Utc>,
    /// `min(expires_at, chain end)`.
    pub effective_expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    #[ts(type = "number")]
    pub use_count: i64,
    pub state: TokenStatus,
    pub children: Vec<RefreshTokenNode>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AccessTokenView {
    pub jti: String,
    pub refresh_token_id: Option<String>,
    pub scope: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: TokenStatus,
    /// The thumbprint of the DPoP key it is bound to (`cnf.jkt`), if any.
    pub dpop_jkt: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GrantDetail {
    #[serde(flatten)]
    #[ts(flatten)]
    pub grant: GrantSummary,
    /// The last moment a refresh can still succeed (the latest usable token's effective expiry).
    pub last_refresh_possible_at: Option<DateTime<Utc>>,
    pub refresh_tokens: Vec<RefreshTokenNode>,
    pub access_tokens: Vec<AccessTokenView>,
    pub now: DateTime<Utc>,
}

/// What reaches its end per day from `from` (Unix seconds, the moment it was counted at: day
/// `d` is `[from + d·86400, from + (d+1)·86400)`, the window a bar opens as a list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExpiryHistogram {
    #[ts(type = "number")]
    pub from: i64,
    /// Days without anything ending are left out.
    pub days: Vec<ExpiryDay>,
}

/// One day of the expiry histogram: what reaches its end that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExpiryDay {
    /// Days from now (0: within the next 24 hours).
    #[ts(type = "number")]
    pub day: i64,
    /// Refresh tokens reaching their effective expiry (unused, of live grants).
    #[ts(type = "number")]
    pub refresh_tokens: i64,
    /// Chains reaching their one-year end.
    #[ts(type = "number")]
    pub chains: i64,
}

pub(crate) fn summary(named: &NamedGrant, now: DateTime<Utc>) -> GrantSummary {
    let g = &named.grant;
    let status = status::grant_status(&GrantFacts::from(g), now);
    GrantSummary {
        grant_id: g.id.clone(),
        client_id: g.client_id.clone(),
        client_name: named.client_name.clone(),
        sub: g.sub.clone(),
        username: named.username.clone(),
        scope: g.scope.clone(),
        created_at: from_unix(g.created_at),
        chain_started_at: g.chain_started_at.map(from_unix),
        chain_ends_at: g.chain_ends_at.map(from_unix),
        revoked_at: g.revoked_at.map(from_unix),
        revoked_by: g.revoked_by.clone(),
        revoke_reason: g.revoke_reason.clone(),
        status,
        active: status.is_active(),
        why: None,
        dpop_jkt: g.dpop_jkt.clone(),
    }
}

fn refresh_state(
    t: &RefreshTokenRow,
    g: &GrantRow,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, TokenStatus) {
    let (token, grant) = (RefreshFacts::from(t), GrantFacts::from(g));
    (
        status::effective_expiry(&token, &grant),
        status::refresh_status(&token, &grant, now),
    )
}

/// Builds the parent → children tree from the flat, oldest-first list.
fn tree(tokens: &[RefreshTokenRow], g: &GrantRow, now: DateTime<Utc>) -> Vec<RefreshTokenNode> {
    fn build(
        parent: Option<&str>,
        tokens: &[RefreshTokenRow],
        g: &GrantRow,
        now: DateTime<Utc>,
    ) -> Vec<RefreshTokenNode> {
        tokens
            .iter()
            .filter(|t| t.parent_id.as_deref() == parent)
            .map(|t| {
                let (effective, state) = refresh_state(t, g, now);
                RefreshTokenNode {
                    id: t.id.clone(),
                    parent_id: t.parent_id.clone(),
                    issued_at: from_unix(t.issued_at),
                    expires_at: from_unix(t.expires_at),
                    effective_expires_at: effective,
                    last_used_at: t.last_used_at.map(from_unix),
                    use_count: t.use_count,
                    state,
                    children: build(Some(&t.id), tokens, g, now),
                }
            })
            .collect()
    }
    build(None, tokens, g, now)
}

fn access_view(a: &AccessTokenRow, g: &GrantRow, now: DateTime<Utc>) -> AccessTokenView {
    let state = status::access_status(
        from_unix(a.expires_at),
        a.revoked_at.map(from_unix),
        Some(&GrantFacts::from(g)),
        now,
    );
    AccessTokenView {
        jti: a.jti.clone(),
        refresh_token_id: a.refresh_token_id.clone(),
        scope: a.scope.clone(),
        issued_at: from_unix(a.issued_at),
        expires_at: from_unix(a.expires_at),
        state,
        dpop_jkt: a.dpop_jkt.clone(),
    }
}

impl Authdesk {
    /// Grants matching `selector` (every grant without one), newest first.
    pub async fn grant_list(
        &self,
        selector: Option<&GrantSelector>,
        page: Page,
    ) -> Result<Vec<GrantSummary>> {
        self.grant_listing(selector, grants::Listing::default(), page)
            .await
    }

    /// The support agent's list: the grants `query` names, only those in its state (now) or
    /// with something ending in its window, the chains ending soonest first when asked.
    pub async fn grant_list_filtered(&self, query: &GrantQuery) -> Result<Vec<GrantSummary>> {
        let listing = grants::Listing {
            status: query.status,
            ending: query.ending.map(Into::into),
            ending_first: query.ending_first.unwrap_or(false),
            now: 0,
        };
        self.grant_listing(query.selector()?.as_ref(), listing, query.page())
            .await
    }

    async fn grant_listing(
        &self,
        selector: Option<&GrantSelector>,
        listing: grants::Listing,
        page: Page,
    ) -> Result<Vec<GrantSummary>> {
        let (limit, offset) = page.clamp();
        let now = from_unix(self.now().timestamp());
        let listing = grants::Listing {
            now: now.timestamp(),
            ..listing
        };
        let mut conn = self.store().read().await?;
        let mut list = Vec::new();
        for named in grants::list(&mut conn, selector, &listing, limit, offset).await? {
            let tokens = refresh_tokens::of_grant(&mut conn, &named.grant.id).await?;
            let mut s = summary(&named, now);
            s.why = self.why_stopped(&named.grant, &tokens, now).await?;
            list.push(s);
        }
        Ok(list)
    }

    /// [`status::why_stopped`] for a stored grant and its refresh tokens, in plain words.
    async fn why_stopped(
        &self,
        g: &GrantRow,
        tokens: &[RefreshTokenRow],
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let app_enabled = self
            .client_cached(&g.client_id)
            .await?
            .is_some_and(|c| c.enabled);
        let context = GrantContext {
            revoked_by: g.revoked_by.as_deref(),
            revoke_reason: g.revoke_reason.as_deref(),
            app_enabled,
        };
        let facts: Vec<RefreshFacts> = tokens.iter().map(RefreshFacts::from).collect();
        Ok(status::why_stopped(&GrantFacts::from(g), context, &facts, now).map(|s| s.line()))
    }

    pub async fn grant_show(&self, id: &str) -> Result<GrantDetail> {
        // Whole seconds, as everything stored.
        let now = from_unix(self.now().timestamp());
        let mut conn = self.store().read().await?;
        let named = grants::get_named(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no grant with id {id}")))?;
        let g = &named.grant;
        let tokens = refresh_tokens::of_grant(&mut conn, id).await?;
        let access = access_tokens::of_grant(&mut conn, id).await?;
        let last = tokens
            .iter()
            .map(|t| refresh_state(t, g, now))
            .filter(|(_, s)| s.is_active())
            .map(|(e, _)| e)
            .max();
        drop(conn);
        let mut grant = summary(&named, now);
        grant.why = self.why_stopped(g, &tokens, now).await?;
        Ok(GrantDetail {
            grant,
            last_refresh_possible_at: last,
            refresh_tokens: tree(&tokens, g, now),
            access_tokens: access.iter().map(|a| access_view(a, g, now)).collect(),
            now,
        })
    }

    /// The id of the grant a pasted refresh or access token belongs to, if any.
    pub(crate) async fn grant_id_by_token(&self, token: &str) -> Result<Option<String>> {
        let token = token.trim();
        let mut conn = self.store().read().await?;
        let hash = self.hasher().hash("refresh_token", token);
        Ok(match refresh_tokens::by_hash(&mut conn, &hash).await? {
            Some((_, g)) => Some(g.id),
            None => match crate::signing::unverified_claim(token, "jti") {
                Some(jti) => access_tokens::get(&mut conn, &jti)
                    .await?
                    .and_then(|a| a.grant_id),
                None => None,
            },
        })
    }

    /// Finds the grant a pasted refresh or access token belongs to.
    pub async fn grant_find_by_token(&self, token: &str) -> Result<GrantDetail> {
        match self.grant_id_by_token(token).await? {
            Some(id) => self.grant_show(&id).await,
            None => Err(ApiError::NotFound("no grant holds that token".into())),
        }
    }

    /// What `grant_revoke` with the same selector would hit, without doing it.
    pub async fn grant_preview(&self, selector: &GrantSelector) -> Result<Impact> {
        let mut conn = self.store().read().await?;
        Ok(grants::impact(&mut conn, selector, self.now().timestamp()).await?)
    }

    /// Revokes one grant, all of a user's (optionally for one app), or all of an app's — and
    /// with them what would let the app get a new grant without asking: the user's approval
    /// of those apps (consent), and, for a user's grants, the user's login sessions (a
    /// `prompt=none` request then needs the person again).
    pub async fn grant_revoke(
        &self,
        selector: &GrantSelector,
        actor: &Actor,
        reason: &str,
    ) -> Result<Impact> {
        actor.may(Power::Revoke)?;
        self.require_reason(Some(reason))?;
        let now = self.now().timestamp();
        let (selector, actor, reason) = (selector.clone(), actor.clone(), reason.to_string());
        self.write(move |tx| {
            Box::pin(async move {
                if let GrantSelector::Grant(id) = &selector
                    && grants::get(tx, id).await?.is_none() {
                        return Err(ApiError::NotFound(format!("no grant with id {id}")));
                    }
                let impact = grants::impact(tx, &selector, now).await?;
                grants::revoke(tx, &selector, now, &actor.name, &reason).await?;
                let (client_id, sub, grant_id) = selector.parts();
                // Whose approvals and sessions end with these grants.
                let (person, app) = match &selector {
                    GrantSelector::Grant(id) => match grants::get(tx, id).await? {
                        Some(g) => (Some(g.sub), Some(g.client_id)),
                        None => (None, None),
                    },
                    GrantSelector::User { sub, client_id } => (Some(sub.clone()), client_id.clone()),
                    GrantSelector::App(c) => (None, Some(c.clone())),
                };
                let consents_forgotten =
                    consents::forget(tx, person.as_deref(), app.as_deref()).await?;
                let sessions_ended = match &person {
                    Some(p) => sessions::delete_for_user(tx, p).await?,
                    None => 0,
                };
                let detail = json!({"client_id": client_id, "sub": sub, "grant_id": grant_id, "impact": impact, "reason": reason,
                    "consents_forgotten": consents_forgotten, "sessions_ended": sessions_ended});
                audit::record(tx, now, &actor, AuditAction::GrantRevoke, selector.target(), detail).await?;
                Ok(impact)
            })
        })
        .await
    }

    /// Signs a person out everywhere: ends every login session of theirs at this issuer (their
    /// grants stay; revoke them to end the apps' access). Returns how many ended.
    pub async fn user_sign_out(&self, sub: &str, actor: &Actor) -> Result<u64> {
        actor.may(Power::Revoke)?;
        self.require_reason(actor.reason.as_deref())?;
        let now = self.now().timestamp();
        let (sub, actor) = (sub.to_string(), actor.clone());
        self.write(move |tx| {
            Box::pin(async move {
                if authdesk_store::users::get(tx, &sub).await?.is_none() {
                    return Err(ApiError::NotFound(format!("no user with sub {sub}")));
                }
                let ended = sessions::delete_for_user(tx, &sub).await?;
                audit::record(
                    tx,
                    now,
                    &actor,
                    AuditAction::SessionEnd,
                    &sub,
                    json!({"via": "sign_out_everywhere", "sessions_ended": ended}),
                )
                .await?;
                Ok(ended)
            })
        })
        .await
    }

    /// Per day from today: refresh tokens and chains reaching their end (days without any
    /// are left out).
    pub async fn expiry_histogram(&self, days: i64) -> Result<ExpiryHistogram> {
        let now = self.now().timestamp();
        let mut conn = self.store().read().await?;
        let to = now + days.clamp(1, 3660) * 86_400;
        let days = grants::expiry_histogram(&mut conn, now, to)
            .await?
            .into_iter()
            .map(|(day, refresh_tokens, chains)| ExpiryDay {
                day,
                refresh_tokens,
                chains,
            })
            .collect();
        Ok(ExpiryHistogram { from: now, days })
    }
}
