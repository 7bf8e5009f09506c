//! The authorization request rules, table-tested without a server: what is a page, what goes
//! back to the app, and what a valid request keeps.

use authdesk_core::authorize::*;
use authdesk_core::client::{ClientDraft, ClientSettings, ClientType};
use authdesk_core::params::Params;
use authdesk_core::pkce::challenge_for;

const CB: &str = "https://app.example/cb";

fn settings(client_type: ClientType) -> ClientSettings {
    ClientDraft {
        name: "app".into(),
        client_type: Some(client_type),
        redirect_uris: vec![CB.into()],
        ..Default::default()
    }
    .validate()
    .unwrap()
}

fn params(pairs: &[(&str, &str)]) -> Params {
    Params(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn with(extra: &[(&str, &str)], without: &[&str]) -> Params {
    let challenge = challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    let base = [
        ("client_id", "app"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    Params(
        base.iter()
            .filter(|(k, _)| !without.contains(k))
            .chain(extra)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn parse(p: &Params, client_type: ClientType, enabled: bool) -> Result<Request, Refusal> {
    let s = settings(client_type);
    Request::parse(
        p,
        Registered {
            client_id: "app",
            settings: &s,
            enabled,
        },
        authdesk_core::site::IssuerKind::Main,
    )
}

fn code_of(r: Result<Request, Refusal>) -> String {
    match r {
        Err(Refusal::Redirect {
            error,
            state,
            redirect_uri,
        }) => {
            assert_eq!(redirect_uri, CB);
            format!("{}|{}", error.code.as_str(), state.unwrap_or_default())
        }
        Err(Refusal::Page(m)) => format!("page: {m}"),
        Ok(_) => "ok".into(),
    }
}

#[test]
fn client_id_step() {
    assert_eq!(client_id(&params(&[("client_id", "a")])), Ok("a"));
    assert!(matches!(client_id(&params(&[])), Err(Refusal::Page(_))));
    assert!(matches!(
        client_id(&params(&[("client_id", "")])),
        Err(Refusal::Page(_))
    ));
    assert!(matches!(
        client_id(&params(&[("client_id", "a"), ("client_id", "a")])),
        Err(Refusal::Page(_))
    ));
}

#[test]
fn a_good_request() {
    let r = parse(
        &with(&[("nonce", "n"), ("login_hint", "alice")], &[]),
        ClientType::Public,
        true,
    )
    .unwrap();
    assert_eq!(r.redirect_uri, CB);
    assert_eq!(r.state.as_deref(), Some("s1"));
    assert_eq!(r.nonce.as_deref(), Some("n"));
    assert_eq!(r.login_hint.as_deref(), Some("alice"));
    assert!(r.code_challenge.is_some());
    assert!(!r.prompt_login && !r.prompt_consent && !r.prompt_none);
    let kept: Request = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(kept, r, "kept as JSON with the interaction");
}

#[test]
fn refusals_table() {
    use ClientType::*;
    let long_state = "s".repeat(MAX_STATE + 1);
    let long_nonce = "n".repeat(MAX_NONCE + 1);
    let cases: Vec<(&str, Params, ClientType, bool, &str)> = vec![
        (
            "no redirect_uri",
            with(&[], &["redirect_uri"]),
            Public,
            true,
            "page: The request has no redirect_uri.",
        ),
        (
            "two redirect_uris",
            with(&[("redirect_uri", CB)], &[]),
            Public,
            true,
            "page: The request names redirect_uri more than once.",
        ),
        (
            "unregistered redirect_uri",
            with(
                &[("redirect_uri", "https://evil.example/cb")],
                &["redirect_uri"],
            ),
            Public,
            true,
            "page: The redirect_uri is not registered for this application.",
        ),
        (
            "prefix of the registered one",
            with(
                &[("redirect_uri", "https://app.example/c")],
                &["redirect_uri"],
            ),
            Public,
            true,
            "page: The redirect_uri is not registered for this application.",
        ),
        (
            "repeated scope",
            with(&[("scope", "openid")], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "disabled app",
            with(&[], &[]),
            Public,
            false,
            "unauthorized_client|s1",
        ),
        (
            "request object",
            with(&[("request", "x")], &[]),
            Public,
            true,
            "request_not_supported|s1",
        ),
        (
            "request_uri",
            with(&[("request_uri", "x")], &[]),
            Public,
            true,
            "request_uri_not_supported|s1",
        ),
        (
            "no response_type",
            with(&[], &["response_type"]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "implicit",
            with(&[("response_type", "token")], &["response_type"]),
            Public,
            true,
            "unsupported_response_type|s1",
        ),
        (
            "fragment mode",
            with(&[("response_mode", "fragment")], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "no scope",
            with(&[], &["scope"]),
            Public,
            true,
            "invalid_scope|s1",
        ),
        (
            "scope not allowed",
            with(&[("scope", "openid admin")], &["scope"]),
            Public,
            true,
            "invalid_scope|s1",
        ),
        (
            "public without PKCE",
            with(&[], &["code_challenge", "code_challenge_method"]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "confidential without PKCE",
            with(&[], &["code_challenge", "code_challenge_method"]),
            Confidential,
            true,
            "ok",
        ),
        (
            "method without challenge",
            with(&[], &["code_challenge"]),
            Confidential,
            true,
            "invalid_request|s1",
        ),
        (
            "plain",
            with(
                &[("code_challenge_method", "plain")],
                &["code_challenge_method"],
            ),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "unknown prompt",
            with(&[("prompt", "maybe")], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "prompt none with login",
            with(&[("prompt", "none login")], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "negative max_age",
            with(&[("max_age", "-1")], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "max_age not a number",
            with(&[("max_age", "soon")], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "long nonce",
            with(&[("nonce", &long_nonce)], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "no state is fine",
            with(&[], &["state"]),
            Public,
            true,
            "ok",
        ),
        (
            "claims not JSON",
            with(&[("claims", "notjson")], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "claims member not an object",
            with(&[("claims", r#"{"userinfo":["name"]}"#)], &[]),
            Public,
            true,
            "invalid_request|s1",
        ),
        (
            "claims as OIDC says",
            with(
                &[(
                    "claims",
                    r#"{"id_token":{"name":null},"userinfo":{"email":{"essential":true}}}"#,
                )],
                &[],
            ),
            Public,
            true,
            "ok",
        ),
    ];
    for (name, p, client_type, enabled, want) in cases {
        assert_eq!(code_of(parse(&p, client_type, enabled)), want, "{name}");
    }
    // A state too long is still sent back: the app can match its own request.
    let r = parse(&with(&[("state", &long_state)], &["state"]), Public, true);
    assert!(matches!(r, Err(Refusal::Redirect { state: Some(s), .. }) if s == long_state));
}

#[test]
fn prompts_and_max_age() {
    let p = |extra: &[(&str, &str)]| parse(&with(extra, &[]), ClientType::Public, true).unwrap();
    assert!(p(&[("prompt", "login")]).prompt_login);
    assert!(p(&[("max_age", "0")]).prompt_login);
    assert_eq!(p(&[("max_age", "60")]).max_age, Some(60));
    assert!(!p(&[("max_age", "60")]).prompt_login);
    assert!(p(&[("prompt", "consent select_account")]).prompt_consent);
    assert!(p(&[("prompt", "none")]).prompt_none);
}
