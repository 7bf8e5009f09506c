//! The Banno profile and what it brought to every profile (issue 22): endpoints under the
//! issuer's path, Banno's two issuers and endpoint names, the `claims` parameter, ID-token
//! algorithms per app, Jack Henry's `private_key_jwt` (PS256, no `kid`, `exp` in
//! milliseconds), JWKS URIs, service accounts, RP-initiated logout and the sandbox consumer
//! API. The same flows with Banno's own client libraries are in `clients/` (Node).

use authdesk_core::client::{AppType, AuthMethod, ClientDraft, GrantType};
use authdesk_core::site::{Endpoint, IssuerKind};
use authdesk_server::api::Profile;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::*;

const INSTITUTION: &str = "https://api.banno.com/consumer/claim/institution_id";
const CUSTOMER: &str = "https://api.banno.com/consumer/claim/customer_identifier";
const OFFLINE: &str = "https://api.banno.com/consumer/auth/offline_access";
const ACCOUNTS: &str = "https://api.banno.com/consumer/auth/accounts.readonly";
const TRANSACTIONS: &str = "https://api.banno.com/consumer/auth/transactions.detail.readonly";

async fn banno() -> TestApp {
    spawn_app_serving(Serving {
        profile: Some(Profile::Banno),
        sandbox_api: true,
        ..Default::default()
    })
    .await
}

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn discovery(url: &str) -> Value {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.json().await.unwrap()
}

/// Every URL a discovery document advertises answers (anything but 404 and 405: a token
/// endpoint without credentials answers 400/401, which is answering).
async fn every_advertised_url_answers(meta: &Value) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (k, v) in meta.as_object().unwrap() {
        if !(k.ends_with("_endpoint") || k == "jwks_uri") {
            continue;
        }
        let url = v.as_str().unwrap();
        let post = matches!(
            k.as_str(),
            "token_endpoint"
                | "introspection_endpoint"
                | "revocation_endpoint"
                | "pushed_authorization_request_endpoint"
        );
        let r = if post {
            http.post(url).form(&[("x", "y")]).send().await.unwrap()
        } else {
            http.get(url).send().await.unwrap()
        };
        assert!(
            !matches!(r.status().as_u16(), 404 | 405),
            "{k} {url} answered {}",
            r.status()
        );
    }
}

fn app(name: &str, scopes: &[&str]) -> ClientDraft {
    ClientDraft {
        name: name.into(),
        redirect_uris: vec![REDIRECT.into()],
        scopes: scopes.iter().map(|s| (*s).to_string()).collect(),
        consent_required: Some(false),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_issuer_with_a_path_serves_every_endpoint_under_it() {
    let t = spawn_app_serving(Serving {
        issuer_path: Some("/tenant-a".into()),
        ..Default::default()
    })
    .await;
    assert!(t.issuer.ends_with("/tenant-a"), "{}", t.issuer);
    let c = t.confidential().await;
    t.user("ada").await;
    let meta = discovery(&format!("{}/.well-known/openid-configuration", t.issuer)).await;
    assert_eq!(meta["issuer"], t.issuer.as_str());
    assert!(
        meta["token_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/tenant-a/token")
    );
    every_advertised_url_answers(&meta).await;
    // RFC 8414 §3: the well-known part before the issuer's path.
    let origin = t.issuer.trim_end_matches("/tenant-a");
    let oauth = discovery(&format!(
        "{origin}/.well-known/oauth-authorization-server/tenant-a"
    ))
    .await;
    assert_eq!(oauth["issuer"], t.issuer.as_str());
    for not_served in ["/.well-known/openid-configuration", "/token", "/authorize"] {
        let r = reqwest::get(format!("{origin}{not_served}")).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{not_served}");
    }

    // A strict client from discovery alone: the code flow through the pages, the ID token.
    let http = http();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(t.issuer.clone()).unwrap(), &http)
            .await
            .expect("discovery with a path");
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(c.id.clone()),
        Some(ClientSecret::new(c.secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    assert!(url.path().starts_with("/tenant-a/"), "{url}");
    let params = t.authorize(&browser(), url.as_str(), "ada").await;
    assert_eq!(params["iss"], t.issuer.as_str());
    let tokens = client
        .exchange_code(AuthorizationCode::new(
            s(&Value::Object(params), "code").into(),
        ))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .expect("ID token validates");
    assert_eq!(id.issuer().as_str(), t.issuer);
}

#[tokio::test]
async fn the_banno_profile_serves_bannos_two_issuers_and_names() {
    let t = banno().await;
    let consumer = t.app.site().issuer(IssuerKind::Consumer).unwrap().clone();
    let enterprise = t.app.site().issuer(IssuerKind::Enterprise).unwrap().clone();
    assert!(consumer.url.ends_with("/a/consumer/api/v0/oidc"));
    assert!(enterprise.url.ends_with("/a/oidc-provider/api/v0"));
    for issuer in [&consumer, &enterprise] {
        let meta = discovery(&format!("{}/.well-known/openid-configuration", issuer.url)).await;
        assert_eq!(meta["issuer"], issuer.url.as_str());
        let names = [
            ("authorization_endpoint", "/auth"),
            ("token_endpoint", "/token"),
            ("jwks_uri", "/jwks"),
            ("userinfo_endpoint", "/me"),
            ("introspection_endpoint", "/token/introspection"),
            ("revocation_endpoint", "/token/revocation"),
            ("end_session_endpoint", "/logout"),
        ];
        for (k, suffix) in names {
            assert_eq!(meta[k], format!("{}{suffix}", issuer.url), "{k}");
        }
        assert_eq!(meta["claims_parameter_supported"], true);
        assert!(
            meta["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(ACCOUNTS))
        );
        every_advertised_url_answers(&meta).await;
    }
    // The default profile's names are not served in this one.
    let origin = consumer.url.trim_end_matches("/a/consumer/api/v0/oidc");
    for path in [
        "/.well-known/openid-configuration",
        "/authorize",
        "/token",
        "/userinfo",
    ] {
        let r = reqwest::get(format!("{origin}{path}")).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // A consumer app's code flow at the consumer issuer; its ID tokens are ES256, the Banno
    // profile's default, and its refresh token works there only.
    t.user("ada").await;
    let c = t.client(app("Budget Pal", &["openid", OFFLINE])).await;
    let body = t.code_flow(&c, "ada", &format!("openid {OFFLINE}")).await;
    let id = s(&body, "id_token");
    assert_eq!(
        jsonwebtoken::decode_header(id).unwrap().alg,
        jsonwebtoken::Algorithm::ES256
    );
    assert_eq!(claims(id)["iss"], consumer.url.as_str());
    let rt = s(&body, "refresh_token");
    let at_enterprise = reqwest::Client::new()
        .post(enterprise.url_of(Endpoint::Token))
        .basic_auth(&c.id, c.secret.as_ref())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .unwrap();
    assert_eq!(at_enterprise.status(), StatusCode::BAD_REQUEST);
    let e: Value = at_enterprise.json().await.unwrap();
    assert!(s(&e, "error_description").contains("another issuer"), "{e}");
    let (status, refreshed) = t
        .token(
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");

    // An employee at the enterprise issuer (Banno's admin-API example): code flow, RS256 ID
    // tokens, client_secret_basic, scope openid profile.
    let admin = t
        .client(ClientDraft {
            id_token_alg: Some(authdesk_core::alg::Alg::RS256),
            ..app("Admin console", &["openid", "profile"])
        })
        .await;
    let verifier = format!("{}{}", authdesk_server::secret::generate(), "x");
    let mut url = url::Url::parse(&enterprise.url_of(Endpoint::Authorize)).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("client_id", admin.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "s2"),
        ("claims", r#"{"id_token":{},"userinfo":{}}"#),
        (
            "code_challenge",
            &authdesk_core::pkce::challenge_for(&verifier),
        ),
        ("code_challenge_method", "S256"),
    ]);
    let params = t.authorize(&browser(), url.as_str(), "ada").await;
    assert_eq!(params["iss"], enterprise.url.as_str());
    let r = reqwest::Client::new()
        .post(enterprise.url_of(Endpoint::Token))
        .basic_auth(&admin.id, admin.secret.as_ref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str().unwrap()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let id = s(&body, "id_token");
    assert_eq!(
        jsonwebtoken::decode_header(id).unwrap().alg,
        jsonwebtoken::Algorithm::RS256
    );
    assert_eq!(claims(id)["iss"], enterprise.url.as_str());
    assert_eq!(claims(id)["name"], "Ada Lovelace");
}

/// Runs a code flow asking for `claims`, and returns the token response.
async fn flow_with_claims(t: &TestApp, c: &Registered, scope: &str, claims_param: &str) -> Value {
    let verifier = format!("{}v", authdesk_server::secret::generate());
    let url = t.auth_url(&[
        ("client_id", &c.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", scope),
        ("state", "s1"),
        ("claims", claims_param),
        (
            "code_challenge",
            &authdesk_core::pkce::challenge_for(&verifier),
        ),
        ("code_challenge_method", "S256"),
    ]);
    let params = t.authorize(&browser(), &url, "ada").await;
    let (status, body) = t
        .token(
            c,
            &[
                ("grant_type", "authorization_code"),
                ("code", params["code"].as_str().unwrap()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn userinfo(t: &TestApp, at: &str) -> Value {
    reqwest::Client::new()
        .get(t.endpoint(Endpoint::Userinfo))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_claims_parameter_releases_what_is_asked_where_the_app_may_have_it() {
    let t = spawn_app_on_wall_clock().await;
    t.user("ada").await;
    let c = t
        .client(ClientDraft {
            custom_claims: vec![CUSTOMER.into()],
            ..app("Budget Pal", &["openid", "offline_access"])
        })
        .await;
    let other = t.client(app("Other", &["openid", "offline_access"])).await;
    // Banno's consumer example: standard and custom claims by name, scope openid only.
    let asked = json!({
        "id_token": {"given_name": null, "name": null, "email": null, INSTITUTION: null, CUSTOMER: {"essential": true}},
        "userinfo": {"name": null, INSTITUTION: null},
    })
    .to_string();
    let body = flow_with_claims(&t, &c, "openid offline_access", &asked).await;
    let id = claims(s(&body, "id_token"));
    assert_eq!(id["name"], "Ada Lovelace", "{id}");
    assert_eq!(id["email"], "ada@example.com");
    assert_eq!(id[INSTITUTION], "inst-42");
    assert_eq!(id.get(CUSTOMER), None, "restricted, and the user has none");
    let info = userinfo(&t, s(&body, "access_token")).await;
    assert_eq!(info["name"], "Ada Lovelace");
    assert_eq!(info[INSTITUTION], "inst-42");
    assert_eq!(info.get("email"), None, "asked for in the ID token only");
    // A refreshed ID token answers the same request.
    let (_, refreshed) = t
        .token(
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", s(&body, "refresh_token")),
            ],
        )
        .await;
    let again = claims(s(&refreshed, "id_token"));
    assert_eq!(again["name"], "Ada Lovelace");
    assert_eq!(again[INSTITUTION], "inst-42");

    // A restricted claim: only for the app enabled for it.
    let mut claims_map = serde_json::Map::new();
    claims_map.insert(CUSTOMER.into(), json!("CIF-1001"));
    let bob = t
        .app
        .user_create("bob", PASSWORD, claims_map, &actor())
        .await
        .unwrap();
    let asked = json!({"id_token": {CUSTOMER: null}}).to_string();
    let mut got = Vec::new();
    for app in [&c, &other] {
        let verifier = format!("{}v", authdesk_server::secret::generate());
        let url = t.auth_url(&[
            ("client_id", &app.id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("claims", &asked),
            (
                "code_challenge",
                &authdesk_core::pkce::challenge_for(&verifier),
            ),
            ("code_challenge_method", "S256"),
        ]);
        let params = t.authorize(&browser(), &url, "bob").await;
        let (_, body) = t
            .token(
                app,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", params["code"].as_str().unwrap()),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        got.push(claims(s(&body, "id_token")).get(CUSTOMER).cloned());
    }
    assert_eq!(got, [Some(json!("CIF-1001")), None]);
    assert_eq!(claims_map_len(&bob.claims), 1);

    // Junk: refused to the redirect URI with invalid_request, nothing stored.
    for junk in [
        "notjson",
        "[]",
        r#"{"id_token":"name"}"#,
        r#"{"userinfo":{"name":5}}"#,
    ] {
        let url = t.auth_url(&[
            ("client_id", &c.id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "s9"),
            ("claims", junk),
        ]);
        let r = browser().get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{junk}");
        let p = redirect_params(&r);
        assert_eq!(p["error"], "invalid_request", "{junk}");
        assert_eq!(p["state"], "s9");
    }
    let trouble = t.app.client_show(&c.id).await.unwrap().trouble.join("\n");
    assert!(
        trouble.contains("authorization requests refused") && trouble.contains("claims."),
        "{trouble}"
    );
    // Unknown and unreleasable names are simply not released (OIDC Core §5.5: not an error).
    let body = flow_with_claims(
        &t,
        &c,
        "openid",
        r#"{"id_token":{"https://other.example/claim":{"essential":true},"no_such_claim":null}}"#,
    )
    .await;
    let id = claims(s(&body, "id_token"));
    assert!(id.get("https://other.example/claim").is_none());
    assert!(id.get("no_such_claim").is_none());
}

fn claims_map_len(m: &serde_json::Map<String, Value>) -> usize {
    m.len()
}

#[tokio::test]
async fn each_app_gets_its_own_id_token_algorithm_and_the_jwks_publishes_them_all() {
    let t = spawn_app_on_wall_clock().await;
    t.user("ada").await;
    let mut expect = Vec::new();
    for alg in authdesk_core::alg::Alg::ALL {
        let c = t
            .client(ClientDraft {
                id_token_alg: Some(alg),
                ..app(&format!("{alg} app"), &["openid"])
            })
            .await;
        let body = t.code_flow(&c, "ada", "openid").await;
        let header = jsonwebtoken::decode_header(s(&body, "id_token")).unwrap();
        assert_eq!(format!("{:?}", header.alg), alg.as_str());
        // Access tokens keep the registry's algorithm.
        let at = jsonwebtoken::decode_header(s(&body, "access_token")).unwrap();
        assert_eq!(at.alg, jsonwebtoken::Algorithm::RS256);
        expect.push((alg.as_str().to_string(), header.kid.unwrap()));
    }
    let jwks: Value = reqwest::get(t.endpoint(Endpoint::Jwks))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (alg, kid) in expect {
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == kid.as_str() && k["alg"] == alg.as_str()),
            "{alg} {kid} in {jwks}"
        );
    }
    let meta = discovery(&t.endpoint(Endpoint::Discovery)).await;
    assert_eq!(
        meta["id_token_signing_alg_values_supported"],
        json!(["RS256", "PS256", "ES256"])
    );
}

/// An app's RSA key for PS256 assertions, as Jack Henry's helper makes them.
struct PsKey {
    pair: RsaKeyPair,
    jwk: Value,
}

fn ps_key(kid: &str) -> PsKey {
    let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let pk = pair.public_key();
    let jwk = json!({
        "kty": "RSA", "kid": kid, "use": "sig", "alg": "PS256",
        "n": URL_SAFE_NO_PAD.encode(pk.modulus().big_endian_without_leading_zero()),
        "e": URL_SAFE_NO_PAD.encode(pk.exponent().big_endian_without_leading_zero()),
    });
    PsKey { pair, jwk }
}

/// A compact JWS over `claims` with this header, signed PS256.
fn ps256(key: &PsKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut sig = vec![0; key.pair.public_modulus_len()];
    key.pair
        .sign(
            &signature::RSA_PSS_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Jack Henry's client-credentials request: no client_id, `scope=openid`.
async fn jh_token(url: &str, assertion: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn service_accounts_with_jack_henrys_assertions() {
    let t = banno().await;
    let sub = t.user("integration-bot").await;
    let enterprise = t.app.site().issuer(IssuerKind::Enterprise).unwrap().clone();
    let token_url = enterprise.url_of(Endpoint::Token);
    let key = ps_key("jh-1");
    let sa = t
        .client(ClientDraft {
            name: "Nightly sync".into(),
            app_type: Some(AppType::ServiceAccount),
            associated_user: Some("integration-bot".into()),
            public_key: Some(json!({"keys": [key.jwk]}).to_string()),
            scopes: vec!["openid".into()],
            ..Default::default()
        })
        .await;
    let now_ms = t.app.now().timestamp_millis();
    let jh = |exp: Value, jti: &str| {
        ps256(
            &key,
            &json!({"alg": "PS256"}),
            &json!({"iss": sa.id, "sub": sa.id, "aud": token_url, "jti": jti, "exp": exp}),
        )
    };
    let (status, body) = jh_token(&token_url, &jh(json!(now_ms + 60_000), "j1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let at = claims(s(&body, "access_token"));
    assert_eq!(at["sub"], sub.as_str(), "the associated user");
    assert_eq!(at["client_id"], sa.id.as_str());
    assert_eq!(at["iss"], enterprise.url.as_str());
    assert!(
        body.get("id_token").is_none(),
        "no ID token without a login"
    );
    assert!(body.get("refresh_token").is_none());

    // Bad assertions, each a clear invalid_client.
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!(now_ms + 360_000), "j2", "Banno profile"),
        (json!(now_ms - 1000), "j3", "expired"),
        (json!((now_ms + 60_000).to_string()), "j4", "number"),
        (json!(10_000_000_000_000_000_000u64), "j5", "date"),
        (json!(now_ms + 60_000), "j1", "already used"),
    ];
    for (exp, jti, why) in cases {
        let (status, body) = jh_token(&token_url, &jh(exp.clone(), jti)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{exp} {body}");
        assert_eq!(body["error"], "invalid_client");
        assert!(s(&body, "error_description").contains(why), "{why}: {body}");
    }
    // Explain (the app's trouble lines) says why its calls fail.
    let trouble = t.app.client_show(&sa.id).await.unwrap().trouble.join("\n");
    assert!(
        trouble.contains("failed client authentications"),
        "{trouble}"
    );
    assert!(
        trouble.contains("already used"),
        "the last reason: {trouble}"
    );
    let unknown_kid = ps256(
        &key,
        &json!({"alg": "PS256", "kid": "not-registered"}),
        &json!({"iss": sa.id, "sub": sa.id, "aud": token_url, "jti": "j6", "exp": now_ms + 60_000}),
    );
    let (status, body) = jh_token(&token_url, &unknown_kid).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(s(&body, "error_description").contains("kid"), "{body}");
    let crit = ps256(
        &key,
        &json!({"alg": "PS256", "crit": ["exp"]}),
        &json!({"iss": sa.id, "sub": sa.id, "aud": token_url, "jti": "j7", "exp": now_ms + 60_000}),
    );
    let (status, body) = jh_token(&token_url, &crit).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(s(&body, "error_description").contains("crit"), "{body}");

    // The access token works while its user exists; deleting the user ends it.
    let intro = t
        .client(ClientDraft {
            resource_server: Some(true),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["accounts".into()],
            ..app("Resource API", &[])
        })
        .await;
    let introspect = |token: String| {
        let (url, id, secret) = (
            enterprise.url_of(Endpoint::Introspect),
            intro.id.clone(),
            intro.secret.clone(),
        );
        async move {
            reqwest::Client::new()
                .post(url)
                .basic_auth(id, secret)
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let token = s(
        &body_ok(&token_url, &jh(json!(now_ms + 60_000), "j8")).await,
        "access_token",
    )
    .to_string();
    assert_eq!(introspect(token.clone()).await["active"], true);
    t.app.user_delete(&sub, &actor()).await.unwrap();
    assert_eq!(introspect(token).await["active"], false);
    let (status, body) = jh_token(&token_url, &jh(json!(now_ms + 60_000), "j9")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");

    // Registration rules: a service account needs its user, private_key_jwt, cc only.
    for (draft, field) in [
        (
            ClientDraft {
                name: "x".into(),
                app_type: Some(AppType::ServiceAccount),
                public_key: Some(json!({"keys": [key.jwk]}).to_string()),
                ..Default::default()
            },
            "associated_user",
        ),
        (
            ClientDraft {
                name: "x".into(),
                app_type: Some(AppType::ServiceAccount),
                associated_user: Some("nobody-by-that-name".into()),
                public_key: Some(json!({"keys": [key.jwk]}).to_string()),
                ..Default::default()
            },
            "associated_user",
        ),
        (
            ClientDraft {
                name: "x".into(),
                app_type: Some(AppType::ServiceAccount),
                auth_method: Some(AuthMethod::ClientSecretBasic),
                ..Default::default()
            },
            "auth_method",
        ),
    ] {
        let e = t.app.client_create(&draft, &actor()).await.unwrap_err();
        match e {
            authdesk_server::ApiError::Invalid { fields } => {
                assert!(fields.iter().any(|f| f.field == field), "{fields:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}

async fn body_ok(url: &str, assertion: &str) -> Value {
    let (status, body) = jh_token(url, assertion).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A local HTTP server answering `path` the way `answer` says.
async fn jwks_server(answer: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, answer).await });
    format!("http://{at}")
}

#[tokio::test]
async fn jwks_uris_are_fetched_with_limits_and_refetched_for_a_new_kid() {
    use axum::routing::get;
    let t = banno().await;
    let token_url = t.endpoint(Endpoint::Token);
    let served = std::sync::Arc::new(std::sync::Mutex::new(json!({"keys": []})));
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (s1, f1) = (served.clone(), fetches.clone());
    let base = jwks_server(
        axum::Router::new()
            .route(
                "/jwks",
                get(move || {
                    let (s1, f1) = (s1.clone(), f1.clone());
                    async move {
                        f1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        axum::Json(s1.lock().unwrap().clone())
                    }
                }),
            )
            .route(
                "/hangs",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .route(
                "/moved",
                get(|| async { axum::response::Redirect::temporary("/jwks") }),
            )
            .route("/huge", get(|| async { "x".repeat(10 * 1024 * 1024) })),
    )
    .await;
    let first = ps_key("k1");
    *served.lock().unwrap() = json!({"keys": [first.jwk]});
    let sa_with = |uri: String| ClientDraft {
        name: "JWKS URI app".into(),
        auth_method: Some(AuthMethod::PrivateKeyJwt),
        jwks_uri: Some(uri),
        grant_types: vec![GrantType::ClientCredentials],
        scopes: vec!["accounts".into()],
        ..Default::default()
    };
    let c = t.client(sa_with(format!("{base}/jwks"))).await;
    let sign = |key: &PsKey, kid: Option<&str>, jti: &str| {
        let now_ms = t.app.now().timestamp_millis();
        let header = match kid {
            Some(k) => json!({"alg": "PS256", "kid": k}),
            None => json!({"alg": "PS256"}),
        };
        ps256(
            key,
            &header,
            &json!({"iss": c.id, "sub": c.id, "aud": token_url, "jti": jti, "exp": now_ms + 60_000}),
        )
    };
    let cc = |a: String| {
        let url = token_url.clone();
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", a.as_str()),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(cc(sign(&first, None, "a1")).await.0, StatusCode::OK);
    assert_eq!(cc(sign(&first, Some("k1"), "a2")).await.0, StatusCode::OK);
    assert_eq!(
        fetches.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "cached"
    );
    // The app rotates its key: an unknown kid is not fetched again within the minute of the
    // last fetch (a stream of junk assertions cannot make the server hammer the app) ...
    let second = ps_key("k2");
    *served.lock().unwrap() = json!({"keys": [second.jwk]});
    let (status, body) = cc(sign(&second, Some("k2"), "a3")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        s(&body, "error_description").contains("less than a minute"),
        "{body}"
    );
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
    // ... and is after it: one new fetch, then the new key works.
    t.advance(chrono::Duration::seconds(61)).await;
    let (status, body) = cc(sign(&second, Some("k2"), "a4")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 2);
    let third = ps_key("k3");
    let (status, _) = cc(sign(&third, Some("k3"), "a5")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 2);

    // URIs that hang, redirect or answer 10 MB: invalid_client with the reason, an audit
    // event, and an answer within the fetch timeout.
    for (path, why) in [
        ("/hangs", "did not answer"),
        ("/moved", "redirect"),
        ("/huge", "larger than"),
    ] {
        let bad = t.client(sa_with(format!("{base}{path}"))).await;
        let now_ms = t.app.now().timestamp_millis();
        let a = ps256(
            &first,
            &json!({"alg": "PS256"}),
            &json!({"iss": bad.id, "sub": bad.id, "aud": token_url, "jti": "b1", "exp": now_ms + 60_000}),
        );
        let started = std::time::Instant::now();
        let r = reqwest::Client::new()
            .post(&token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", a.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(8),
            "{path}"
        );
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: Value = r.json().await.unwrap();
        assert!(
            s(&body, "error_description").contains(why),
            "{path}: {body}"
        );
        let events = t
            .app
            .audit_list(
                &by_action(authdesk_server::api::audit::AuditAction::ClientJwksFetchFailed),
                Default::default(),
                50,
            )
            .await
            .unwrap();
        assert!(events.rows.iter().any(|e| e.target == bad.id), "{path}");
        let trouble = t.app.client_show(&bad.id).await.unwrap().trouble.join("\n");
        assert!(
            trouble.contains("failed fetch of its JWKS URI") && trouble.contains(why),
            "{trouble}"
        );
    }
}

#[tokio::test]
async fn a_production_registry_fetches_public_https_jwks_uris_only() {
    let t = spawn_production_app().await;
    for (uri, why) in [
        ("http://example.com/jwks", "https"),
        ("https://127.0.0.1/jwks", "internal"),
        ("https://10.1.2.3/jwks", "internal"),
        ("https://[::1]/jwks", "internal"),
        ("https://169.254.169.254/latest/meta-data", "internal"),
        ("https://localhost/jwks", "internal"),
        ("ftp://example.com/jwks", "https"),
        ("https://user:pw@example.com/jwks", "user name"),
    ] {
        let draft = ClientDraft {
            name: "x".into(),
            auth_method: Some(AuthMethod::PrivateKeyJwt),
            jwks_uri: Some(uri.into()),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["accounts".into()],
            ..Default::default()
        };
        match t.app.client_create(&draft, &actor()).await {
            Err(authdesk_server::ApiError::Invalid { fields }) => assert!(
                fields
                    .iter()
                    .any(|f| f.field == "jwks_uri" && f.message.contains(why)),
                "{uri}: {fields:?}"
            ),
            other => panic!("{uri}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_session_and_goes_back_only_where_registered() {
    let t = spawn_app_serving(Serving {
        profile: Some(Profile::Banno),
        ..Default::default()
    })
    .await;
    t.user("ada").await;
    t.app.set_sso_over_http(true);
    let c = t
        .client(ClientDraft {
            post_logout_redirect_uris: vec!["http://127.0.0.1:9/signed-out".into()],
            ..app("Budget Pal", &["openid", OFFLINE])
        })
        .await;
    let b = browser();
    // Signed in, with a session this browser keeps.
    let verifier = format!("{}v", authdesk_server::secret::generate());
    let auth = |prompt: Option<&str>| {
        let mut p = vec![
            ("client_id", c.id.clone()),
            ("redirect_uri", REDIRECT.to_string()),
            ("response_type", "code".to_string()),
            ("scope", format!("openid {OFFLINE}")),
            (
                "code_challenge",
                authdesk_core::pkce::challenge_for(&verifier),
            ),
            ("code_challenge_method", "S256".to_string()),
        ];
        if let Some(pr) = prompt {
            p.push(("prompt", pr.to_string()));
        }
        let pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        t.auth_url(&pairs)
    };
    let params = t.authorize(&b, &auth(None), "ada").await;
    let (_, body) = t
        .token(
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", params["code"].as_str().unwrap()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    let id_token = s(&body, "id_token").to_string();
    let rt = s(&body, "refresh_token").to_string();
    let silent = b.get(auth(Some("none"))).send().await.unwrap();
    assert!(
        redirect_params(&silent).contains_key("code"),
        "SSO before logout"
    );

    let logout = t.endpoint(Endpoint::Logout);
    // A hint we did not sign, or a URI not registered: refused on a page, never redirected.
    let foreign = {
        let k = ps_key("foreign");
        ps256(
            &k,
            &json!({"alg": "PS256", "kid": "foreign"}),
            &json!({"iss": t.issuer, "aud": c.id}),
        )
    };
    for query in [
        vec![("id_token_hint", foreign.as_str())],
        vec![
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
        vec![("post_logout_redirect_uri", "http://127.0.0.1:9/signed-out")],
        vec![
            ("id_token_hint", id_token.as_str()),
            ("client_id", "another-app"),
        ],
    ] {
        let r = b.get(&logout).query(&query).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query:?}");
        assert!(r.headers().get("location").is_none());
    }
    // The confirmation page, then a forged confirmation (wrong CSRF token) is refused.
    let page = b
        .get(&logout)
        .query(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "http://127.0.0.1:9/signed-out"),
            ("state", "bye-1"),
            ("ui_locales", "fr"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("refresh tokens are not revoked"), "{html}");
    assert!(html.contains("Budget Pal"));
    let csrf = hidden(&html, "csrf_token");
    let form = |token: &str| {
        vec![
            ("csrf_token", token.to_string()),
            ("client_id", c.id.clone()),
            (
                "post_logout_redirect_uri",
                "http://127.0.0.1:9/signed-out".to_string(),
            ),
            ("state", "bye-1".to_string()),
            ("decision", "logout".to_string()),
        ]
    };
    let forged = browser()
        .post(t.form_action(&html))
        .form(&form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST, "another browser");
    let done = b
        .post(t.form_action(&html))
        .form(&form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers()["location"],
        "http://127.0.0.1:9/signed-out?state=bye-1"
    );
    // The session is over: prompt=none now needs a login. The refresh token still works.
    let silent = b.get(auth(Some("none"))).send().await.unwrap();
    assert_eq!(redirect_params(&silent)["error"], "login_required");
    let (status, _) = t
        .token(
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "offline access outlives a sign-out");
    let events = t
        .app
        .audit_list(
            &by_action(authdesk_server::api::audit::AuditAction::SessionEnd),
            Default::default(),
            10,
        )
        .await
        .unwrap();
    assert_eq!(events.rows.len(), 1);
    // Banno's tools send the user to `<base>/logout` with nothing: a page, no redirect.
    let origin = t.issuer.trim_end_matches("/a/consumer/api/v0/oidc");
    let r = b.get(format!("{origin}/logout")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Sign out"));
}

#[tokio::test]
async fn the_sandbox_consumer_api_answers_banno_example_calls_and_checks_tokens() {
    let t = banno().await;
    let sub = t.user("ada").await;
    t.user("bob").await;
    let c = t
        .client(app(
            "Budget Pal",
            &["openid", OFFLINE, ACCOUNTS, TRANSACTIONS],
        ))
        .await;
    let body = t
        .code_flow(&c, "ada", &format!("openid {ACCOUNTS} {TRANSACTIONS}"))
        .await;
    let at = s(&body, "access_token").to_string();
    let origin = t.issuer.trim_end_matches("/oidc");
    let api = |path: &str| format!("{origin}/users/{sub}{path}");
    let get = |url: String, token: Option<String>| async move {
        let mut r = reqwest::Client::new().get(url);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    };
    let accounts: Value = get(api("/accounts"), Some(at.clone()))
        .await
        .json()
        .await
        .unwrap();
    let list = accounts["accounts"].as_array().unwrap();
    assert!(list.len() >= 2, "{accounts}");
    let account = s(&list[0], "id").to_string();
    assert!(list[0]["balance"].is_string());
    let tx: Value = get(
        api(&format!("/accounts/{account}/transactions?limit=5")),
        Some(at.clone()),
    )
    .await
    .json()
    .await
    .unwrap();
    let txs = tx["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 5);
    for k in ["id", "accountId", "amount", "memo"] {
        assert!(txs[0][k].is_string(), "{k}: {}", txs[0]);
    }
    // The fetch task of Banno's consumer example: PUT, then the task has ended.
    let task: Value = reqwest::Client::new()
        .put(api("/fetch"))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let task_id = s(&task, "taskId");
    let state: Value = get(api(&format!("/tasks/{task_id}")), Some(at.clone()))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        state["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "TaskEnded"),
        "{state}"
    );
    // Refusals: no token, a bad token, another user's resources, a scope it lacks.
    let r = get(api("/accounts"), None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let r = get(api("/accounts"), Some("junk.token.here".into())).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let bobs = t.code_flow(&c, "bob", &format!("openid {ACCOUNTS}")).await;
    let r = get(api("/accounts"), Some(s(&bobs, "access_token").into())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another user's accounts");
    let narrow = t.code_flow(&c, "ada", "openid").await;
    let r = get(api("/accounts"), Some(s(&narrow, "access_token").into())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let www = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(www.contains("insufficient_scope"), "{www}");
    let r = get(
        api("/accounts/not-an-account/transactions"),
        Some(at.clone()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = get(
        api("/tasks/00000000-0000-4000-8000-000000000000"),
        Some(at.clone()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A revoked grant's token is refused at once.
    t.app
        .grant_revoke(
            &authdesk_store::grants::GrantSelector::User {
                sub: sub.clone(),
                client_id: None,
            },
            &actor(),
            "test",
        )
        .await
        .unwrap();
    assert_eq!(
        get(api("/accounts"), Some(at)).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
