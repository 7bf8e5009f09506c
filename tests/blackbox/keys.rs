//! Signing keys: rotation keeps old tokens verifiable, new tokens use the new key, the JWKS
//! publishes exactly the keys that may still verify a live token. ES256 is selectable.

use chrono::Duration;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use reqwest::StatusCode;
use serde_json::Value;
use tests::*;

async fn jwks(t: &TestApp) -> JwkSet {
    reqwest::get(t.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn verify(token: &str, set: &JwkSet) -> Value {
    let h = decode_header(token).unwrap();
    let jwk = set.find(h.kid.as_deref().unwrap()).expect("kid published");
    let mut v = Validation::new(h.alg);
    v.validate_exp = false;
    v.validate_aud = false;
    decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
        .unwrap()
        .claims
}

#[tokio::test]
async fn rotation_keeps_old_tokens_valid_until_they_expire_and_es256_signs_access_tokens_when_asked()
 {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let before = t.code_flow(&c, "ada", "openid").await;
    let old_at = s(&before, "access_token").to_string();
    let old_kid = decode_header(&old_at).unwrap().kid.unwrap();
    assert_eq!(
        decode_header(&old_at).unwrap().alg,
        jsonwebtoken::Algorithm::RS256
    );

    // A new RS256 key replaces the old one, which stays published for the tokens it signed.
    let new = t
        .app
        .key_rotate(authdesk_server::signing::Alg::RS256, false, &actor())
        .await
        .unwrap();
    let set = jwks(&t).await;
    assert_eq!(set.keys.len(), 2, "old and new key published");
    let after = t.code_flow(&c, "ada", "openid").await;
    let new_at = s(&after, "access_token");
    assert_eq!(
        decode_header(new_at).unwrap().kid.as_deref(),
        Some(new.kid.as_str())
    );
    verify(new_at, &set);
    verify(&old_at, &set);
    let ui = reqwest::Client::new()
        .get(t.url("/userinfo"))
        .bearer_auth(&old_at)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ui.status(),
        StatusCode::OK,
        "a token signed by the retired key still works"
    );

    // once nothing the old key signed can be live, it leaves the JWKS
    t.advance(Duration::hours(1) + Duration::seconds(1)).await;
    let set = jwks(&t).await;
    assert_eq!(set.keys.len(), 1);
    assert!(set.find(&old_kid).is_none());

    // ES256 for access tokens: a key of its own beside the RS256 one, which keeps signing
    // the ID tokens of apps whose algorithm is RS256.
    let es = t
        .app
        .key_rotate(authdesk_server::signing::Alg::ES256, true, &actor())
        .await
        .unwrap();
    let set = jwks(&t).await;
    assert_eq!(set.keys.len(), 2, "RS256 and ES256 both active");
    let es_flow = t.code_flow(&c, "ada", "openid").await;
    let es_at = s(&es_flow, "access_token");
    assert_eq!(
        decode_header(es_at).unwrap().kid.as_deref(),
        Some(es.kid.as_str())
    );
    assert_eq!(
        decode_header(es_at).unwrap().alg,
        jsonwebtoken::Algorithm::ES256
    );
    let id = s(&es_flow, "id_token");
    assert_eq!(
        decode_header(id).unwrap().kid.as_deref(),
        Some(new.kid.as_str())
    );
    verify(es_at, &set);
    verify(id, &set);
    for k in reqwest::get(t.url("/jwks"))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["keys"]
        .as_array()
        .unwrap()
    {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(k.get(private).is_none(), "no private member {private}");
        }
    }
}

#[tokio::test]
async fn keys_survive_a_restart() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let (_, body) = t.token(&c, &[("grant_type", "client_credentials")]).await;
    let reopened = t.open_again().await;
    assert_eq!(
        reopened.jwks(),
        t.app.jwks(),
        "same keys after reopening the data directory"
    );
    let kid = decode_header(s(&body, "access_token"))
        .unwrap()
        .kid
        .unwrap();
    assert!(
        reopened
            .key_list()
            .iter()
            .any(|k| k.kid == kid && k.state == "active")
    );
}
