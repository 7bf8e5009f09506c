//! Demo data for a sandbox (`authdesk seed`): a few apps and thousands of people with grants
//! of every kind (live, refreshed, expired, chain ended, revoked), so the console can be tried
//! — and tested — at the scale a support desk meets. Refused in production directories.

use super::audit::AuditAction;
use super::{Actor, ApiError, Authdesk, Result, audit};
use crate::secret;
use authdesk_core::client::{ClientDraft, GrantType};
use authdesk_core::lifetime::Lifetimes;
use authdesk_core::roles::Power;
use authdesk_store::grants::{self, GrantRow};
use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
use authdesk_store::users::{self, UserRow};
use authdesk_store::{Script, clients};
use serde::Serialize;
use serde_json::json;

/// The password every seeded person signs in with.
pub const SEED_PASSWORD: &str = "sandbox-password";

/// The apps seeded people use: name and partner.
const APPS: [(&str, &str); 3] = [
    ("Budget Buddy", "Acme Fintech"),
    ("Payroll Plus", "Northwind Payroll"),
    ("Savings Coach", "Contoso Wealth"),
];

/// People written per unit of work.
const CHUNK: u32 = 500;

#[derive(Debug, Clone, Serialize)]
pub struct SeedReport {
    pub people: u32,
    pub apps: u32,
    pub grants: u32,
    pub refresh_tokens: u32,
}

const DAY: i64 = 86_400;

/// Person `i`'s grants, each with its refresh tokens: one app for everyone, a second for every
/// fifth; begun up to 400 days ago (so some chains have ended), last refreshed up to 120 days
/// ago (so some tokens have expired), every seventeenth revoked.
fn grants_of(
    i: u32,
    sub: &str,
    apps: &[String],
    now: i64,
    lifetimes: &Lifetimes,
) -> Vec<(GrantRow, Vec<RefreshTokenRow>)> {
    let mut out = Vec::new();
    let count = if i.is_multiple_of(5) { 2 } else { 1 };
    for k in 0..count {
        let client_id = &apps[((i + k) as usize) % apps.len()];
        let started = now - i64::from((i * 7 + k * 13) % 400) * DAY - i64::from(i % 86_400);
        let last = (now - i64::from(i % 120) * DAY).max(started);
        let id = uuid::Uuid::now_v7().to_string();
        let revoked = i.is_multiple_of(17);
        let grant = GrantRow {
            id: id.clone(),
            client_id: client_id.clone(),
            sub: sub.to_string(),
            scope: "openid profile email offline_access".into(),
            auth_time: started,
            created_at: started,
            chain_started_at: Some(started),
            chain_ends_at: Some(started + lifetimes.chain),
            revoked_at: revoked.then_some(last),
            revoked_by: revoked.then(|| "console:seed".to_string()),
            revoke_reason: revoked.then(|| "demo: the customer reported a lost phone".to_string()),
            issuer: None,
            claims: None,
            dpop_jkt: None,
        };
        let token = |issued: i64, parent: Option<String>| RefreshTokenRow {
            id: uuid::Uuid::now_v7().to_string(),
            grant_id: id.clone(),
            parent_id: parent,
            token_hash: secret::generate().into_bytes(),
            issued_at: issued,
            expires_at: issued + lifetimes.refresh_token,
            consumed_at: None,
            last_used_at: None,
            use_count: 0,
        };
        let first = token(started, None);
        let mut tokens = vec![first.clone()];
        if last > started {
            let mut used = first;
            used.last_used_at = Some(last);
            used.use_count = 1;
            tokens[0] = used;
            tokens.push(token(last, Some(tokens[0].id.clone())));
        }
        out.push((grant, tokens));
    }
    out
}

impl Authdesk {
    /// Seeds `people` people (`customer00001` …, name and e-mail claims, password
    /// [`SEED_PASSWORD`]) and the apps and grants they use.
    pub async fn sandbox_seed(&self, people: u32, actor: &Actor) -> Result<SeedReport> {
        actor.may(Power::SandboxTools)?;
        self.require_sandbox("seeding demo data")?;
        if people == 0 || people > 100_000 {
            return Err(ApiError::invalid(
                "people",
                "seed between 1 and 100,000 people",
            ));
        }
        let mut apps = Vec::new();
        for (name, partner) in APPS {
            // Seeding again reuses the apps by name (names are unique).
            let existing = {
                let mut conn = self.store().read().await?;
                clients::named(&mut conn, name).await?
            };
            if let Some((id, _)) = existing {
                apps.push(id);
                continue;
            }
            let created = self
                .client_create(
                    &ClientDraft {
                        name: name.into(),
                        partner_name: Some(partner.into()),
                        redirect_uris: vec!["http://127.0.0.1:9/callback".into()],
                        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                        ..Default::default()
                    },
                    actor,
                )
                .await?;
            apps.push(created.client.client_id);
        }
        let password_hash = self
            .password_work(|memory| secret::hash_password(SEED_PASSWORD, memory))
            .await?;
        let lifetimes = Lifetimes::default();
        let now = self.now().timestamp();
        let (mut grants, mut tokens) = (0, 0);
        let mut from = 1;
        while from <= people {
            let to = (from + CHUNK - 1).min(people);
            let mut script = Script::new();
            for i in from..=to {
                let sub = uuid::Uuid::new_v4().to_string();
                let mut claims = serde_json::Map::new();
                claims.insert("name".into(), format!("Customer {i}").into());
                claims.insert(
                    "email".into(),
                    format!("customer{i:05}@bank.example").into(),
                );
                users::insert_into(
                    &mut script,
                    &UserRow {
                        sub: sub.clone(),
                        username: format!("customer{i:05}"),
                        password_hash: password_hash.clone(),
                        claims,
                        created_at: now,
                        updated_at: now,
                    },
                );
                for (g, ts) in grants_of(i, &sub, &apps, now, &lifetimes) {
                    grants::insert_into(&mut script, &g);
                    grants += 1;
                    for t in &ts {
                        refresh_tokens::insert_into(&mut script, t);
                        tokens += 1;
                    }
                }
            }
            let last_chunk = to == people;
            let report = json!({"people": people, "apps": apps.len(), "grants": grants, "refresh_tokens": tokens});
            let actor = actor.clone();
            self.write(move |tx| {
                Box::pin(async move {
                    script.run(tx).await?;
                    if last_chunk {
                        audit::record(tx, now, &actor, AuditAction::SandboxSeed, "sandbox", report)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await?;
            from = to + 1;
        }
        Ok(SeedReport {
            people,
            apps: APPS.len() as u32,
            grants,
            refresh_tokens: tokens,
        })
    }
}
