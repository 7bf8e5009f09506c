//! The console's one search box (Ctrl+K): a person by user name, e-mail, name or `sub`; an app
//! by name, partner or client id; a grant by id; or a pasted token — found in the store
//! (`authdesk_store::search`) and ranked here.

use super::grants::{GrantSummary, summary};
use super::{Authdesk, Result};
use authdesk_store::{grants, search};
use serde::Serialize;

/// One thing the search found.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum SearchHit {
    User {
        sub: String,
        username: String,
        email: Option<String>,
        name: Option<String>,
        /// Grants not revoked.
        #[ts(type = "number")]
        grants: i64,
    },
    App {
        client_id: String,
        name: String,
        partner_name: Option<String>,
        enabled: bool,
        /// Grants not revoked.
        #[ts(type = "number")]
        grants: i64,
    },
    Grant {
        grant: GrantSummary,
        /// Found as the holder of a pasted token (not by its id).
        by_token: bool,
    },
}

/// How well a hit matches: lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    /// The grant holding a pasted token: nothing else can be meant.
    Token,
    Exact,
    Prefix,
    Within,
}

/// How `value` matches `term` (both compared in lower case), if it does.
fn matching(term: &str, value: &str) -> Option<Match> {
    let (t, v) = (term.to_lowercase(), value.to_lowercase());
    if v == t {
        Some(Match::Exact)
    } else if v.starts_with(&t) {
        Some(Match::Prefix)
    } else if v.contains(&t) {
        Some(Match::Within)
    } else {
        None
    }
}

impl SearchHit {
    /// The fields a term is matched against.
    fn fields(&self) -> Vec<&str> {
        match self {
            SearchHit::User {
                sub,
                username,
                email,
                name,
                ..
            } => {
                let mut f = vec![username.as_str(), sub.as_str()];
                f.extend(email.as_deref());
                f.extend(name.as_deref());
                f
            }
            SearchHit::App {
                client_id,
                name,
                partner_name,
                ..
            } => {
                let mut f = vec![name.as_str(), client_id.as_str()];
                f.extend(partner_name.as_deref());
                f
            }
            SearchHit::Grant { grant, .. } => vec![grant.grant_id.as_str()],
        }
    }

    fn rank(&self, term: &str) -> (Match, u8, String) {
        let best = match self {
            SearchHit::Grant { by_token: true, .. } => Match::Token,
            _ => self
                .fields()
                .into_iter()
                .filter_map(|f| matching(term, f))
                .min()
                .unwrap_or(Match::Within),
        };
        let (kind, label) = match self {
            SearchHit::User { username, .. } => (0, username.to_lowercase()),
            SearchHit::App { name, .. } => (1, name.to_lowercase()),
            SearchHit::Grant { grant, .. } => (2, grant.grant_id.clone()),
        };
        (best, kind, label)
    }
}

/// Orders hits: a pasted token's grant, then exact matches, then those that start with the term,
/// then those that hold it; people before apps before grants; then by name.
pub fn rank(term: &str, mut hits: Vec<SearchHit>) -> Vec<SearchHit> {
    hits.sort_by_cached_key(|h| h.rank(term));
    hits
}

/// Whether `term` could be (the start of) a grant id: a UUID's characters, at least 4.
fn could_be_grant_id(term: &str) -> bool {
    term.len() >= 4 && term.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Whether `term` looks like a pasted token rather than a name: long, without spaces.
fn could_be_token(term: &str) -> bool {
    term.len() >= 32 && !term.contains(char::is_whitespace)
}

impl Authdesk {
    /// Everything `term` may mean, best first, at most `limit` (1–50).
    pub async fn search(&self, term: &str, limit: i64) -> Result<Vec<SearchHit>> {
        let term = term.trim();
        if term.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, 50);
        let now = self.now();
        let mut hits = Vec::new();
        if could_be_token(term)
            && let Some(id) = self.grant_id_by_token(term).await?
        {
            let mut conn = self.store().read().await?;
            if let Some(g) = grants::get_named(&mut conn, &id).await? {
                hits.push(SearchHit::Grant {
                    grant: summary(&g, now),
                    by_token: true,
                });
            }
        }
        let mut conn = self.store().read().await?;
        for u in search::users(&mut conn, term, limit).await? {
            hits.push(SearchHit::User {
                sub: u.sub,
                username: u.username,
                email: u.email,
                name: u.name,
                grants: u.grants,
            });
        }
        for a in search::apps(&mut conn, term, limit).await? {
            hits.push(SearchHit::App {
                client_id: a.id,
                name: a.name,
                partner_name: a.partner_name,
                enabled: a.enabled,
                grants: a.grants,
            });
        }
        if could_be_grant_id(term) {
            for id in search::grant_ids(&mut conn, term, limit).await? {
                if let Some(g) = grants::get_named(&mut conn, &id).await? {
                    hits.push(SearchHit::Grant {
                        grant: summary(&g, now),
                        by_token: false,
                    });
                }
            }
        }
        let mut ranked = rank(term, hits);
        ranked.truncate(usize::try_from(limit).unwrap_or(50));
        Ok(ranked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(username: &str, email: Option<&str>) -> SearchHit {
        SearchHit::User {
            sub: format!("sub-{username}"),
            username: username.into(),
            email: email.map(String::from),
            name: None,
            grants: 0,
        }
    }

    fn app(name: &str) -> SearchHit {
        SearchHit::App {
            client_id: format!("id-{name}"),
            name: name.into(),
            partner_name: None,
            enabled: true,
            grants: 0,
        }
    }

    fn names(hits: &[SearchHit]) -> Vec<String> {
        hits.iter()
            .map(|h| match h {
                SearchHit::User { username, .. } => format!("user {username}"),
                SearchHit::App { name, .. } => format!("app {name}"),
                SearchHit::Grant { grant, .. } => format!("grant {}", grant.grant_id),
            })
            .collect()
    }

    #[test]
    fn exact_before_prefix_before_within_people_before_apps() {
        let hits = vec![
            app("My Budget"),
            user("budgetfan", None),
            app("Budget"),
            user("ann", Some("Budget@Example.com")),
            user("budget", None),
        ];
        assert_eq!(
            names(&rank("budget", hits)),
            [
                "user budget",    // exact user name
                "app Budget",     // exact app name, any case
                "user ann",       // e-mail starts with it
                "user budgetfan", // user name starts with it
                "app My Budget",  // holds it
            ]
        );
    }

    #[test]
    fn what_a_term_could_be() {
        assert!(could_be_grant_id("01a2"));
        assert!(could_be_grant_id("01a23582-1f59"));
        assert!(!could_be_grant_id("01a"));
        assert!(!could_be_grant_id("alice"));
        assert!(could_be_token(
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"
        ));
        assert!(!could_be_token("ann@example.com"));
        assert!(!could_be_token(
            "a name with spaces that is quite long indeed"
        ));
    }
}
