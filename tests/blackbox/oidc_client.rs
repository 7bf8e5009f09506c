//! The `openidconnect` crate as a strict relying party: discovery, code + PKCE through the real
//! login and consent forms, ID token validation (signature via JWKS, nonce, at_hash), userinfo,
//! refresh.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use tests::*;

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn strict_client_code_flow_id_token_userinfo_refresh() {
    let t = spawn_app_on_wall_clock().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let http = http();

    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(t.issuer.clone()).unwrap(), &http)
            .await
            .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(c.id.clone()),
        Some(ClientSecret::new(c.secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    let params = t.authorize(&browser(), url.as_str(), "ada").await;
    assert_eq!(params["state"], state.secret().as_str());
    assert_eq!(
        params["iss"],
        t.issuer.as_str(),
        "RFC 9207 iss in the response"
    );
    let code = params["code"].as_str().unwrap().to_string();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("id token");
    let verifier = client.id_token_verifier();
    let id = id_token
        .claims(&verifier, &nonce)
        .expect("ID token validates");
    assert_eq!(id.preferred_username(), None);
    assert_eq!(id.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert!(id.auth_time().is_some());
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(id.access_token_hash(), Some(&at_hash));
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(scopes.contains(&"offline_access".to_string()));

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), id.subject().as_str());
    assert_eq!(info.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(
        info.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("Ada Lovelace")
    );

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        tokens.refresh_token().unwrap().secret()
    );
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    // A refreshed ID token is valid too (no nonce on refresh).
    let again = refreshed.id_token().expect("id token on refresh");
    again
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("refreshed ID token validates");
}

#[tokio::test]
async fn strict_client_with_client_secret_post() {
    let t = spawn_app_on_wall_clock().await;
    let c = t
        .client(authdesk_core::client::ClientDraft {
            name: "Post app".into(),
            auth_method: Some(authdesk_core::client::AuthMethod::ClientSecretPost),
            redirect_uris: vec![REDIRECT.into()],
            consent_required: Some(false),
            ..Default::default()
        })
        .await;
    t.user("bob").await;
    let http = http();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(t.issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(c.id.clone()),
        Some(ClientSecret::new(c.secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
    .set_auth_type(openidconnect::AuthType::RequestBody);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let params = t.authorize(&browser(), url.as_str(), "bob").await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(
            params["code"].as_str().unwrap().into(),
        ))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("exchange with client_secret_post");
    tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .expect("valid ID token");
    assert!(
        tokens.refresh_token().is_none(),
        "no offline_access, no refresh token"
    );
}

#[tokio::test]
async fn strict_client_client_credentials_with_basic_and_post() {
    let t = spawn_app_on_wall_clock().await;
    let http = http();
    for (method, auth_type) in [
        (
            authdesk_core::client::AuthMethod::ClientSecretBasic,
            openidconnect::AuthType::BasicAuth,
        ),
        (
            authdesk_core::client::AuthMethod::ClientSecretPost,
            openidconnect::AuthType::RequestBody,
        ),
    ] {
        let c = t
            .client(authdesk_core::client::ClientDraft {
                name: "Machine".into(),
                auth_method: Some(method),
                grant_types: vec![authdesk_core::client::GrantType::ClientCredentials],
                scopes: vec!["accounts".into()],
                ..Default::default()
            })
            .await;
        let meta =
            CoreProviderMetadata::discover_async(IssuerUrl::new(t.issuer.clone()).unwrap(), &http)
                .await
                .unwrap();
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(c.id.clone()),
            Some(ClientSecret::new(c.secret.clone().unwrap())),
        )
        .set_auth_type(auth_type);
        let tokens = client
            .exchange_client_credentials()
            .unwrap()
            .add_scope(Scope::new("accounts".into()))
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{method:?}: {e:?}"));
        assert_eq!(claims(tokens.access_token().secret())["sub"], c.id.as_str());
        assert!(tokens.refresh_token().is_none());
        // the wrong secret is an RFC 6749 error the library understands
        let wrong = CoreClient::from_provider_metadata(
            CoreProviderMetadata::discover_async(IssuerUrl::new(t.issuer.clone()).unwrap(), &http)
                .await
                .unwrap(),
            ClientId::new(c.id.clone()),
            Some(ClientSecret::new("wrong".into())),
        )
        .set_auth_type(
            if method == authdesk_core::client::AuthMethod::ClientSecretBasic {
                openidconnect::AuthType::BasicAuth
            } else {
                openidconnect::AuthType::RequestBody
            },
        );
        let err = wrong
            .exchange_client_credentials()
            .unwrap()
            .request_async(&http)
            .await
            .expect_err("wrong secret");
        match err {
            openidconnect::RequestTokenError::ServerResponse(r) => {
                assert_eq!(r.error().as_ref(), "invalid_client");
            }
            other => panic!("expected an RFC 6749 error response, got {other:?}"),
        }
    }
}
