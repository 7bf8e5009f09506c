//! Client credentials with each authentication method, including private_key_jwt (RFC 7523)
//! with a registered JWKS and with a registered PEM key; assertions signed by jsonwebtoken.

use authdesk_core::client::{AuthMethod, ClientDraft, GrantType};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::*;

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

pub(crate) struct AppKey {
    encoding: EncodingKey,
    alg: Algorithm,
    kid: Option<String>,
    registered: String,
}

fn rsa_with_jwks() -> AppKey {
    let kp = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let private = pem("PRIVATE KEY", kp.as_der().unwrap().as_ref());
    let pk = kp.public_key();
    let jwks = json!({"keys": [{
        "kty": "RSA", "kid": "app-key-1", "use": "sig", "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(pk.modulus().big_endian_without_leading_zero()),
        "e": URL_SAFE_NO_PAD.encode(pk.exponent().big_endian_without_leading_zero()),
    }]});
    AppKey {
        encoding: EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
        alg: Algorithm::RS256,
        kid: Some("app-key-1".into()),
        registered: jwks.to_string(),
    }
}

pub(crate) fn ec_with_pem() -> AppKey {
    let kp = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let private = pem("PRIVATE KEY", kp.to_pkcs8v1().unwrap().as_ref());
    let public = pem("PUBLIC KEY", kp.public_key().as_der().unwrap().as_ref());
    AppKey {
        encoding: EncodingKey::from_ec_pem(private.as_bytes()).unwrap(),
        alg: Algorithm::ES256,
        kid: None,
        registered: public,
    }
}

pub(crate) async fn register(t: &TestApp, key: &AppKey) -> String {
    t.client(ClientDraft {
        name: "Treasury service".into(),
        auth_method: Some(AuthMethod::PrivateKeyJwt),
        public_key: Some(key.registered.clone()),
        grant_types: vec![GrantType::ClientCredentials],
        scopes: vec!["accounts".into()],
        ..Default::default()
    })
    .await
    .id
}

pub(crate) fn assertion(
    key: &AppKey,
    client_id: &str,
    aud: &str,
    exp_in: i64,
    jti: &str,
    now: i64,
) -> String {
    let mut h = Header::new(key.alg);
    h.kid = key.kid.clone();
    let claims = json!({"iss": client_id, "sub": client_id, "aud": aud, "jti": jti, "iat": now, "exp": now + exp_in});
    jsonwebtoken::encode(&h, &claims, &key.encoding).unwrap()
}

pub(crate) async fn cc_with_assertion(
    t: &TestApp,
    client_id: &str,
    a: &str,
) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(t.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", a),
        ])
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn private_key_jwt_with_jwks_and_with_pem() {
    let t = spawn_app().await;
    let now = t.app.now().timestamp();
    for key in [rsa_with_jwks(), ec_with_pem()] {
        let id = register(&t, &key).await;
        let token_url = t.url("/token");
        let good = assertion(&key, &id, &token_url, 60, &format!("{id}-1"), now);
        let (status, body) = cc_with_assertion(&t, &id, &good).await;
        assert_eq!(status, StatusCode::OK, "{:?}: {body}", key.alg);
        assert_eq!(claims(s(&body, "access_token"))["sub"], id.as_str());

        let issuer_aud = assertion(&key, &id, &t.issuer, 60, &format!("{id}-2"), now);
        assert_eq!(
            cc_with_assertion(&t, &id, &issuer_aud).await.0,
            StatusCode::OK,
            "issuer as audience"
        );

        let bad: Vec<(&str, String)> = vec![
            ("replayed", good.clone()),
            (
                "expired",
                assertion(&key, &id, &token_url, -1, &format!("{id}-3"), now),
            ),
            (
                "wrong audience",
                assertion(
                    &key,
                    &id,
                    "https://elsewhere.example/token",
                    60,
                    &format!("{id}-4"),
                    now,
                ),
            ),
            (
                "signed by another key",
                assertion(
                    &rsa_with_jwks(),
                    &id,
                    &token_url,
                    60,
                    &format!("{id}-5"),
                    now,
                ),
            ),
            (
                "too long-lived",
                assertion(&key, &id, &token_url, 7200, &format!("{id}-6"), now),
            ),
            ("not a JWT", "abc".into()),
        ];
        for (name, a) in bad {
            let (status, body) = cc_with_assertion(&t, &id, &a).await;
            assert_eq!(
                (status, s(&body, "error")),
                (StatusCode::UNAUTHORIZED, "invalid_client"),
                "{:?} {name}: {body}",
                key.alg
            );
        }
        // a client registered for private_key_jwt cannot fall back to a secret
        let r = reqwest::Client::new()
            .post(t.url("/token"))
            .basic_auth(&id, Some("guess"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn registration_refuses_private_keys_and_garbage() {
    let t = spawn_app().await;
    let kp = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let private = pem("PRIVATE KEY", kp.as_der().unwrap().as_ref());
    for key in [
        private,
        "not a key".to_string(),
        r#"{"keys": []}"#.to_string(),
    ] {
        let r = t
            .app
            .client_create(
                &ClientDraft {
                    name: "x".into(),
                    auth_method: Some(AuthMethod::PrivateKeyJwt),
                    public_key: Some(key),
                    grant_types: vec![GrantType::ClientCredentials],
                    ..Default::default()
                },
                &actor(),
            )
            .await;
        let e = r.expect_err("refused");
        assert_eq!(e.code(), "invalid_input");
    }
}

#[tokio::test]
async fn client_secret_basic_with_form_encoded_credentials() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    // RFC 6749 §2.3.1: id and secret are form-urlencoded inside Basic; our values are URL-safe,
    // so an encoded and a plain header must both work.
    let (status, _) = t.token(&c, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK);
    let enc = STANDARD.encode(format!(
        "{}:{}",
        c.id.replace('-', "%2D"),
        c.secret.clone().unwrap()
    ));
    let r = reqwest::Client::new()
        .post(t.url("/token"))
        .header("authorization", format!("Basic {enc}"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Secret rotation with an overlap window (`clients rotate-secret ID --overlap 24h`): the old
/// secret keeps working over HTTP until the window ends by the sandbox clock, the new one at
/// once; a rotation without overlap, or the next rotation, ends any window.
#[tokio::test]
async fn a_rotated_secret_keeps_working_for_its_overlap_only() {
    use chrono::Duration;
    let t = spawn_app().await;
    let app = t.confidential().await;
    let cc = |secret: &str| {
        let client = Registered {
            id: app.id.clone(),
            secret: Some(secret.to_string()),
        };
        let t = &t;
        async move {
            t.token(
                &client,
                &[("grant_type", "client_credentials"), ("scope", "accounts")],
            )
            .await
            .0
        }
    };
    let first = app.secret.clone().unwrap();
    let rotated = t
        .app
        .client_rotate_secret(&app.id, Some(Duration::hours(24)), &actor())
        .await
        .unwrap();
    let second = rotated.client_secret.unwrap();
    let until = rotated
        .client
        .previous_secret_until
        .expect("the window is shown");
    assert_eq!(until, t.app.now() + Duration::hours(24));
    assert_eq!(
        cc(&first).await,
        StatusCode::OK,
        "the old secret works during the overlap"
    );
    assert_eq!(cc(&second).await, StatusCode::OK, "the new one at once");

    t.advance(Duration::hours(23) + Duration::minutes(59)).await;
    assert_eq!(cc(&first).await, StatusCode::OK, "a minute before the end");
    t.advance(Duration::minutes(1)).await;
    assert_eq!(cc(&first).await, StatusCode::UNAUTHORIZED, "not at its end");
    assert_eq!(cc(&second).await, StatusCode::OK);

    // The next rotation with an overlap keeps only the secret it replaces.
    let third = t
        .app
        .client_rotate_secret(&app.id, Some(Duration::hours(1)), &actor())
        .await
        .unwrap()
        .client_secret
        .unwrap();
    assert_eq!(cc(&second).await, StatusCode::OK);
    assert_eq!(cc(&third).await, StatusCode::OK);
    // One without overlap ends that window at once.
    let fourth = t
        .app
        .client_rotate_secret(&app.id, None, &actor())
        .await
        .unwrap();
    assert_eq!(fourth.client.previous_secret_until, None);
    assert_eq!(cc(&third).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        cc(fourth.client_secret.as_deref().unwrap()).await,
        StatusCode::OK
    );

    // The window is bounded, and the audit says what was chosen.
    let err = t
        .app
        .client_rotate_secret(&app.id, Some(Duration::days(31)), &actor())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at most 30 days"), "{err}");
    let events = t
        .app
        .audit_list(
            &by_action(authdesk_server::api::audit::AuditAction::ClientRotateSecret),
            Default::default(),
            10,
        )
        .await
        .unwrap()
        .rows;
    assert_eq!(events.len(), 3);
    let oldest: Value = serde_json::from_str(&events[2].detail).unwrap();
    assert_eq!(oldest["overlap_seconds"], 86_400);
}

/// An app says why its calls may fail: disabled (by whom, when), its secret rotated, failed
/// client authentications lately — and nothing while all is well.
#[tokio::test]
async fn an_app_says_why_its_calls_fail() {
    use chrono::Duration;
    let t = spawn_app().await;
    let app = t.confidential().await;
    assert!(t.app.client_show(&app.id).await.unwrap().trouble.is_empty());
    t.advance(Duration::hours(1)).await;
    t.app
        .client_rotate_secret(&app.id, None, &actor())
        .await
        .unwrap();
    // The app still sends the old secret.
    let (status, _) = t
        .token(
            &app,
            &[("grant_type", "client_credentials"), ("scope", "accounts")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    t.app
        .client_set_enabled(&app.id, false, &actor())
        .await
        .unwrap();
    let trouble = t.app.client_show(&app.id).await.unwrap().trouble;
    assert_eq!(trouble.len(), 3, "{trouble:?}");
    assert!(
        trouble[0].starts_with("disabled 2026-03-01 10:00 UTC by test"),
        "{trouble:?}"
    );
    assert!(
        trouble[1].contains("requests with the old secret fail since then"),
        "{trouble:?}"
    );
    assert!(
        trouble[2].starts_with("1 failed client authentication in the last 30 days"),
        "{trouble:?}"
    );
    // A month on, enabled again: the rotation and the failure are old news.
    t.app
        .client_set_enabled(&app.id, true, &actor())
        .await
        .unwrap();
    t.advance(Duration::days(31)).await;
    assert!(t.app.client_show(&app.id).await.unwrap().trouble.is_empty());
}
