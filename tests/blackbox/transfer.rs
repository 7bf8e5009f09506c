//! `export` / `import` of the registry: a sandbox's apps and people promoted into a production
//! directory and used there over HTTP (new secrets, the same private_key_jwt key, the same
//! passwords); secrets travel only under the same hash key; signing keys only when asked, and
//! then the imported signer signs; all or nothing, with the refusals named.

use crate::client_auth::{assertion, cc_with_assertion, ec_with_pem, register};
use authdesk_server::api::ApiError;
use authdesk_server::api::audit::AuditAction;
use authdesk_server::api::transfer::{self, ExportOptions, RegistryFile};
use reqwest::StatusCode;
use tests::*;

fn round_trip(doc: &RegistryFile) -> RegistryFile {
    transfer::parse(&serde_json::to_string(doc).unwrap()).expect("parses back")
}

fn refused(r: Result<impl std::fmt::Debug, ApiError>) -> String {
    match r {
        Err(ApiError::Refused(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn cc(t: &TestApp, id: &str, secret: &str) -> StatusCode {
    t.token(
        &Registered {
            id: id.into(),
            secret: Some(secret.into()),
        },
        &[("grant_type", "client_credentials"), ("scope", "accounts")],
    )
    .await
    .0
}

async fn app_count(t: &TestApp) -> usize {
    t.app
        .client_list("", Default::default())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_sandbox_registry_is_promoted_to_production_and_works_there() {
    let sandbox = spawn_app().await;
    let conf = sandbox.confidential().await;
    let public = sandbox.public().await;
    let key = ec_with_pem();
    let signed = register(&sandbox, &key).await;
    sandbox
        .app
        .client_set_enabled(&public.id, false, &actor())
        .await
        .unwrap();
    let ada = sandbox.user("ada").await;

    let doc = sandbox
        .app
        .export(ExportOptions::default(), &actor())
        .await
        .unwrap();
    let text = serde_json::to_string(&doc).unwrap();
    assert!(!text.contains("secret_hash") && !text.contains("private_pkcs8"));
    assert_eq!(doc.apps.len(), 3);
    let doc = round_trip(&doc);

    let prod = spawn_production_app().await;
    let report = prod.app.import(doc.clone(), &actor()).await.unwrap();
    assert_eq!((report.apps, report.users, report.keys), (3, 1, 0));
    // Only the app authenticating with a secret needs one: a new one, shown once.
    assert_eq!(report.new_secrets.len(), 1);
    let fresh = &report.new_secrets[0];
    assert_eq!(fresh.client_id, conf.id);
    assert_eq!(
        cc(&prod, &conf.id, &fresh.client_secret).await,
        StatusCode::OK
    );
    assert_eq!(
        cc(&prod, &conf.id, conf.secret.as_deref().unwrap()).await,
        StatusCode::UNAUTHORIZED,
        "the sandbox's secret does not open production"
    );
    // The same registration, the same enabled state.
    let (before, after) = (
        sandbox.app.client_show(&conf.id).await.unwrap(),
        prod.app.client_show(&conf.id).await.unwrap(),
    );
    assert_eq!(
        (
            before.name,
            before.redirect_uris,
            before.scopes,
            before.grant_types
        ),
        (
            after.name,
            after.redirect_uris,
            after.scopes,
            after.grant_types
        )
    );
    assert!(!prod.app.client_show(&public.id).await.unwrap().enabled);
    // private_key_jwt: the registered public key came along.
    let a = assertion(&key, &signed, &prod.url("/token"), 60, "j-1", 1_772_355_600);
    assert_eq!(
        cc_with_assertion(&prod, &signed, &a).await.0,
        StatusCode::OK
    );
    // Ada logs in to production with her sandbox password (the argon2 hash came along).
    let prod_app = Registered {
        id: conf.id.clone(),
        secret: Some(fresh.client_secret.clone()),
    };
    let tokens = prod.code_flow(&prod_app, "ada", "openid profile").await;
    let id_token = claims(s(&tokens, "id_token"));
    assert_eq!(id_token["name"], "Ada Lovelace");
    assert_eq!(id_token["sub"], ada.as_str(), "the same person");

    // Again: all refused, nothing written, the taken ids named.
    let apps = app_count(&prod).await;
    let m = refused(prod.app.import(doc.clone(), &actor()).await);
    assert!(
        m.contains("nothing was imported") && m.contains(&conf.id),
        "{m}"
    );
    assert_eq!(app_count(&prod).await, apps);

    // Audited on both sides.
    let exported = sandbox
        .app
        .audit_list(
            &by_action(AuditAction::RegistryExport),
            Default::default(),
            10,
        )
        .await
        .unwrap();
    assert_eq!(exported.total, 1);
    let created = prod
        .app
        .audit_list(
            &by_action(AuditAction::ClientCreate),
            Default::default(),
            10,
        )
        .await
        .unwrap();
    assert!(
        created
            .rows
            .iter()
            .all(|r| r.detail.contains("\"imported\":true"))
    );
    let imported = prod
        .app
        .audit_list(
            &by_action(AuditAction::RegistryImport),
            Default::default(),
            10,
        )
        .await
        .unwrap();
    assert_eq!(imported.total, 1);
}

#[tokio::test]
async fn secrets_travel_only_under_the_same_hash_key() {
    let t = spawn_app().await;
    let conf = t.confidential().await;
    let secret = conf.secret.clone().unwrap();
    let doc = t
        .app
        .export(
            ExportOptions {
                with_secrets: true,
                with_keys: false,
            },
            &actor(),
        )
        .await
        .unwrap();
    assert!(doc.apps[0].secret_hash.is_some());
    assert!(!serde_json::to_string(&doc).unwrap().contains(&secret));
    let doc = round_trip(&doc);

    // Another directory cannot check these hashes: refused, nothing written.
    let elsewhere = spawn_app().await;
    let m = refused(elsewhere.app.import(doc.clone(), &actor()).await);
    assert!(m.contains("another data directory's key"), "{m}");
    assert_eq!(app_count(&elsewhere).await, 0);

    // The same directory (after the app was deleted): the app's own secret works again.
    t.app.client_delete(&conf.id, &actor()).await.unwrap();
    assert_eq!(cc(&t, &conf.id, &secret).await, StatusCode::UNAUTHORIZED);
    let report = t.app.import(doc, &actor()).await.unwrap();
    assert!(report.new_secrets.is_empty());
    assert_eq!(cc(&t, &conf.id, &secret).await, StatusCode::OK);
}

#[tokio::test]
async fn signing_keys_move_only_when_asked_and_the_imported_signer_signs() {
    let from = spawn_app().await;
    from.app
        .key_rotate(authdesk_server::signing::Alg::ES256, true, &actor())
        .await
        .unwrap();
    let doc = from
        .app
        .export(
            ExportOptions {
                with_secrets: false,
                with_keys: true,
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(
        doc.keys.len(),
        2,
        "the RS256 key (ID tokens) and the ES256 signer of access tokens"
    );
    assert_eq!(
        doc.access_token_alg,
        Some(authdesk_server::signing::Alg::ES256)
    );
    let signer = doc
        .keys
        .iter()
        .find(|k| k.retired_at.is_none() && k.alg == "ES256")
        .unwrap()
        .kid
        .clone();
    let mut keys_only = round_trip(&doc);
    keys_only.apps.clear();
    keys_only.users.clear();

    let to = spawn_app().await;
    let own: Vec<String> = jwks_kids(&to).await;
    let report = to.app.import(keys_only.clone(), &actor()).await.unwrap();
    assert_eq!(report.keys, 2);
    let published = jwks_kids(&to).await;
    assert!(published.contains(&signer));
    assert!(
        own.iter().all(|k| published.contains(k)),
        "the replaced signer stays published"
    );
    let c = to.confidential().await;
    let (status, body) = to
        .token(
            &c,
            &[("grant_type", "client_credentials"), ("scope", "accounts")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let header = jsonwebtoken::decode_header(s(&body, "access_token")).unwrap();
    assert_eq!(header.kid.as_deref(), Some(signer.as_str()));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);

    // The same keys again: identical, so skipped, not refused.
    let again = to.app.import(keys_only, &actor()).await.unwrap();
    assert_eq!((again.keys, again.keys_already_present), (0, 2));
}

async fn jwks_kids(t: &TestApp) -> Vec<String> {
    let jwks: serde_json::Value = reqwest::get(t.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| s(k, "kid").to_string())
        .collect()
}

#[tokio::test]
async fn a_bad_file_is_refused_whole_with_a_reason() {
    let t = spawn_app().await;
    t.confidential().await;
    t.user("ada").await;
    let doc = t
        .app
        .export(ExportOptions::default(), &actor())
        .await
        .unwrap();
    let text = serde_json::to_value(&doc).unwrap();
    let target = spawn_app().await;
    let cases: Vec<(&str, Box<dyn Fn(&mut serde_json::Value)>, &str)> = vec![
        (
            "newer version",
            Box::new(|v| v["version"] = 3.into()),
            "newer Authdesk",
        ),
        (
            "another document",
            Box::new(|v| v["format"] = "x".into()),
            "not an Authdesk registry export",
        ),
        (
            "unknown field",
            Box::new(|v| v["apps"][0]["extra"] = 1.into()),
            "not readable",
        ),
        (
            "an invalid redirect URI",
            Box::new(|v| {
                v["apps"][0]["registration"]["redirect_uris"][0] = "javascript:alert(1)".into();
            }),
            "app 1",
        ),
        (
            "a password hash that would make logins costlier",
            Box::new(|v| {
                v["users"][0]["password_hash"] =
                    "$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
                        .into();
            }),
            "not an argon2 hash",
        ),
        (
            "a claim that is neither standard nor a URI",
            Box::new(|v| v["users"][0]["claims"]["favourite"] = "x".into()),
            "standard OIDC claim",
        ),
        (
            "the same app twice",
            Box::new(|v| {
                let a = v["apps"][0].clone();
                v["apps"].as_array_mut().unwrap().push(a);
            }),
            "twice",
        ),
        (
            "a secret hash for another key",
            Box::new(|v| v["apps"][0]["secret_hash"] = "AAAA".into()),
            "another data directory's key",
        ),
    ];
    for (name, change, expected) in cases {
        let mut v = text.clone();
        change(&mut v);
        let m = match transfer::parse(&v.to_string()) {
            Err(ApiError::Refused(m)) => m,
            Ok(file) => refused(target.app.import(file, &actor()).await),
            Err(other) => panic!("{name}: {other:?}"),
        };
        assert!(m.contains(expected), "{name}: {m}");
        assert_eq!(app_count(&target).await, 0, "{name}: nothing written");
    }
}
