//! The issuer identifier (RFC 8414 §2, OIDC Discovery §3): an `http(s)` URL without query or
//! fragment. Tokens carry it as `iss` and clients compare it byte for byte, so it is kept
//! without a trailing slash.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

impl Issuer {
    pub fn parse(s: &str) -> Result<Self, String> {
        let u = url::Url::parse(s.trim()).map_err(|e| format!("the issuer is not a URL: {e}"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err("the issuer must be an http:// or https:// URL".into());
        }
        if u.query().is_some() || u.fragment().is_some() {
            return Err("the issuer must not have a query or a fragment".into());
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err("the issuer must not carry a user name or password".into());
        }
        Ok(Self(s.trim().trim_end_matches('/').to_string()))
    }

    /// The default for a server on this address: `http://{addr}`.
    pub fn for_address(addr: std::net::SocketAddr) -> Self {
        Self(format!("http://{addr}"))
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Issuer;

    #[test]
    fn issuers() {
        for (input, want) in [
            ("https://auth.example.com", Some("https://auth.example.com")),
            (
                "https://auth.example.com/",
                Some("https://auth.example.com"),
            ),
            ("http://127.0.0.1:8400", Some("http://127.0.0.1:8400")),
            (
                "https://example.com/tenants/a/",
                Some("https://example.com/tenants/a"),
            ),
            (
                " https://auth.example.com ",
                Some("https://auth.example.com"),
            ),
            ("ftp://auth.example.com", None),
            ("https://auth.example.com?x=1", None),
            ("https://auth.example.com#f", None),
            ("https://user:pw@auth.example.com", None),
            ("auth.example.com", None),
            ("", None),
        ] {
            assert_eq!(
                Issuer::parse(input).ok().as_ref().map(Issuer::as_str),
                want,
                "{input}"
            );
        }
        assert!(Issuer::parse("https://a.example").unwrap().is_https());
        assert_eq!(
            Issuer::for_address("127.0.0.1:8400".parse().unwrap()).as_str(),
            "http://127.0.0.1:8400"
        );
    }
}
