//! Snapshots of wire formats, volatile fields redacted: discovery, token and error responses.

use tests::*;

#[tokio::test]
async fn discovery_document() {
    let t = spawn_app().await;
    let doc: serde_json::Value = reqwest::get(t.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["issuer"],
        t.issuer.as_str(),
        "issuer is byte-identical to the URL's prefix"
    );
    let text = doc.to_string().replace(&t.issuer, "[issuer]");
    insta::assert_json_snapshot!(
        "discovery",
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    );
    let meta: serde_json::Value = reqwest::get(t.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = meta.to_string().replace(&t.issuer, "[issuer]");
    insta::assert_json_snapshot!(
        "oauth_authorization_server",
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    );
    let jwks: serde_json::Value = reqwest::get(t.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    insta::assert_json_snapshot!("jwks", jwks, { ".keys[].kid" => "[kid]", ".keys[].n" => "[n]" });
}

#[tokio::test]
async fn token_and_error_responses() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let body = t.code_flow(&c, "ada", "openid offline_access").await;
    insta::assert_json_snapshot!("code_token_response", body, {
        ".access_token" => "[jwt]", ".id_token" => "[jwt]", ".refresh_token" => "[opaque]",
    });
    let at = claims(s(&body, "access_token"));
    insta::assert_json_snapshot!("access_token_claims", at, {
        ".aud" => "[client_id]", ".client_id" => "[client_id]", ".sub" => "[sub]", ".jti" => "[jti]", ".iss" => "[issuer]",
    });
    let id = claims(s(&body, "id_token"));
    insta::assert_json_snapshot!("id_token_claims", id, {
        ".aud" => "[client_id]", ".azp" => "[client_id]", ".sub" => "[sub]", ".iss" => "[issuer]", ".at_hash" => "[at_hash]",
    });
    let (_, e) = t
        .token(
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", "nope")],
        )
        .await;
    insta::assert_json_snapshot!("invalid_grant", e);
    let (_, e) = t
        .token(
            &Registered {
                id: c.id.clone(),
                secret: Some("wrong".into()),
            },
            &[("grant_type", "client_credentials")],
        )
        .await;
    insta::assert_json_snapshot!("invalid_client", e);
}
