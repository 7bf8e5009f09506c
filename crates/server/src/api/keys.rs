//! Signing keys: list, rotate, and the published JWKS.

use super::{Actor, Authdesk, Result, audit};
use crate::api::audit::AuditAction;
use crate::signing::{self, Alg, SigningKey, VerifyingKey};
use authdesk_core::clock::from_unix;
use authdesk_core::lifetime;
use authdesk_core::roles::Power;
use authdesk_store::facts::{Key, Writes};
use authdesk_store::{keys, settings};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct KeyView {
    pub kid: String,
    pub alg: Alg,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
    /// active (signs new tokens), published (retired, still verifies live tokens), expired.
    #[ts(type = "\"active\" | \"published\" | \"expired\"")]
    pub state: &'static str,
    /// The active key access tokens are signed with (the others sign the ID tokens of apps
    /// whose algorithm they are).
    pub signs_access_tokens: bool,
}

/// A retired key stays published as long as a token it signed may still be live.
const RETIRED_KEY_PUBLISHED_FOR: i64 = if lifetime::ID_TOKEN > lifetime::ACCESS_TOKEN {
    lifetime::ID_TOKEN
} else {
    lifetime::ACCESS_TOKEN
};

/// Whether a key may verify a token at `now`: the active key, or a retired one inside its
/// publication window. The one rule behind the JWKS, the key list and every token check, so a
/// key that left the JWKS verifies nothing (a leaked old key cannot forge live tokens).
fn is_published(retired_at: Option<i64>, now: i64) -> bool {
    retired_at.is_none_or(|r| now < r + RETIRED_KEY_PUBLISHED_FOR)
}

impl Authdesk {
    pub fn key_list(&self) -> Vec<KeyView> {
        let now = self.now().timestamp();
        let access = self.signing_key().kid.clone();
        self.verifying_keys()
            .iter()
            .map(|k| KeyView {
                signs_access_tokens: k.kid == access,
                kid: k.kid.clone(),
                alg: k.alg,
                created_at: from_unix(k.created_at),
                retired_at: k.retired_at.map(from_unix),
                state: match k.retired_at {
                    None => "active",
                    Some(_) if is_published(k.retired_at, now) => "published",
                    Some(_) => "expired",
                },
            })
            .collect()
    }

    /// The key `kid` if it may verify a token now (see [`is_published`]).
    pub(crate) fn published_key(&self, kid: &str) -> Option<VerifyingKey> {
        let now = self.now().timestamp();
        self.verifying_keys()
            .into_iter()
            .find(|k| k.kid == kid && is_published(k.retired_at, now))
    }

    /// The active key of `alg`, made now if the registry has none yet (an app's ID tokens
    /// asked for an algorithm no app used before). Two processes making one at once keep
    /// the first: the second's unit sees it and adds nothing.
    pub(crate) async fn ensure_key(&self, alg: Alg) -> Result<Arc<SigningKey>> {
        if let Some(k) = self.key_for(alg) {
            return Ok(k);
        }
        let now = self.now().timestamp();
        let row = generate(alg, now).await?;
        let keys = vec![Key::SigningKeys(alg.as_str().to_string())];
        self.decide(keys, move |facts| {
            let mut writes = Writes::none();
            let active = facts.signing_keys(alg.as_str()).iter();
            if !active.clone().any(|k| k.retired_at.is_none()) {
                keys::insert_into(&mut writes, &row);
            }
            Ok((writes, ()))
        })
        .await?;
        self.sync().await?;
        self.key_for(alg).ok_or_else(|| {
            super::ApiError::Internal(format!("no active {alg} key after making one"))
        })
    }

    /// The JWKS: every key that may still verify a live token.
    pub fn jwks(&self) -> Value {
        let now = self.now().timestamp();
        let keys: Vec<Value> = self
            .verifying_keys()
            .iter()
            .filter(|k| is_published(k.retired_at, now))
            .map(|k| k.jwk.clone())
            .collect();
        json!({ "keys": keys })
    }

    /// Makes a new key of `alg` its signer; the one it replaces stays published until its
    /// tokens expire. With `access_tokens`, access tokens are signed with `alg` from now on
    /// (else they keep the registry's algorithm, whatever key was rotated).
    pub async fn key_rotate(
        &self,
        alg: Alg,
        access_tokens: bool,
        actor: &Actor,
    ) -> Result<KeyView> {
        actor.may(Power::ManageKeys)?;
        self.require_reason(actor.reason.as_deref())?;
        let now = self.now().timestamp();
        let row = generate(alg, now).await?;
        let (stored, actor) = (row.clone(), actor.clone());
        let keys = vec![Key::SigningKeys(alg.as_str().to_string())];
        self.decide(keys, move |facts| {
            let mut writes = Writes::none();
            for active in facts.signing_keys(alg.as_str()) {
                if active.retired_at.is_none() {
                    keys::retire_into(&mut writes, active, now);
                }
            }
            keys::insert_into(&mut writes, &stored);
            if access_tokens {
                settings::set_into(&mut writes, settings::ACCESS_TOKEN_ALG, alg.as_str());
            }
            audit::record_into(
                &mut writes,
                now,
                &actor,
                AuditAction::KeyRotate,
                &stored.kid,
                json!({"alg": alg.as_str(), "access_tokens": access_tokens}),
            );
            Ok((writes, ()))
        })
        .await?;
        self.sync().await?;
        Ok(KeyView {
            signs_access_tokens: self.signing_key().kid == row.kid,
            kid: row.kid,
            alg,
            created_at: from_unix(now),
            retired_at: None,
            state: "active",
        })
    }
}

/// A new key pair, made off the async threads (an RSA key takes a good part of a second).
async fn generate(alg: Alg, now: i64) -> Result<authdesk_store::keys::KeyRow> {
    tokio::task::spawn_blocking(move || signing::generate(alg, now))
        .await
        .map_err(|e| super::ApiError::Internal(e.to_string()))?
        .map_err(|e| super::ApiError::Internal(e.to_string()))
}
