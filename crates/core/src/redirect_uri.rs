//! Registered redirect URIs and the exact-match rule (RFC 9700 §2.1, §4.1.3).

use serde::{Deserialize, Serialize};
use url::Url;

/// A redirect URI that passed registration rules. Comparison is on the registered string,
/// byte for byte: no normalisation, no case folding, no wildcards — except the port of a
/// loopback IP redirect URI, which a native app picks when it runs (RFC 8252 §7.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

const MAX_LEN: usize = 2000;

impl RedirectUri {
    pub fn parse(input: &str) -> Result<Self, String> {
        if input.is_empty() {
            return Err("a redirect URI cannot be empty".into());
        }
        if input.len() > MAX_LEN {
            return Err(format!("a redirect URI is at most {MAX_LEN} characters"));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("a redirect URI cannot contain spaces or control characters".into());
        }
        if input.contains('*') {
            return Err(
                "wildcards are not allowed in redirect URIs; register each URI exactly".into(),
            );
        }
        if input.contains('#') {
            return Err("a redirect URI cannot contain a fragment (#...)".into());
        }
        // Browsers read `\` as `/`: `https://evil.example\.app.example.com/cb` goes to
        // evil.example, whatever a parser here makes of it.
        if input.contains('\\') {
            return Err("a redirect URI cannot contain a backslash (browsers read it as /)".into());
        }
        let scheme_end = input
            .find(':')
            .ok_or("a redirect URI must be absolute (scheme://...)")?;
        let scheme = input[..scheme_end].to_ascii_lowercase();
        if matches!(
            scheme.as_str(),
            "javascript" | "data" | "vbscript" | "file" | "blob"
        ) {
            return Err(format!(
                "the '{scheme}:' scheme is not allowed for redirect URIs"
            ));
        }
        let after_scheme = &input[scheme_end..];
        let has_authority = after_scheme.starts_with("://") && !after_scheme.starts_with(":///");
        if matches!(scheme.as_str(), "http" | "https") && !has_authority {
            return Err("an http(s) redirect URI needs a host (scheme://host/...)".into());
        }
        let url = Url::parse(input).map_err(|e| format!("not an absolute URI: {e}"))?;
        let written_host = after_scheme
            .trim_start_matches("://")
            .split(['/', '?'])
            .next()
            .unwrap_or("");
        if !written_host.is_ascii() {
            return Err(format!(
                "the host is not ASCII, and letters from other scripts can pass for Latin ones: register its punycode form, {}",
                url.host_str().unwrap_or("")
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("a redirect URI cannot carry a user name or password".into());
        }
        match url.scheme() {
            "https" => {
                if url.host_str().is_none_or(str::is_empty) {
                    return Err("an https redirect URI needs a host".into());
                }
            }
            "http" => {
                if !is_loopback_host(url.host_str().unwrap_or("")) {
                    return Err(
                        "plain http is only allowed for loopback (127.0.0.1, [::1], localhost); use https"
                            .into(),
                    );
                }
            }
            other => {
                // RFC 8252 §7.1 private-use schemes for native apps: reverse domain names.
                if !other.contains('.') {
                    return Err(format!(
                        "the '{other}:' scheme is not allowed; use https, loopback http, or a reverse-domain private scheme such as com.example.app:/callback"
                    ));
                }
            }
        }
        Ok(Self(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Exact, case-sensitive comparison with a redirect URI from a request; for an `http`
    /// loopback IP redirect URI (127.0.0.1, [::1]) the port may be any (RFC 8252 §7.3).
    pub fn matches(&self, requested: &str) -> bool {
        if self.0 == requested {
            return true;
        }
        match (
            loopback_ip_without_port(&self.0),
            loopback_ip_without_port(requested),
        ) {
            (Some(registered), Some(asked)) => registered == asked,
            _ => false,
        }
    }
}

/// An `http://127.0.0.1[:port]/…` or `http://[::1][:port]/…` URI with its port taken out;
/// `None` for anything else (a name such as `localhost` keeps exact matching).
fn loopback_ip_without_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://")?;
    let (host, tail) = if let Some(v6) = rest.strip_prefix("[::1]") {
        ("[::1]", v6)
    } else {
        ("127.0.0.1", rest.strip_prefix("127.0.0.1")?)
    };
    let tail = match tail.strip_prefix(':') {
        Some(p) => {
            let digits = p.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 5 {
                return None;
            }
            &p[digits..]
        }
        None => tail,
    };
    if !(tail.is_empty() || tail.starts_with('/') || tail.starts_with('?')) {
        return None;
    }
    Some(format!("http://{host}{tail}"))
}

/// Where a redirect to `uri` sends the browser, as a Content-Security-Policy source: an
/// http(s) URI's origin, or a private-use scheme (`com.example.app:`). The login and consent
/// pages allow their forms exactly this (`form-action`: browsers apply it to redirects too).
pub fn csp_source(uri: &str) -> Option<String> {
    let u = Url::parse(uri).ok()?;
    match u.scheme() {
        "http" | "https" => {
            let host = u.host_str()?;
            Some(match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            })
        }
        scheme => Some(format!("{scheme}:")),
    }
}

fn is_loopback_host(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

impl TryFrom<String> for RedirectUri {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<RedirectUri> for String {
    fn from(r: RedirectUri) -> String {
        r.0
    }
}

impl std::fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        let cases = [
            ("https://app.example.com/cb", true),
            ("https://app.example.com/cb?x=1", true),
            ("http://127.0.0.1:8080/cb", true),
            ("http://localhost/cb", true),
            ("http://[::1]:9/cb", true),
            ("com.example.app:/oauth2redirect", true),
            ("http://app.example.com/cb", false),
            ("https://app.example.com/cb#frag", false),
            ("https://*.example.com/cb", false),
            ("javascript:alert(1)", false),
            ("JaVaScRiPt:alert(1)", false),
            ("DATA:text/html,hi", false),
            ("data:text/html,hi", false),
            ("/relative/cb", false),
            ("", false),
            ("https://user:pw@app.example.com/cb", false),
            ("https://app.example.com/c b", false),
            ("myapp:/cb", false),
            ("https:///cb", false),
            ("https://evil.example\\.app.example.com/cb", false),
            ("https://app.example.com/c\\b", false),
            ("https://аpp.example.com/cb", false),
            ("https://ａｐｐ.example.com/cb", false),
            ("https://xn--80ak6aa92e.com/cb", true),
        ];
        for (uri, ok) in cases {
            assert_eq!(RedirectUri::parse(uri).is_ok(), ok, "{uri}");
        }
    }

    #[test]
    fn matching_is_exact() {
        let r = RedirectUri::parse("https://app.example.com/cb").unwrap();
        for (candidate, ok) in [
            ("https://app.example.com/cb", true),
            ("https://APP.example.com/cb", false),
            ("https://app.example.com/CB", false),
            ("https://app.example.com/cb/", false),
            ("https://app.example.com/cb?x=1", false),
            ("https://app.example.com:443/cb", false),
            ("https://app.example.com/cb#", false),
            ("https://app.example.com/cb/../cb", false),
        ] {
            assert_eq!(r.matches(candidate), ok, "{candidate}");
        }
    }

    #[test]
    fn a_native_apps_loopback_redirect_uri_takes_any_port() {
        let r = RedirectUri::parse("http://127.0.0.1/callback").unwrap();
        for (candidate, ok) in [
            ("http://127.0.0.1/callback", true),
            ("http://127.0.0.1:51004/callback", true),
            ("http://127.0.0.1:9/callback", true),
            ("http://127.0.0.1:51004/callback/", false),
            ("http://127.0.0.1:51004/other", false),
            ("http://127.0.0.1:notaport/callback", false),
            ("http://127.0.0.1.evil.example/callback", false),
            ("http://127.0.0.1@evil.example/callback", false),
            ("https://127.0.0.1:51004/callback", false),
            ("http://[::1]:51004/callback", false),
        ] {
            assert_eq!(r.matches(candidate), ok, "{candidate}");
        }
        let v6 = RedirectUri::parse("http://[::1]:8080/cb").unwrap();
        assert!(v6.matches("http://[::1]:1234/cb"));
        // A name is not an IP literal: exact matching.
        let name = RedirectUri::parse("http://localhost:8080/cb").unwrap();
        assert!(!name.matches("http://localhost:9090/cb"));
    }
}
