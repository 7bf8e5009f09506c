//! The Banno profile's sandbox consumer API (`serve --sandbox-api`): the calls Banno's example
//! apps make with the tokens they get — a user's accounts and their transactions, a fetch
//! task and its state, the user's profile — answered from the demo bank
//! (`authdesk_core::sandbox_bank`). Each call checks its bearer token as a resource server
//! must: ours and live (signature, expiry, not revoked), issued at the consumer issuer, for the
//! user in the path, with the scope the call needs (RFC 6750 `insufficient_scope` otherwise).

use super::{ApiError, Authdesk, IssuerSite, Result};
use authdesk_core::dpop::Presented;
use authdesk_core::sandbox_bank;
use authdesk_core::scope::Scope;
use authdesk_core::{ErrorCode, OAuthError};
use authdesk_store::users;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const SCOPE_BASE: &str = "https://api.banno.com/consumer/auth/";

/// What each call needs, as Jack Henry documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Accounts,
    Transactions,
    Profile,
}

impl Need {
    /// The scopes that grant it (the read-write one grants reading too).
    fn scopes(self) -> &'static [&'static str] {
        match self {
            Need::Accounts => &["accounts.readonly", "accounts.readwrite"],
            Need::Transactions => &["transactions.detail.readonly"],
            Need::Profile => &["user.profile.readonly", "user.profile.readwrite"],
        }
    }

    /// The scope named in an `insufficient_scope` answer.
    pub fn scope(self) -> String {
        format!("{SCOPE_BASE}{}", self.scopes()[0])
    }
}

/// Every URI scope the sandbox API knows (discovery lists them in the Banno profile).
pub fn scopes() -> Vec<String> {
    [Need::Accounts, Need::Transactions, Need::Profile]
        .iter()
        .flat_map(|n| n.scopes().iter().map(|s| format!("{SCOPE_BASE}{s}")))
        .collect()
}

/// The most transactions one page holds (Banno's `limit` maximum).
pub const MAX_PAGE: usize = 500;

fn insufficient(why: impl Into<String>) -> ApiError {
    OAuthError::new(ErrorCode::InsufficientScope, why).into()
}

impl Authdesk {
    /// The bearer token of a sandbox API call: accepted at the consumer issuer `at`, for
    /// `user_id`, with a scope that grants `need`. Returns the user's `sub`.
    async fn sandbox_caller(
        &self,
        at: &IssuerSite,
        token: &Presented,
        user_id: &str,
        need: Need,
    ) -> Result<String> {
        let row = self.check_presented(at, token).await?;
        if row.sub != user_id {
            return Err(insufficient(
                "the access token is for another user than the one in the path",
            ));
        }
        let scope = Scope::parse(&row.scope).unwrap_or_default();
        if !need
            .scopes()
            .iter()
            .any(|s| scope.contains(&format!("{SCOPE_BASE}{s}")))
        {
            return Err(insufficient(format!(
                "this call needs the scope {}",
                need.scope()
            )));
        }
        Ok(row.sub)
    }

    fn today(&self) -> chrono::NaiveDate {
        self.now().date_naive()
    }

    /// `GET …/users/{userId}/accounts`.
    pub async fn sandbox_accounts(
        &self,
        at: &IssuerSite,
        token: &Presented,
        user: &str,
    ) -> Result<Value> {
        let sub = self.sandbox_caller(at, token, user, Need::Accounts).await?;
        Ok(json!({
            "accounts": sandbox_bank::accounts(&sub, self.today()),
            "inactivatedAccountIds": [],
        }))
    }

    /// `GET …/users/{userId}/accounts/{accountId}/transactions?offset=&limit=`.
    pub async fn sandbox_transactions(
        &self,
        at: &IssuerSite,
        token: &Presented,
        user: &str,
        account: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Value> {
        let sub = self
            .sandbox_caller(at, token, user, Need::Transactions)
            .await?;
        let today = self.today();
        if !sandbox_bank::accounts(&sub, today)
            .iter()
            .any(|a| a.id == account)
        {
            return Err(ApiError::NotFound("no such account for this user".into()));
        }
        let all = sandbox_bank::transactions(&sub, account, today);
        let page: Vec<_> = all
            .iter()
            .skip(offset)
            .take(limit.clamp(1, MAX_PAGE))
            .collect();
        Ok(json!({"transactions": page, "totalCount": all.len()}))
    }

    /// A task id bound to its user: random, then a MAC of the user and the random part, so
    /// a task is found again without storing it, and only by its user.
    fn task_id(&self, sub: &str, random: &[u8; 8]) -> String {
        let mac = self.hasher().hash(
            "sandbox_task",
            &format!("{sub}:{}", URL_SAFE_NO_PAD.encode(random)),
        );
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(random);
        b[8..].copy_from_slice(&mac[..8]);
        uuid::Uuid::from_bytes(b).to_string()
    }

    /// `PUT …/users/{userId}/fetch`: asks the institution for fresh data; the task finishes
    /// at once in the sandbox.
    pub async fn sandbox_fetch(
        &self,
        at: &IssuerSite,
        token: &Presented,
        user: &str,
    ) -> Result<Value> {
        let sub = self.sandbox_caller(at, token, user, Need::Accounts).await?;
        let random: [u8; 8] = crate::secret::random_bytes();
        Ok(json!({"taskId": self.task_id(&sub, &random)}))
    }

    /// `GET …/users/{userId}/tasks/{taskId}`: the fetch task, ended.
    pub async fn sandbox_task(
        &self,
        at: &IssuerSite,
        token: &Presented,
        user: &str,
        task: &str,
    ) -> Result<Value> {
        let sub = self.sandbox_caller(at, token, user, Need::Accounts).await?;
        let known = uuid::Uuid::parse_str(task).ok().is_some_and(|u| {
            let mut random = [0u8; 8];
            random.copy_from_slice(&u.as_bytes()[..8]);
            self.task_id(&sub, &random) == u.to_string()
        });
        if !known {
            return Err(ApiError::NotFound("no such task for this user".into()));
        }
        let at_time = self.now().to_rfc3339();
        Ok(json!({
            "version": 2,
            "taskId": task,
            "events": [
                {"type": "TaskStarted", "version": 1, "timestamp": at_time},
                {"type": "TaskEnded", "version": 2, "timestamp": at_time, "successful": true},
            ],
        }))
    }

    /// `GET …/users/{userId}`: the user's profile.
    pub async fn sandbox_user(
        &self,
        at: &IssuerSite,
        token: &Presented,
        user: &str,
    ) -> Result<Value> {
        let sub = self.sandbox_caller(at, token, user, Need::Profile).await?;
        let mut conn = self.store().read().await?;
        let u = users::get(&mut conn, &sub)
            .await?
            .ok_or_else(|| ApiError::NotFound("no such user".into()))?;
        let claim = |k: &str| u.claims.get(k).cloned().unwrap_or(Value::Null);
        Ok(json!({
            "userId": u.sub,
            "username": u.username,
            "firstName": claim("given_name"),
            "lastName": claim("family_name"),
            "preferredName": claim("nickname"),
            "email": claim("email"),
        }))
    }
}
