//! Two statements count in SQL what `authdesk_core::status` decides in Rust: a revocation's
//! impact (usable refresh tokens, live access tokens) and the expiry histogram (each token's
//! effective expiry). This seeds every combination of grant and token state and holds the SQL
//! to the core rule at moments around each boundary, on SQLite and on PostgreSQL.

mod common;

use authdesk_core::clock::from_unix;
use authdesk_core::status::{self, GrantFacts, RefreshFacts, TokenStatus};
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::grants::{self, Ending, Ends, GrantRow, GrantSelector};
use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
use authdesk_store::{Role, Script, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};

const DAY: i64 = 86_400;
const T0: i64 = 1_800_000_000;

fn seed() -> (Vec<GrantRow>, Vec<RefreshTokenRow>, Vec<AccessTokenRow>) {
    let (mut gs, mut rs, mut ats) = (Vec::new(), Vec::new(), Vec::new());
    let revocations = [None, Some(T0 + 30 * DAY)];
    let chain_ends = [None, Some(T0 + 100 * DAY), Some(T0 + 365 * DAY)];
    let expiries = [50, 90, 200, 400];
    let mut n = 0;
    for revoked_at in revocations {
        for chain_ends_at in chain_ends {
            let g = GrantRow {
                id: format!("g{}", gs.len()),
                client_id: "app".into(),
                sub: "alice".into(),
                scope: "openid offline_access".into(),
                auth_time: T0,
                created_at: T0,
                chain_started_at: chain_ends_at.map(|_| T0),
                chain_ends_at,
                revoked_at,
                revoked_by: revoked_at.map(|_| "test".into()),
                revoke_reason: revoked_at.map(|_| "test".into()),
                issuer: None,
                claims: None,
                dpop_jkt: None,
            };
            for days in expiries {
                for consumed_at in [None, Some(T0 + DAY)] {
                    n += 1;
                    rs.push(RefreshTokenRow {
                        id: format!("r{n}"),
                        grant_id: g.id.clone(),
                        parent_id: None,
                        token_hash: format!("hash{n}").into_bytes(),
                        issued_at: T0,
                        expires_at: T0 + days * DAY,
                        consumed_at,
                        last_used_at: None,
                        use_count: 0,
                    });
                }
                for access_revoked in [None, Some(T0 + 5)] {
                    n += 1;
                    ats.push(AccessTokenRow {
                        jti: format!("a{n}"),
                        client_id: "app".into(),
                        sub: "alice".into(),
                        grant_id: Some(g.id.clone()),
                        refresh_token_id: None,
                        scope: "openid".into(),
                        issued_at: T0,
                        expires_at: T0 + days * DAY,
                        revoked_at: access_revoked,
                        dpop_jkt: None,
                    });
                }
            }
            gs.push(g);
        }
    }
    (gs, rs, ats)
}

async fn store_with(
    store: Store,
    gs: &[GrantRow],
    rs: &[RefreshTokenRow],
    ats: &[AccessTokenRow],
) -> Store {
    let (gs, rs, ats) = (gs.to_vec(), rs.to_vec(), ats.to_vec());
    store
        .write(move |tx| {
            Box::pin(async move {
                common::insert_app(tx, "app").await?;
                let mut script = Script::new();
                for g in &gs {
                    grants::insert_into(&mut script, g);
                }
                for r in &rs {
                    refresh_tokens::insert_into(&mut script, r);
                }
                for a in &ats {
                    access_tokens::insert_into(&mut script, a);
                }
                script.run(tx).await?;
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn impact_histogram_and_overview_agree_with_the_core_status_rule() {
    let dir = tempfile::tempdir().unwrap();
    agree_on(Store::open(dir.path(), Role::Admin).await.unwrap()).await;
    let url = common::pg::fresh_database().await;
    let clock = std::sync::Arc::new(authdesk_core::clock::SystemClock);
    agree_on(
        Store::open_postgres(&url, authdesk_store::Limits::default(), clock)
            .await
            .unwrap(),
    )
    .await;
}

async fn agree_on(store: Store) {
    let (gs, rs, ats) = seed();
    let on = if store.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let store = store_with(store, &gs, &rs, &ats).await;
    let grant = |id: &str| gs.iter().find(|g| g.id == id).unwrap();
    let all = GrantSelector::App("app".into());
    let mut conn = store.read().await.unwrap();
    let boundaries = [0, 1, 30, 50, 90, 100, 200, 365, 400, 401];
    let moments = boundaries
        .iter()
        .flat_map(|d| [T0 + d * DAY - 1, T0 + d * DAY, T0 + d * DAY + 1]);
    let mut listed = 0;
    for now in moments {
        let at = from_unix(now);
        let usable = rs
            .iter()
            .filter(|r| {
                status::refresh_status(
                    &RefreshFacts::from(*r),
                    &GrantFacts::from(grant(&r.grant_id)),
                    at,
                ) == TokenStatus::Active
            })
            .count() as i64;
        let live_access = ats
            .iter()
            .filter(|a| {
                let g = GrantFacts::from(grant(a.grant_id.as_deref().unwrap()));
                status::access_status(
                    from_unix(a.expires_at),
                    a.revoked_at.map(from_unix),
                    Some(&g),
                    at,
                )
                .is_active()
            })
            .count() as i64;
        let active_grants = gs
            .iter()
            .filter(|g| {
                status::grant_status(&GrantFacts::from(*g), at) == status::GrantStatus::Active
            })
            .count() as i64;
        let counts = authdesk_store::overview::counts(&mut conn, now)
            .await
            .unwrap();
        assert_eq!(
            counts.active_grants, active_grants,
            "active grants at {at} on {on}"
        );
        let impact = grants::impact(&mut conn, &all, now).await.unwrap();
        assert_eq!(
            impact.refresh_tokens, usable,
            "usable refresh tokens at {at} on {on}"
        );
        assert_eq!(
            impact.access_tokens, live_access,
            "live access tokens at {at} on {on}"
        );

        // The histogram: every unconsumed token of a live grant by its effective expiry, and
        // every live grant's chain end, by day from `now` for 500 days.
        let to = now + 500 * DAY;
        let mut want: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        for r in &rs {
            let g = grant(&r.grant_id);
            if g.revoked_at.is_some() || r.consumed_at.is_some() {
                continue;
            }
            let ends =
                status::effective_expiry(&RefreshFacts::from(r), &GrantFacts::from(g)).timestamp();
            if (now..to).contains(&ends) {
                want.entry((ends - now) / DAY).or_default().0 += 1;
            }
        }
        for g in &gs {
            match g.chain_ends_at {
                Some(ends) if g.revoked_at.is_none() && (now..to).contains(&ends) => {
                    want.entry((ends - now) / DAY).or_default().1 += 1;
                }
                _ => {}
            }
        }
        let got: BTreeMap<i64, (i64, i64)> = grants::expiry_histogram(&mut conn, now, to)
            .await
            .unwrap()
            .into_iter()
            .map(|(day, tokens, chains)| (day, (tokens, chains)))
            .collect();
        assert_eq!(got, want, "histogram at {at} on {on}");

        // The list behind a count or a bar: the live grants with a token (or their chain)
        // ending in the window, by the same rule, for windows of a day, a week and 30 days.
        for (from, days) in [
            (now, 1),
            (now, 7),
            (now + 7 * DAY, 7),
            (now, 30),
            (now, 500),
        ] {
            let to = from + days * DAY;
            let mut by_token: BTreeSet<String> = BTreeSet::new();
            for r in &rs {
                let g = grant(&r.grant_id);
                let ends = status::effective_expiry(&RefreshFacts::from(r), &GrantFacts::from(g))
                    .timestamp();
                if g.revoked_at.is_none() && r.consumed_at.is_none() && (from..to).contains(&ends) {
                    by_token.insert(g.id.clone());
                }
            }
            let by_chain: BTreeSet<String> = gs
                .iter()
                .filter(|g| {
                    g.revoked_at.is_none()
                        && g.chain_ends_at.is_some_and(|e| (from..to).contains(&e))
                })
                .map(|g| g.id.clone())
                .collect();
            for (what, want) in [(Ends::RefreshToken, by_token), (Ends::Chain, by_chain)] {
                let listing = grants::Listing {
                    ending: Some(Ending { what, from, to }),
                    ending_first: true,
                    now,
                    ..Default::default()
                };
                let got: BTreeSet<String> = grants::list(&mut conn, Some(&all), &listing, 1000, 0)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|n| n.grant.id)
                    .collect();
                listed += got.len();
                assert_eq!(
                    got, want,
                    "{what:?} ending in {days} days from {from} at {at} on {on}"
                );
            }
        }
    }
    assert!(
        listed > 100,
        "the windows listed only {listed} grants on {on}"
    );
}
