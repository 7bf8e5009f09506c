//! The registration rules: what a draft must say to become `ClientSettings`, field by field.

use authdesk_core::client::*;

fn draft() -> ClientDraft {
    ClientDraft {
        name: "Budget app".into(),
        redirect_uris: vec!["https://app.example.com/cb".into()],
        ..Default::default()
    }
}

#[test]
fn defaults() {
    let s = draft().validate().unwrap();
    assert_eq!(s.client_type, ClientType::Confidential);
    assert_eq!(s.auth_method, AuthMethod::ClientSecretBasic);
    assert_eq!(
        s.grant_types,
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    assert_eq!(s.scopes.to_string(), "openid profile email offline_access");
    assert!(s.consent_required);
    let p = ClientDraft {
        client_type: Some(ClientType::Public),
        ..draft()
    }
    .validate()
    .unwrap();
    assert_eq!(p.auth_method, AuthMethod::None);
}

#[test]
fn rules() {
    let cases: Vec<(&str, ClientDraft, &str)> = vec![
        (
            "empty name",
            ClientDraft {
                name: "  ".into(),
                ..draft()
            },
            "name",
        ),
        (
            "public with secret",
            ClientDraft {
                client_type: Some(ClientType::Public),
                auth_method: Some(AuthMethod::ClientSecretPost),
                ..draft()
            },
            "auth_method",
        ),
        (
            "confidential with none",
            ClientDraft {
                auth_method: Some(AuthMethod::None),
                ..draft()
            },
            "auth_method",
        ),
        (
            "pkjwt without key",
            ClientDraft {
                auth_method: Some(AuthMethod::PrivateKeyJwt),
                ..draft()
            },
            "public_key",
        ),
        (
            "javascript uri",
            ClientDraft {
                redirect_uris: vec!["JAVASCRIPT:alert(1)".into()],
                ..draft()
            },
            "redirect_uris",
        ),
        (
            "code without uri",
            ClientDraft {
                redirect_uris: vec![],
                ..draft()
            },
            "redirect_uris",
        ),
        (
            "public resource server",
            ClientDraft {
                client_type: Some(ClientType::Public),
                resource_server: Some(true),
                ..draft()
            },
            "resource_server",
        ),
        (
            "public cc",
            ClientDraft {
                client_type: Some(ClientType::Public),
                grant_types: vec![GrantType::ClientCredentials],
                ..draft()
            },
            "grant_types",
        ),
        (
            "refresh alone",
            ClientDraft {
                grant_types: vec![GrantType::RefreshToken, GrantType::ClientCredentials],
                ..draft()
            },
            "grant_types",
        ),
        (
            "cc with openid",
            ClientDraft {
                grant_types: vec![GrantType::ClientCredentials],
                scopes: vec!["openid".into()],
                ..draft()
            },
            "scopes",
        ),
        (
            "bad scope",
            ClientDraft {
                scopes: vec!["a\"b".into()],
                ..draft()
            },
            "scopes",
        ),
        (
            "bad claim",
            ClientDraft {
                custom_claims: vec!["institution_id".into()],
                ..draft()
            },
            "custom_claims",
        ),
        (
            "duplicate uri",
            ClientDraft {
                redirect_uris: vec!["https://a.example/cb".into(), "https://a.example/cb".into()],
                ..draft()
            },
            "redirect_uris",
        ),
    ];
    for (name, d, want_field) in cases {
        let errs = d.validate().expect_err(name);
        assert!(
            errs.iter().any(|e| e.field == want_field),
            "{name}: {errs:?}"
        );
    }
}

#[test]
fn custom_claim_names() {
    assert!(is_custom_claim_name(
        "https://api.banno.com/consumer/claim/institution_id"
    ));
    assert!(is_custom_claim_name("urn:example:claim"));
    assert!(!is_custom_claim_name("institution_id"));
    assert!(!is_custom_claim_name("https://"));
}

/// An export carries an app as the draft that registers it again: validating
/// `ClientDraft::from(&settings)` gives back the same settings, for every kind of app.
#[test]
fn settings_come_back_from_their_draft() {
    let drafts = [
        draft(),
        ClientDraft {
            name: "Mobile".into(),
            partner_name: Some("Acme".into()),
            client_type: Some(ClientType::Public),
            scopes: vec!["openid".into(), "offline_access".into()],
            consent_required: Some(false),
            lifetimes: authdesk_core::lifetime::LifetimeOverrides {
                access_token: Some(300),
                refresh_token: Some(86_400),
                ..Default::default()
            },
            ..draft()
        },
        ClientDraft {
            name: "Ledger API".into(),
            redirect_uris: vec![],
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["accounts".into()],
            custom_claims: vec!["https://bank.example/claims/branch".into()],
            resource_server: Some(true),
            ..draft()
        },
    ];
    for d in drafts {
        let settings = d.validate().unwrap();
        let again = ClientDraft::from(&settings).validate().unwrap();
        assert_eq!(again, settings, "{}", d.name);
    }
}
