//! DPoP (RFC 9449) over real HTTP: proofs at the token endpoint bind the tokens issued (the
//! access token's `cnf.jkt`, a public client's refresh tokens, a code asked for with
//! `dpop_jkt`); userinfo and introspection know bound tokens; every bad proof gets its RFC
//! error and is counted by its code. Proofs are made here with aws-lc-rs, as a client library
//! would; `clients/dpop.test.mjs` drives the same flows with openid-client. Proofs carry the
//! client's real time, so these servers run on the wall clock.

use authdesk_core::client::{ClientDraft, GrantType};
use authdesk_core::clock::{Clock, SystemClock};
use authdesk_core::site::Endpoint;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::*;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A client's DPoP key: signs proofs for a method and URL (and an access token's hash).
struct DpopKey {
    pair: EcdsaKeyPair,
}

impl DpopKey {
    fn new() -> DpopKey {
        DpopKey {
            pair: EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap(),
        }
    }

    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])})
    }

    fn jkt(&self) -> String {
        authdesk_core::dpop::thumbprint(self.jwk().as_object().unwrap()).unwrap()
    }

    fn sign(&self, claims: Value) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }

    /// A fresh proof (new `jti`, `iat` now) of `method` at `url`, for `token` if given.
    fn proof(&self, method: &str, url: &str, token: Option<&str>) -> String {
        let mut claims = json!({
            "jti": uuid::Uuid::new_v4().to_string(),
            "htm": method,
            "htu": url,
            "iat": SystemClock.now().timestamp(),
        });
        if let Some(t) = token {
            let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, t.as_bytes());
            claims["ath"] = json!(b64(hash.as_ref()));
        }
        self.sign(claims)
    }
}

/// POSTs a token request with these `DPoP` headers.
async fn token_with(
    t: &TestApp,
    client: &Registered,
    form: &[(&str, &str)],
    proofs: &[String],
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(t.endpoint(Endpoint::Token))
        .form(form);
    if let Some(s) = &client.secret {
        req = req.basic_auth(&client.id, Some(s));
    }
    for p in proofs {
        req = req.header("DPoP", p);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// GETs userinfo with this `Authorization` value and `DPoP` headers: the status, the
/// `WWW-Authenticate` header and the body.
async fn userinfo(
    t: &TestApp,
    authorization: &str,
    proofs: &[String],
) -> (StatusCode, String, Value) {
    let mut req = reqwest::Client::new()
        .get(t.endpoint(Endpoint::Userinfo))
        .header("Authorization", authorization);
    for p in proofs {
        req = req.header("DPoP", p);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let www = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, www, resp.json().await.unwrap_or(Value::Null))
}

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

#[tokio::test]
async fn client_credentials_with_a_proof_are_bound_and_introspection_names_the_key() {
    let t = spawn_app_on_wall_clock().await;
    let c = t.confidential().await;
    let key = DpopKey::new();
    let url = t.endpoint(Endpoint::Token);
    let form = [("grant_type", "client_credentials")];
    let (status, body) = token_with(&t, &c, &form, &[key.proof("POST", &url, None)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let at = s(&body, "access_token");
    assert_eq!(claims(at)["cnf"]["jkt"], key.jkt());

    // Without a proof the same app gets a bearer token: DPoP is the client's choice here.
    let (status, body) = token_with(&t, &c, &form, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(claims(s(&body, "access_token")).get("cnf").is_none());

    let resp = reqwest::Client::new()
        .post(t.endpoint(Endpoint::Introspect))
        .basic_auth(&c.id, c.secret.as_ref())
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    let i: Value = resp.json().await.unwrap();
    assert_eq!(i["active"], true);
    assert_eq!(i["token_type"], "DPoP");
    assert_eq!(i["cnf"]["jkt"], key.jkt());

    let discovery = get_json(&t.url("/.well-known/openid-configuration")).await;
    assert_eq!(
        discovery["dpop_signing_alg_values_supported"],
        json!(["ES256", "PS256", "RS256"])
    );
}

#[tokio::test]
async fn bad_proofs_get_invalid_dpop_proof_and_issue_nothing() {
    let t = spawn_app_on_wall_clock().await;
    let c = t.confidential().await;
    let key = DpopKey::new();
    let url = t.endpoint(Endpoint::Token);
    let form = [("grant_type", "client_credentials")];
    let used = key.proof("POST", &url, None);
    assert_eq!(
        token_with(&t, &c, &form, std::slice::from_ref(&used))
            .await
            .0,
        StatusCode::OK
    );
    let stored = || async {
        let mut conn = t.app.store().read().await.unwrap();
        authdesk_store::prune::counts(&mut conn).await.unwrap()
    };
    let before = stored().await;
    let now = SystemClock.now().timestamp();
    let claims_with = |k: &str, v: Value| {
        let mut c =
            json!({"jti": uuid::Uuid::new_v4().to_string(), "htm": "POST", "htu": url, "iat": now});
        c[k] = v;
        c
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("a replayed jti", vec![used]),
        (
            "two DPoP headers",
            vec![key.proof("POST", &url, None), key.proof("POST", &url, None)],
        ),
        ("htm GET", vec![key.sign(claims_with("htm", json!("GET")))]),
        (
            "htu of another endpoint",
            vec![key.sign(claims_with("htu", json!(t.endpoint(Endpoint::Userinfo))))],
        ),
        (
            "iat an hour ago",
            vec![key.sign(claims_with("iat", json!(now - 3600)))],
        ),
        ("not a JWT", vec!["not-a-jwt".into()]),
    ];
    for (name, proofs) in cases {
        let (status, body) = token_with(&t, &c, &form, &proofs).await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
            "{name}: {body}"
        );
    }
    // No token was issued for them.
    let after = stored().await;
    let tokens = |counts: &[(&str, i64)]| {
        counts
            .iter()
            .find(|(table, _)| *table == "access_tokens")
            .map(|(_, n)| *n)
    };
    assert_eq!(tokens(&before), tokens(&after));
    // And the metrics count them by their code.
    let m = crate::metrics::scrape(&t).await;
    assert_eq!(
        crate::metrics::sample(
            &m,
            "authdesk_oauth_errors_total{endpoint=\"/token\",error=\"invalid_dpop_proof\"}"
        ),
        Some(6.0),
        "{m}"
    );
}

#[tokio::test]
async fn an_app_registered_dpop_bound_must_send_a_proof() {
    let t = spawn_app_on_wall_clock().await;
    let c = t
        .client(ClientDraft {
            name: "Bound".into(),
            scopes: vec!["accounts".into()],
            grant_types: vec![GrantType::ClientCredentials],
            dpop_bound_access_tokens: Some(true),
            ..Default::default()
        })
        .await;
    let form = [("grant_type", "client_credentials")];
    let (status, body) = token_with(&t, &c, &form, &[]).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
        "{body}"
    );
    let key = DpopKey::new();
    let proof = key.proof("POST", &t.endpoint(Endpoint::Token), None);
    let (status, body) = token_with(&t, &c, &form, &[proof]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let shown = t.app.client_show(&c.id).await.unwrap();
    assert!(shown.dpop_bound_access_tokens);
}

/// A public client's code flow with `dpop_jkt` and proofs: the code needs that key, the
/// refresh tokens work with that key only, and userinfo takes the bound access token with a
/// proof of it only.
#[tokio::test]
async fn a_public_clients_tokens_are_bound_to_its_key_from_code_to_refresh_to_userinfo() {
    let t = spawn_app_on_wall_clock().await;
    let c = t.public().await;
    t.user("ada").await;
    let key = DpopKey::new();
    let other = DpopKey::new();
    let token_url = t.endpoint(Endpoint::Token);

    let code_for = |jkt: String| {
        let t = &t;
        let c = &c;
        async move {
            let verifier = format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
            let challenge = authdesk_core::pkce::challenge_for(&verifier);
            let url = t.auth_url(&[
                ("client_id", &c.id),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
                ("scope", "openid offline_access"),
                ("state", "s1"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("dpop_jkt", &jkt),
            ]);
            let params = t.authorize(&browser(), &url, "ada").await;
            (params["code"].as_str().unwrap().to_string(), verifier)
        }
    };
    let exchange = |code: String, verifier: String, proof: String| {
        let (t, c) = (&t, &c);
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier.as_str()),
                ("client_id", c.id.as_str()),
            ];
            token_with(t, c, &form, &[proof]).await
        }
    };

    // A code asked for with one key's thumbprint is refused with another key's proof.
    let (code, verifier) = code_for(key.jkt()).await;
    let (status, body) = exchange(code, verifier, other.proof("POST", &token_url, None)).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, "invalid_grant"),
        "{body}"
    );

    let (code, verifier) = code_for(key.jkt()).await;
    let (status, body) = exchange(code, verifier, key.proof("POST", &token_url, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let access = s(&body, "access_token").to_string();
    let refresh = s(&body, "refresh_token").to_string();
    assert_eq!(claims(&access)["cnf"]["jkt"], key.jkt());
    // Explain says what a call with either token needs, so a failed call can be understood.
    for token in [&access, &refresh] {
        let explained = t.app.token_explain(token, None).await.unwrap();
        assert!(
            explained
                .findings
                .iter()
                .any(|f| f.contains(&key.jkt()) && f.contains("DPoP proof")),
            "{:?}",
            explained.findings
        );
    }

    // With the proof of a call that failed, Explain names what is wrong with it.
    let ui = t.endpoint(Endpoint::Userinfo);
    let explain = |token: String, proof: String| {
        let t = &t;
        async move {
            let e = t.app.token_explain(&token, Some(&proof)).await.unwrap();
            (e.accepted, e.findings.join(" | "))
        }
    };
    for (name, token, proof, says) in [
        (
            "another key",
            &access,
            other.proof("GET", &ui, Some(&access)),
            "not the one the token is bound to",
        ),
        (
            "another token",
            &access,
            key.proof("GET", &ui, Some("not-this-token")),
            "ath is not the hash of this access token",
        ),
        (
            "not a proof",
            &access,
            "abc".into(),
            "the DPoP proof is refused",
        ),
        (
            "a refresh proven for userinfo",
            &refresh,
            key.proof("GET", &ui, None),
            "htm must be POST",
        ),
        (
            "a refresh proven by another key",
            &refresh,
            other.proof("POST", &token_url, None),
            "not the one the token is bound to",
        ),
    ] {
        let (accepted, findings) = explain(token.clone(), proof).await;
        assert!(!accepted && findings.contains(says), "{name}: {findings}");
    }
    let (accepted, findings) = explain(access.clone(), key.proof("GET", &ui, Some(&access))).await;
    assert!(accepted, "{findings}");
    assert!(
        findings.contains("signed by the key the token is bound to") && findings.contains(&ui),
        "{findings}"
    );

    // Userinfo: the bound token as Bearer, without a proof, with another key's, for another
    // URL: each refused with a DPoP challenge; with its proof, answered; the proof once only.
    let dpop_auth = format!("DPoP {access}");
    let (status, www, body) = userinfo(&t, &format!("Bearer {access}"), &[]).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    assert!(
        www.starts_with("DPoP ") && www.contains(r#"error="invalid_token""#),
        "{www}"
    );
    for (name, proofs) in [
        ("no proof", vec![]),
        ("another key", vec![other.proof("GET", &ui, Some(&access))]),
        (
            "another URL",
            vec![key.proof("GET", &token_url, Some(&access))],
        ),
        (
            "another token",
            vec![key.proof("GET", &ui, Some("not-this-token"))],
        ),
    ] {
        let (status, www, body) = userinfo(&t, &dpop_auth, &proofs).await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::UNAUTHORIZED, "invalid_dpop_proof"),
            "{name}: {body}"
        );
        assert!(www.starts_with("DPoP "), "{name}: {www}");
    }
    let proof = key.proof("GET", &ui, Some(&access));
    let (status, _, body) = userinfo(&t, &dpop_auth, std::slice::from_ref(&proof)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["sub"].is_string());
    let (status, _, body) = userinfo(&t, &dpop_auth, std::slice::from_ref(&proof)).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_dpop_proof"),
        "a replay"
    );
    let (accepted, findings) = explain(access.clone(), proof).await;
    assert!(
        !accepted && findings.contains("jti was used already"),
        "Explain of the replayed call: {findings}"
    );

    // Refresh: with another key or none, refused; with the key, a new bound pair.
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", c.id.as_str()),
    ];
    for proofs in [vec![], vec![other.proof("POST", &token_url, None)]] {
        let (status, body) = token_with(&t, &c, &refresh_form, &proofs).await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "{body}"
        );
    }
    let (status, body) = token_with(
        &t,
        &c,
        &refresh_form,
        &[key.proof("POST", &token_url, None)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(claims(s(&body, "access_token"))["cnf"]["jkt"], key.jkt());

    // A bearer token with the DPoP scheme is refused: the client learns what it holds.
    let (status, body) = token_with(
        &t,
        &t.confidential().await,
        &[("grant_type", "client_credentials")],
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, www, _) = userinfo(&t, &format!("DPoP {}", s(&body, "access_token")), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(www.starts_with("DPoP "), "{www}");
    let bearer = s(&body, "access_token").to_string();
    let (accepted, findings) = explain(bearer.clone(), key.proof("GET", &ui, Some(&bearer))).await;
    assert!(
        !accepted && findings.contains("not bound to a DPoP key"),
        "{findings}"
    );
}

impl DpopKey {
    /// [`DpopKey::proof`] carrying a server's nonce, made at `at`'s clients' time (the sandbox
    /// clock's moves are not a client's).
    fn proof_with_nonce(
        &self,
        at: &TestApp,
        (method, url): (&str, &str),
        token: Option<&str>,
        nonce: &str,
    ) -> String {
        let mut claims = json!({
            "jti": uuid::Uuid::new_v4().to_string(),
            "htm": method,
            "htu": url,
            "iat": at.app.client_now().timestamp(),
            "nonce": nonce,
        });
        if let Some(t) = token {
            let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, t.as_bytes());
            claims["ath"] = json!(b64(hash.as_ref()));
        }
        self.sign(claims)
    }
}

/// `serve --dpop-nonce` (RFC 9449 §8): a proof without the server's nonce is answered
/// `use_dpop_nonce` with the nonce to use, at the token endpoint (400) and at a resource (401
/// with a DPoP challenge); with it, the request passes. A nonce is good for two windows of the
/// clock, then refused as stale.
#[tokio::test]
async fn a_server_that_asks_for_nonces_hands_them_out_and_refuses_proofs_without() {
    let t = spawn_app_on_wall_clock().await;
    t.app.set_dpop_nonce_required(true);
    let c = t.confidential().await;
    let key = DpopKey::new();
    let url = t.endpoint(Endpoint::Token);
    let form = [("grant_type", "client_credentials")];
    let post = |proof: String| {
        let (t, c) = (&t, &c);
        async move {
            let resp = reqwest::Client::new()
                .post(t.endpoint(Endpoint::Token))
                .basic_auth(&c.id, c.secret.as_ref())
                .header("DPoP", proof)
                .form(&form)
                .send()
                .await
                .unwrap();
            let nonce = resp
                .headers()
                .get("dpop-nonce")
                .map(|v| v.to_str().unwrap().to_string());
            (resp.status(), nonce, resp.json::<Value>().await.unwrap())
        }
    };
    let (status, nonce, body) = post(key.proof("POST", &url, None)).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, "use_dpop_nonce"),
        "{body}"
    );
    let nonce = nonce.expect("a DPoP-Nonce header with the refusal");
    let (status, again, body) = post(key.proof_with_nonce(&t, ("POST", &url), None, &nonce)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(again.as_deref(), Some(nonce.as_str()));
    let access = s(&body, "access_token").to_string();

    // At a resource the same: 401 use_dpop_nonce with the nonce, then 200.
    let ui = t.endpoint(Endpoint::Userinfo);
    let (status, www, body) = userinfo(
        &t,
        &format!("DPoP {access}"),
        &[key.proof("GET", &ui, Some(&access))],
    )
    .await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::UNAUTHORIZED, "use_dpop_nonce"),
        "{body}"
    );
    assert!(
        www.starts_with("DPoP ") && www.contains("use_dpop_nonce"),
        "{www}"
    );
    // (A client's token has no openid scope here: userinfo then says so, past the proof.)
    let (status, _, body) = userinfo(
        &t,
        &format!("DPoP {access}"),
        &[key.proof_with_nonce(&t, ("GET", &ui), Some(&access), &nonce)],
    )
    .await;
    assert_ne!(error(&body), "use_dpop_nonce", "{status} {body}");
    assert_ne!(error(&body), "invalid_dpop_proof", "{status} {body}");

    // Two windows later the nonce is stale.
    t.advance(chrono::Duration::seconds(
        2 * authdesk_server::api::DPOP_NONCE_SECONDS,
    ))
    .await;
    let (status, fresh, body) = post(key.proof_with_nonce(&t, ("POST", &url), None, &nonce)).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, "use_dpop_nonce"),
        "{body}"
    );
    assert_ne!(fresh.as_deref(), Some(nonce.as_str()));
}

/// Mint in the Sandbox with DPoP: tokens bound to a key the Sandbox made, the key (private
/// part included) to sign more proofs with, and a call of userinfo whose proof works once.
#[tokio::test]
async fn the_sandbox_mints_a_bound_token_and_a_call_that_proves_its_key() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let sub = t.user("ada").await;
    let minted = t
        .app
        .mint(&c.id, Some(&sub), "openid offline_access", true, &actor())
        .await
        .unwrap();
    let key = minted
        .dpop
        .clone()
        .expect("the key the tokens are bound to");
    assert_eq!(minted.token_type, "DPoP");
    assert_eq!(claims(&minted.access_token)["cnf"]["jkt"], key.jkt);
    assert!(key.private_jwk["d"].as_str().is_some_and(|d| d.len() == 43));
    let command = &key.proof_command;
    assert!(
        command.contains(&t.endpoint(Endpoint::Userinfo)),
        "{command}"
    );
    let proof = command
        .split("DPoP: ")
        .nth(1)
        .map(|p| p.trim_end_matches('\'').to_string())
        .expect("a DPoP header in the command");
    let auth = format!("DPoP {}", minted.access_token);
    let (status, _, body) = userinfo(&t, &auth, std::slice::from_ref(&proof)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = userinfo(&t, &auth, &[proof]).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_dpop_proof")
    );
    // Without DPoP the Sandbox mints bearer tokens, as before.
    let plain = t
        .app
        .mint(&c.id, None, "accounts", false, &actor())
        .await
        .unwrap();
    assert_eq!(
        (plain.token_type.as_str(), plain.dpop.is_none()),
        ("Bearer", true)
    );
}

/// An administrator may let an app's DPoP-bound access tokens live longer (up to an hour), as
/// Jack Henry does; its bearer tokens keep the ten minutes, and more than the cap is refused.
#[tokio::test]
async fn bound_access_tokens_may_live_longer_when_the_app_says_so() {
    use authdesk_core::lifetime::LifetimeOverrides;
    let t = spawn_app_on_wall_clock().await;
    let draft = ClientDraft {
        name: "Long-lived bound".into(),
        scopes: vec!["accounts".into()],
        grant_types: vec![GrantType::ClientCredentials],
        lifetimes: LifetimeOverrides {
            bound_access_token: Some(1800),
            ..Default::default()
        },
        ..Default::default()
    };
    let c = t.client(draft.clone()).await;
    let form = [("grant_type", "client_credentials")];
    let (_, bearer) = token_with(&t, &c, &form, &[]).await;
    assert_eq!(bearer["expires_in"], 600, "{bearer}");
    let key = DpopKey::new();
    let proof = key.proof("POST", &t.endpoint(Endpoint::Token), None);
    let (_, bound) = token_with(&t, &c, &form, &[proof]).await;
    assert_eq!(
        (bound["token_type"].as_str(), bound["expires_in"].as_i64()),
        (Some("DPoP"), Some(1800)),
        "{bound}"
    );
    let at = claims(s(&bound, "access_token"));
    assert_eq!(
        at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap(),
        1800
    );
    let too_long = ClientDraft {
        name: "Too long".into(),
        lifetimes: LifetimeOverrides {
            bound_access_token: Some(3601),
            ..Default::default()
        },
        ..draft
    };
    let refused = t.app.client_create(&too_long, &actor()).await;
    assert!(format!("{refused:?}").contains("3600"), "{refused:?}");
}

/// One proof sent twice at once: one token, and one `invalid_dpop_proof` (the proof's `jti` is
/// recorded in the token's own write, so the second write finds it taken): never two tokens,
/// never a 500.
#[tokio::test]
async fn one_proof_sent_twice_at_once_gets_one_token() {
    let t = spawn_app_on_wall_clock().await;
    let c = t.confidential().await;
    let key = DpopKey::new();
    let form = [("grant_type", "client_credentials")];
    for _ in 0..5 {
        let proof = key.proof("POST", &t.endpoint(Endpoint::Token), None);
        let (a, b) = tokio::join!(
            token_with(&t, &c, &form, std::slice::from_ref(&proof)),
            token_with(&t, &c, &form, std::slice::from_ref(&proof)),
        );
        let mut outcomes = [
            (a.0, error(&a.1).to_string()),
            (b.0, error(&b.1).to_string()),
        ];
        outcomes.sort();
        assert_eq!(
            outcomes,
            [
                (StatusCode::OK, String::new()),
                (StatusCode::BAD_REQUEST, "invalid_dpop_proof".to_string())
            ]
        );
    }
}

/// The sandbox clock moves tokens' lifetimes, not clients' clocks: after a move of 90 days a
/// client's proof (its `iat` today) and its private_key_jwt assertion (its `exp` a minute from
/// today) still pass, and a proof dated on the moved clock is what is refused. The `jti`s are
/// remembered on the clients' clock too: a proof and an assertion used before the move are
/// still refused after it, pruning included.
#[tokio::test]
async fn a_moved_sandbox_clock_leaves_clients_on_their_own_clock() {
    use crate::client_auth::{assertion, cc_with_assertion, ec_with_pem, register};
    let t = spawn_app_on_wall_clock().await;
    let c = t.confidential().await;
    let key = DpopKey::new();
    let app_key = ec_with_pem();
    let signed = register(&t, &app_key).await;
    let url = t.endpoint(Endpoint::Token);
    let form = [("grant_type", "client_credentials")];
    let replayed = |status: StatusCode, body: &Value, code: &str, what: &str| {
        assert_eq!(
            (status, error(body)),
            (
                if code == "invalid_client" {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::BAD_REQUEST
                },
                code
            ),
            "{what}: {body}"
        );
    };

    // Used before the move ...
    let used_proof = key.proof("POST", &url, None);
    let (status, body) = token_with(&t, &c, &form, std::slice::from_ref(&used_proof)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let today = t.app.client_now().timestamp();
    let used_assertion = assertion(&app_key, &signed, &url, 60, "before-the-move", today);
    assert_eq!(
        cc_with_assertion(&t, &signed, &used_assertion).await.0,
        StatusCode::OK
    );

    t.advance(chrono::Duration::days(90)).await;
    t.sealed().await;
    t.app.prune().await.unwrap();

    // ... still refused after it, a prune pass included.
    let (status, body) = token_with(&t, &c, &form, &[used_proof]).await;
    replayed(
        status,
        &body,
        "invalid_dpop_proof",
        "a proof replayed after the move",
    );
    let (status, body) = cc_with_assertion(&t, &signed, &used_assertion).await;
    replayed(
        status,
        &body,
        "invalid_client",
        "an assertion replayed after the move",
    );

    // New ones, dated by the client's clock, pass.
    let proof = key.proof("POST", &url, None);
    let (status, body) = token_with(&t, &c, &form, std::slice::from_ref(&proof)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP", "{body}");
    let access = claims(s(&body, "access_token"));
    assert!(
        access["iat"].as_i64().unwrap() > SystemClock.now().timestamp() + 89 * 86_400,
        "the token's own times are on the sandbox clock: {access}"
    );
    let (status, body) = token_with(&t, &c, &form, &[proof]).await;
    replayed(
        status,
        &body,
        "invalid_dpop_proof",
        "a replay after the move",
    );
    let on_the_moved_clock = key.sign(json!({
        "jti": uuid::Uuid::new_v4().to_string(), "htm": "POST", "htu": url,
        "iat": t.app.now().timestamp(),
    }));
    let (status, body) = token_with(&t, &c, &form, &[on_the_moved_clock]).await;
    replayed(
        status,
        &body,
        "invalid_dpop_proof",
        "a proof dated on the moved clock",
    );

    let today = t.app.client_now().timestamp();
    let a = assertion(&app_key, &signed, &url, 60, "moved-1", today);
    let (status, body) = cc_with_assertion(&t, &signed, &a).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = cc_with_assertion(&t, &signed, &a).await;
    replayed(status, &body, "invalid_client", "a replayed assertion");
}
