//! Property tests of the parsers a hostile caller feeds: whatever the input, no panic, and
//! what is accepted agrees with the stated rules.

use authdesk_core::error::{OAuthError, SHOWN_MAX, shown};
use authdesk_core::redirect_uri::RedirectUri;
use authdesk_core::scope::Scope;
use proptest::prelude::*;

/// Strings that look like URIs often enough to reach the deeper rules.
fn uri_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("https".to_string()),
        Just("http".to_string()),
        Just("HTTP".to_string()),
        Just("javascript".to_string()),
        Just("data".to_string()),
        Just("com.example.app".to_string()),
        Just("myapp".to_string()),
        "[a-zA-Z][a-zA-Z0-9+.-]{0,8}"
    ];
    let host = prop_oneof![
        Just("127.0.0.1".to_string()),
        Just("localhost".to_string()),
        Just("[::1]".to_string()),
        Just("app.example.com".to_string()),
        Just("user:pw@app.example.com".to_string()),
        "[a-z0-9.:@\\[\\]-]{0,20}"
    ];
    let rest = "(/[a-zA-Z0-9._~%!$&'()*+,;=:@#? -]{0,12}){0,3}";
    (
        scheme,
        prop_oneof![Just("://"), Just(":"), Just(":///")],
        host,
        rest,
    )
        .prop_map(|(s, sep, h, r)| format!("{s}{sep}{h}{r}"))
}

fn scope_token_ok(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 512
        && t.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn redirect_uris_never_panic_and_accepted_ones_obey_the_rules(s in prop_oneof![uri_like(), any::<String>()]) {
        if let Ok(u) = RedirectUri::parse(&s) {
            prop_assert_eq!(u.as_str(), s.as_str(), "stored byte for byte");
            prop_assert!(u.matches(&s));
            prop_assert!(!s.contains('#') && !s.contains('*'));
            prop_assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
            let scheme = s.split(':').next().unwrap().to_ascii_lowercase();
            prop_assert!(!matches!(scheme.as_str(), "javascript" | "data" | "vbscript" | "file" | "blob"));
            let parsed = url::Url::parse(&s).unwrap();
            prop_assert!(parsed.username().is_empty() && parsed.password().is_none());
            if scheme == "http" {
                prop_assert!(matches!(parsed.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")));
            }
            // Exact match: any other spelling is another URI.
            let upper = s.to_uppercase();
            if upper != s {
                prop_assert!(!u.matches(&upper));
            }
            let with_slash = format!("{s}/");
            prop_assert!(!u.matches(&with_slash));
        }
    }

    #[test]
    fn scopes_never_panic_and_accept_exactly_rfc_6749_tokens(s in prop_oneof![
        "[ a-z:/._\"\\\\\u{0}-\u{7f}]{0,40}",
        any::<String>(),
    ]) {
        let all_ok = s.split(' ').filter(|t| !t.is_empty()).all(scope_token_ok);
        match Scope::parse(&s) {
            Ok(scope) => {
                prop_assert!(all_ok);
                // The canonical form parses to the same scope.
                let again = Scope::parse(&scope.to_string()).unwrap();
                prop_assert_eq!(again, scope);
            }
            Err(e) => {
                prop_assert!(!all_ok);
                // The message quotes the value plainly (RFC 6749 error_description set).
                let d = OAuthError::invalid_scope(e).description;
                prop_assert!(d.bytes().all(|b| (0x20..=0x7E).contains(&b) && b != b'"' && b != b'\\'));
            }
        }
    }

    #[test]
    fn quoted_values_are_short_and_printable(s in any::<String>()) {
        let q = shown(&s);
        prop_assert!(q.chars().count() <= SHOWN_MAX + 3);
        prop_assert!(q.bytes().all(|b| (0x20..=0x7E).contains(&b) && b != b'"' && b != b'\\'));
        if s.len() <= SHOWN_MAX && s.bytes().all(|b| (0x20..=0x7E).contains(&b) && b != b'"' && b != b'\\') {
            prop_assert_eq!(q, s);
        }
    }
}
