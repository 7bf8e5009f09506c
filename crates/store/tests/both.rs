//! Both schemas answer the same queries the same way: one script of the store's table
//! functions — every module, with the edge cases the rules rely on (conditional updates that
//! decide races, NULL handling, ordering, prefix search, JSON fields, pruning, the audit's hash
//! chain) — runs on SQLite and on PostgreSQL, and the two transcripts of answers must be equal.
//! A difference in dialect, type or ordering shows as the first differing line.

mod common;

use authdesk_core::client::ClientDraft;
use authdesk_core::login::Failures;
use authdesk_store::access_tokens::{self, AccessTokenRow};
use authdesk_store::audit::{self, AuditFilter};
use authdesk_store::clients::{self, ClientRow, PreviousSecret};
use authdesk_store::codes::{self, CodeRow};
use authdesk_store::facts::Writes;
use authdesk_store::grants::{self, GrantRow, GrantSelector};
use authdesk_store::interactions;
use authdesk_store::keys::{self, KeyRow};
use authdesk_store::prune::{self, Cutoffs, Kind};
use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
use authdesk_store::sessions::{self, SessionRow};
use authdesk_store::users::{self, UserRow};
use authdesk_store::{
    Conn, Script, StoreError, assertions, consents, login_failures, overview, search, settings,
};
use serde_json::json;

const DAY: i64 = 86_400;
const T0: i64 = 1_772_355_600; // 2026-03-01 09:00 UTC

fn app(id: &str, name: &str, partner: Option<&str>) -> ClientRow {
    ClientRow {
        id: id.into(),
        settings: ClientDraft {
            name: name.into(),
            partner_name: partner.map(String::from),
            redirect_uris: vec!["https://a.example/cb".into()],
            ..Default::default()
        }
        .validate()
        .expect("a valid draft"),
        secret_hash: Some(vec![1, 2, 3]),
        secret_rotated_at: Some(T0),
        previous_secret: None,
        enabled: true,
        created_at: T0,
        updated_at: T0,
    }
}

fn user(sub: &str, username: &str, email: &str, name: &str) -> UserRow {
    let serde_json::Value::Object(claims) = json!({"email": email, "name": name}) else {
        unreachable!()
    };
    UserRow {
        sub: sub.into(),
        username: username.into(),
        password_hash: "$argon2id$x".into(),
        claims,
        created_at: T0,
        updated_at: T0,
    }
}

fn grant(id: &str, client: &str, sub: &str, created: i64, chain_end: Option<i64>) -> GrantRow {
    GrantRow {
        id: id.into(),
        client_id: client.into(),
        sub: sub.into(),
        scope: "openid offline_access".into(),
        auth_time: created,
        created_at: created,
        chain_started_at: chain_end.map(|e| e - 365 * DAY),
        chain_ends_at: chain_end,
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
        issuer: None,
        claims: None,
        dpop_jkt: None,
    }
}

fn token(id: &str, grant: &str, parent: Option<&str>, issued: i64) -> RefreshTokenRow {
    RefreshTokenRow {
        id: id.into(),
        grant_id: grant.into(),
        parent_id: parent.map(String::from),
        token_hash: format!("hash-{id}").into_bytes(),
        issued_at: issued,
        expires_at: issued + 90 * DAY,
        consumed_at: None,
        last_used_at: None,
        use_count: 0,
    }
}

fn access(jti: &str, grant: Option<&str>, issued: i64) -> AccessTokenRow {
    AccessTokenRow {
        jti: jti.into(),
        client_id: "app-a".into(),
        sub: "sub-ada".into(),
        grant_id: grant.map(String::from),
        refresh_token_id: None,
        scope: "openid".into(),
        issued_at: issued,
        expires_at: issued + 600,
        revoked_at: None,
        dpop_jkt: None,
    }
}

/// The script: every answer goes into the transcript as one line.
async fn exercise(conn: &mut Conn) -> Result<Vec<String>, StoreError> {
    let mut t = Vec::new();
    let done = steps(conn, &mut t).await;
    done.map(|()| t.clone()).inspect_err(|_| {
        eprintln!("the script stopped after:\n{}", t.join("\n"));
    })
}

async fn steps(conn: &mut Conn, t: &mut Vec<String>) -> Result<(), StoreError> {
    macro_rules! say {
        ($label:expr, $value:expr) => {
            t.push(format!("{}: {:?}", $label, $value))
        };
    }

    // settings
    let mut w = Writes::none();
    settings::set_into(&mut w, "k", "first");
    settings::set_into(&mut w, "k2", "second");
    settings::bump_into(&mut w, "v0");
    settings::bump_into(&mut w, "v0");
    say!("set two, bump once", w.into_script().run(conn).await?);
    say!("set", settings::get(conn, "k2").await?);
    say!("bumped once", settings::get(conn, "v0").await?);
    settings::set(conn, "k", "third").await?;
    say!("get", settings::get(conn, "k").await?);
    say!("missing", settings::get(conn, "nope").await?);
    settings::bump(conn, "v").await?;
    settings::bump(conn, "v").await?;
    say!("bumped twice", settings::get(conn, "v").await?);

    // clients
    clients::insert(conn, &app("app-a", "Budget Pal", Some("Acme Finance"))).await?;
    clients::insert(conn, &app("app-b", "Ledger 100%_off", None)).await?;
    clients::insert(conn, &app("zz-app", "Alpha", None)).await?;
    say!(
        "duplicate app refused as unique",
        clients::insert(conn, &app("app-a", "X", None))
            .await
            .map_err(|e| e.is_unique_violation())
    );
    say!(
        "an app name that reads like one taken refused as unique",
        clients::insert(conn, &app("app-c", "BUDGET PAL", None))
            .await
            .map_err(|e| e.is_unique_violation())
    );
    say!(
        "the app a name reads as",
        (
            clients::named(conn, "budget pal").await?,
            clients::named(conn, "Budget Pals").await?
        )
    );
    let listed: Vec<String> = clients::list(conn, "", 10, 0)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    say!("apps by name", listed);
    let listed: Vec<String> = clients::list(conn, "100%_", 10, 0)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    say!("LIKE wildcards are plain text", listed);
    let app_a = clients::get(conn, "app-a").await?.expect("app-a is stored");
    let mut w = Writes::none();
    clients::update_into(
        &mut w,
        &ClientRow {
            secret_hash: Some(vec![9, 9]),
            previous_secret: Some(PreviousSecret {
                hash: vec![1, 2, 3],
                until: T0 + DAY,
            }),
            secret_rotated_at: Some(T0 + 1),
            updated_at: T0 + 1,
            ..app_a
        },
    );
    say!(
        "secret with overlap: the app and the registry's version",
        (w.changed().to_vec(), w.into_script().run(conn).await?)
    );
    say!(
        "disable",
        clients::set_enabled(conn, "app-b", false, T0 + 2).await?
    );
    say!(
        "disable unknown",
        clients::set_enabled(conn, "nope", false, T0).await?
    );
    let a = clients::get(conn, "app-a").await?.expect("app-a");
    say!(
        "app-a",
        (
            &a.settings.name,
            &a.secret_hash,
            &a.previous_secret,
            a.enabled,
            a.updated_at
        )
    );
    say!(
        "app-b enabled",
        clients::get(conn, "app-b").await?.map(|c| c.enabled)
    );

    // users
    users::insert(
        conn,
        &user("sub-ada", "ada", "Ada@Example.com", "Ada Lovelace"),
    )
    .await?;
    users::insert(
        conn,
        &user("sub-bob", "bob", "bob@example.com", "Bob Babbage"),
    )
    .await?;
    users::insert(conn, &user("sub-adb", "adb", "x@example.com", "Adrian")).await?;
    say!(
        "by username",
        users::by_username(conn, "bob").await?.map(|u| u.sub)
    );
    say!(
        "by username, spelt in capitals and full width",
        (
            users::by_username(conn, "BOB").await?.map(|u| u.sub),
            users::by_username(conn, "\u{ff42}\u{ff4f}\u{ff42}")
                .await?
                .map(|u| u.sub)
        )
    );
    // Two people stored before names were keyed whose names read the same: both stay, the
    // later one is reported, the first keeps the name.
    conn.execute(
        "INSERT INTO users (sub, username, password_hash, claims, created_at, updated_at) VALUES \
         ('sub-carol', 'carol', 'h', '{}', 1, 1), ('sub-carol2', 'CAROL', 'h', '{}', 2, 2)",
    )
    .await?;
    say!("named alike, reported", users::backfill_keys(conn).await?);
    say!(
        "both kept, the first found by name",
        (
            users::get(conn, "sub-carol2").await?.map(|u| u.username),
            users::by_username(conn, "Carol").await?.map(|u| u.sub),
            users::backfill_keys(conn).await?
        )
    );
    let listed: Vec<String> = users::list(conn, 10, 1)
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    say!("users page 2", listed);
    let serde_json::Value::Object(claims) = json!({"name": "Robert"}) else {
        unreachable!()
    };
    say!(
        "set_claims",
        users::set_claims(conn, "sub-bob", &claims, T0 + 5).await?
    );
    say!(
        "claims",
        users::get(conn, "sub-bob").await?.map(|u| u.claims)
    );

    // search: prefixes, case-insensitive, JSON fields
    let hits: Vec<(String, Option<String>, Option<String>)> = search::users(conn, "ad", 10)
        .await?
        .into_iter()
        .map(|h| (h.username, h.email, h.name))
        .collect();
    say!("people starting with ad", hits);
    let hits: Vec<String> = search::users(conn, "ada@", 10)
        .await?
        .into_iter()
        .map(|h| h.username)
        .collect();
    say!("people by e-mail", hits);
    let hits: Vec<(String, Option<String>, bool)> = search::apps(conn, "acme", 10)
        .await?
        .into_iter()
        .map(|h| (h.id, h.partner_name, h.enabled))
        .collect();
    say!("apps by partner", hits);

    // keys
    for (kid, created) in [("k1", T0), ("k2", T0 + 10)] {
        keys::insert(
            conn,
            &KeyRow {
                kid: kid.into(),
                alg: "RS256".into(),
                private_der: vec![0, 1, 2],
                public_jwk: "{}".into(),
                created_at: created,
                retired_at: None,
            },
        )
        .await?;
    }
    say!("has ES256", keys::has_active(conn, "ES256").await?);
    say!(
        "retire ES256",
        keys::retire_active(conn, "ES256", T0 + 20).await?
    );
    say!("has RS256", keys::has_active(conn, "RS256").await?);
    say!(
        "retire RS256",
        keys::retire_active(conn, "RS256", T0 + 20).await?
    );
    let all: Vec<(String, Option<i64>)> = keys::all(conn)
        .await?
        .into_iter()
        .map(|k| (k.kid, k.retired_at))
        .collect();
    say!("keys newest first", all);

    // sessions, interactions, consents, assertions, login failures
    sessions::insert(
        conn,
        &SessionRow {
            id_hash: vec![7; 32],
            sub: "sub-ada".into(),
            auth_time: T0,
            expires_at: T0 + DAY,
        },
    )
    .await?;
    say!(
        "session",
        sessions::get(conn, &[7; 32]).await?.map(|s| s.expires_at)
    );
    say!(
        "a login form: fresh, two wrong passwords, spent twice, wrong password once spent",
        (
            interactions::get(conn, "i1").await?,
            interactions::fail(conn, "i1", T0 + 600).await?,
            interactions::fail(conn, "i1", T0 + 600).await?,
            interactions::spend(conn, "i1", T0 + 600, T0 + 1).await?,
            interactions::spend(conn, "i1", T0 + 600, T0 + 2).await?,
            interactions::fail(conn, "i1", T0 + 600).await?,
            interactions::get(conn, "i1").await?
        )
    );
    say!(
        "a form completed first",
        (
            interactions::spend(conn, "i2", T0 + 600, T0).await?,
            interactions::get(conn, "i2").await?
        )
    );
    consents::put(conn, "sub-ada", "app-a", "openid", T0).await?;
    consents::put(conn, "sub-ada", "app-a", "openid email", T0 + 1).await?;
    say!("consent", consents::get(conn, "sub-ada", "app-a").await?);
    say!(
        "assertion first, replay, after expiry",
        (
            assertions::remember(conn, "app-a", "j1", T0 + 60, T0).await?,
            assertions::remember(conn, "app-a", "j1", T0 + 60, T0 + 1).await?,
            assertions::remember(conn, "app-a", "j1", T0 + 200, T0 + 61).await?
        )
    );
    login_failures::put(
        conn,
        "ada",
        &Failures {
            count: 3,
            last_failed_at: T0,
            locked_until: Some(T0 + 60),
        },
    )
    .await?;
    say!("login failures", login_failures::get(conn, "ada").await?);
    say!(
        "the same name in capitals",
        login_failures::get(conn, "ADA").await?
    );
    login_failures::clear(conn, "ada").await?;
    say!("cleared", login_failures::get(conn, "ada").await?);

    // grants, codes, refresh and access tokens
    let mut s = Script::new();
    grants::insert_into(
        &mut s,
        &grant("g1", "app-a", "sub-ada", T0, Some(T0 + 365 * DAY)),
    );
    grants::insert_into(&mut s, &grant("g2", "app-a", "sub-bob", T0 + 1, None));
    grants::insert_into(
        &mut s,
        &grant("g3", "app-b", "sub-ada", T0 + 2, Some(T0 + 30 * DAY)),
    );
    refresh_tokens::insert_into(&mut s, &token("r1", "g1", None, T0));
    refresh_tokens::insert_into(&mut s, &token("r2", "g1", Some("r1"), T0));
    refresh_tokens::insert_into(&mut s, &token("r3", "g3", None, T0 + 2));
    access_tokens::insert_into(&mut s, &access("a1", Some("g1"), T0));
    access_tokens::insert_into(&mut s, &access("a2", None, T0));
    say!("script rows", s.clone().run(conn).await?);
    say!(
        "grant",
        grants::get(conn, "g1").await?.map(|g| g.chain_ends_at)
    );
    let named: Vec<(String, Option<String>, Option<String>)> =
        grants::list(conn, None, &Default::default(), 10, 0)
            .await?
            .into_iter()
            .map(|n| (n.grant.id, n.client_name, n.username))
            .collect();
    say!("grants newest first, named", named);
    let of_user: Vec<String> = grants::list(
        conn,
        Some(&GrantSelector::User {
            sub: "sub-ada".into(),
            client_id: Some("app-a".into()),
        }),
        &Default::default(),
        10,
        0,
    )
    .await?
    .into_iter()
    .map(|n| n.grant.id)
    .collect();
    say!("ada's grants with app-a", of_user);
    for status in [
        authdesk_core::status::GrantStatus::Active,
        authdesk_core::status::GrantStatus::Revoked,
        authdesk_core::status::GrantStatus::ChainEnded,
    ] {
        let listing = grants::Listing {
            status: Some(status),
            ending_first: true,
            now: T0 + 400 * DAY,
            ..Default::default()
        };
        let ids: Vec<String> = grants::list(conn, None, &listing, 10, 0)
            .await?
            .into_iter()
            .map(|n| n.grant.id)
            .collect();
        say!(format!("grants {status:?} a year on, ending first"), ids);
    }
    say!(
        "impact of app-a",
        grants::impact(conn, &GrantSelector::App("app-a".into()), T0 + 1).await?
    );
    say!(
        "histogram",
        grants::expiry_histogram(conn, T0, T0 + 100 * DAY).await?
    );
    say!(
        "by hash",
        refresh_tokens::by_hash(conn, b"hash-r2")
            .await?
            .map(|(t, g)| (t.parent_id, g.id))
    );
    let many: Vec<(String, Option<String>)> =
        refresh_tokens::for_refresh_many(conn, &[b"hash-r1".to_vec(), b"hash-r3".to_vec()])
            .await?
            .into_iter()
            .map(|f| {
                (
                    f.token.id,
                    f.user_claims
                        .and_then(|c| c.get("name").map(ToString::to_string)),
                )
            })
            .collect();
    say!("facts for two refreshes", many);
    let r1 = refresh_tokens::by_hash(conn, b"hash-r1")
        .await?
        .expect("r1 is stored")
        .0;
    let mut w = Writes::none();
    refresh_tokens::record_use_into(&mut w, &r1, T0 + 3, true);
    refresh_tokens::record_use_into(&mut w, &r1, T0 + 4, true);
    say!("consume twice: one row", w.into_script().run(conn).await?);
    let tree: Vec<(String, Option<i64>, i64)> = refresh_tokens::of_grant(conn, "g1")
        .await?
        .into_iter()
        .map(|t| (t.id, t.consumed_at, t.use_count))
        .collect();
    say!("tree", tree);
    say!(
        "access token live",
        access_tokens::with_grant_state(conn, "a1")
            .await?
            .map(|(_, live)| live)
    );
    say!(
        "unbound access token live",
        access_tokens::with_grant_state(conn, "a2")
            .await?
            .map(|(_, live)| live)
    );
    say!(
        "revoke access token twice",
        (
            access_tokens::revoke(conn, "a1", T0 + 5).await?,
            access_tokens::revoke(conn, "a1", T0 + 6).await?
        )
    );
    codes::insert(
        conn,
        &CodeRow {
            code_hash: vec![5; 32],
            client_id: "app-a".into(),
            sub: "sub-ada".into(),
            redirect_uri: "https://a.example/cb".into(),
            scope: "openid".into(),
            code_challenge: Some("c".into()),
            nonce: None,
            auth_time: T0,
            issued_at: T0,
            expires_at: T0 + 60,
            used_at: None,
            grant_id: None,
            issuer: None,
            claims: None,
            dpop_jkt: None,
        },
    )
    .await?;
    say!(
        "code used twice",
        (
            codes::mark_used(conn, &[5; 32], T0 + 1, Some("g1")).await?,
            codes::mark_used(conn, &[5; 32], T0 + 2, Some("g1")).await?
        )
    );
    say!(
        "revoke ada's grants",
        grants::revoke(
            conn,
            &GrantSelector::User {
                sub: "sub-ada".into(),
                client_id: None
            },
            T0 + 10,
            "console:test",
            "lost phone"
        )
        .await?
    );
    say!(
        "revoked",
        grants::get(conn, "g3")
            .await?
            .map(|g| (g.revoked_by, g.revoke_reason))
    );
    say!("overview", overview::counts(conn, T0 + 10).await?);
    let grant_hits = search::grant_ids(conn, "g", 10).await?;
    say!("grant ids by prefix", grant_hits);

    // audit: record, seal, filter, verify, prune in order
    for (i, action) in ["client.create", "token.issue", "grant.revoke"]
        .iter()
        .enumerate()
    {
        audit::record(
            conn,
            T0 + i as i64,
            "console:ada",
            action,
            "app-a",
            &json!({"n": i, "note": "50% off"}),
        )
        .await?;
    }
    audit::seal(conn, T0 + 100).await?;
    let filter = AuditFilter {
        actor: Some("ADA"),
        text: Some("50% off"),
        ..Default::default()
    };
    let slice = audit::page(conn, &filter, Default::default(), 2).await?;
    let rows: Vec<(String, Option<i64>)> = slice
        .rows
        .iter()
        .map(|r| (r.action.clone(), r.recorded_at))
        .collect();
    say!("audit newest first, filtered", rows);
    say!("audit count", slice.matched);
    say!(
        "audit text search window reaches back to",
        slice.window.map(|w| (w.back_to, w.older))
    );
    let by_actor = AuditFilter {
        actor: Some("ADA"),
        ..Default::default()
    };
    let slice = audit::page(conn, &by_actor, Default::default(), 2).await?;
    say!(
        "audit by an actor's part: count, window",
        (slice.matched, slice.window)
    );
    let nobody = AuditFilter {
        actor: Some("nobody"),
        ..Default::default()
    };
    say!(
        "audit by an actor no event names",
        audit::page(conn, &nobody, Default::default(), 2)
            .await?
            .matched
    );
    say!("audit verify", audit::verify(conn).await?);

    // pruning, after the clock moved two years
    let later = T0 + 730 * DAY;
    let cutoffs = Cutoffs {
        now: later,
        clients_now: later,
        grants_ended_before: later - 90 * DAY,
        unchained_created_before: later - 90 * DAY,
        codes_expired_before: later - DAY,
        audit_before: T0 + 1,
        login_failures_before: later,
    };
    for kind in Kind::ALL {
        say!(kind.as_str(), prune::step(conn, kind, &cutoffs, 100).await?);
    }
    say!("counts after pruning", prune::counts(conn).await?);
    say!("audit verify after pruning", audit::verify(conn).await?);

    // deletes
    say!(
        "delete user twice",
        (
            users::delete(conn, "sub-bob").await?,
            users::delete(conn, "sub-bob").await?
        )
    );
    say!("delete app", clients::delete(conn, "zz-app").await?);
    Ok(())
}

#[tokio::test]
async fn sqlite_and_postgres_answer_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let store = authdesk_store::Store::open(dir.path(), authdesk_store::Role::Admin)
        .await
        .unwrap();
    let on_sqlite = store
        .write(|tx| Box::pin(exercise(tx)))
        .await
        .expect("the script runs on SQLite");

    let url = common::pg::fresh_database().await;
    let mut pg = authdesk_store::postgres_connection(&url)
        .await
        .expect("a migrated PostgreSQL database");
    let on_postgres = exercise(&mut pg)
        .await
        .expect("the script runs on PostgreSQL");

    assert!(on_sqlite.len() > 60, "the script ran: {on_sqlite:#?}");
    for (i, (s, p)) in on_sqlite.iter().zip(&on_postgres).enumerate() {
        assert_eq!(s, p, "line {i} differs (SQLite, then PostgreSQL)");
    }
    assert_eq!(on_sqlite.len(), on_postgres.len());
}
