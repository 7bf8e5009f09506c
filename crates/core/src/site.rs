//! Where a registry's issuers and their endpoints are. A registry serves one *profile*: the
//! standard one (one issuer, standard endpoint names under the issuer URL's path) or Banno's
//! (two issuers under one origin, with Banno's endpoint names, as Banno's apps expect: SPEC §8).
//! Every URL discovery advertises, every route the HTTP layer serves and every `iss` a token
//! carries comes from here, so what is advertised is what answers.

use crate::issuer::Issuer;
use serde::{Deserialize, Serialize};

/// The wire contract a registry serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Profile {
    /// One issuer, the standard endpoint names (`/authorize`, `/token`, …) under its path.
    #[default]
    Default,
    /// Banno's: the consumer issuer `<base>/a/consumer/api/v0/oidc` and the enterprise issuer
    /// `<base>/a/oidc-provider/api/v0`, each with Banno's endpoint names (`auth`, `me`, …).
    Banno,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Default, Profile::Banno];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Banno => "banno",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Profile::Default),
            "banno" => Ok(Profile::Banno),
            other => Err(format!(
                "'{}' is not a profile: use default or banno",
                crate::error::shown(other)
            )),
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of a profile's issuers. Codes and grants remember theirs: a code or refresh token is
/// redeemed only at the issuer that issued it (a mix-up between issuers is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum IssuerKind {
    /// The default profile's one issuer.
    Main,
    /// Banno's consumer issuer (`…/a/consumer/api/v0/oidc`): apps acting for a bank's customers.
    Consumer,
    /// Banno's enterprise issuer (`…/a/oidc-provider/api/v0`): employees and service accounts.
    Enterprise,
}

impl IssuerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssuerKind::Main => "main",
            IssuerKind::Consumer => "consumer",
            IssuerKind::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "main" => Some(IssuerKind::Main),
            "consumer" => Some(IssuerKind::Consumer),
            "enterprise" => Some(IssuerKind::Enterprise),
            _ => None,
        }
    }
}

/// An endpoint of an issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Discovery,
    Authorize,
    Login,
    Consent,
    Token,
    Jwks,
    Userinfo,
    Introspect,
    Revoke,
    Logout,
    /// Pushed authorization requests (RFC 9126).
    Par,
}

impl Endpoint {
    pub const ALL: [Endpoint; 11] = [
        Endpoint::Discovery,
        Endpoint::Authorize,
        Endpoint::Login,
        Endpoint::Consent,
        Endpoint::Token,
        Endpoint::Jwks,
        Endpoint::Userinfo,
        Endpoint::Introspect,
        Endpoint::Revoke,
        Endpoint::Logout,
        Endpoint::Par,
    ];

    /// The standard path, relative to the issuer: also the endpoint's name in metrics, so a
    /// dashboard reads the same in every profile.
    pub fn standard_path(self) -> &'static str {
        match self {
            Endpoint::Discovery => "/.well-known/openid-configuration",
            Endpoint::Authorize => "/authorize",
            Endpoint::Login => "/login",
            Endpoint::Consent => "/consent",
            Endpoint::Token => "/token",
            Endpoint::Jwks => "/jwks",
            Endpoint::Userinfo => "/userinfo",
            Endpoint::Introspect => "/introspect",
            Endpoint::Revoke => "/revoke",
            Endpoint::Logout => "/logout",
            Endpoint::Par => "/par",
        }
    }

    /// Banno's name for it, relative to a Banno issuer.
    fn banno_path(self) -> &'static str {
        match self {
            Endpoint::Authorize => "/auth",
            Endpoint::Userinfo => "/me",
            Endpoint::Introspect => "/token/introspection",
            Endpoint::Revoke => "/token/revocation",
            other => other.standard_path(),
        }
    }
}

/// The path of Banno's consumer issuer under the base URL.
pub const BANNO_CONSUMER_PATH: &str = "/a/consumer/api/v0/oidc";
/// The path of Banno's enterprise issuer under the base URL.
pub const BANNO_ENTERPRISE_PATH: &str = "/a/oidc-provider/api/v0";
/// Where Banno's consumer API (the sandbox resource API) lives under the base URL.
pub const BANNO_CONSUMER_API_PATH: &str = "/a/consumer/api/v0";

/// One issuer: its identifier (`iss`) and where its endpoints are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerSite {
    pub kind: IssuerKind,
    /// The issuer identifier, exactly as tokens carry it.
    pub url: String,
    /// The URL path every endpoint of this issuer is under (`""` for an issuer at the root).
    pub path: String,
}

impl IssuerSite {
    /// The endpoint's path, relative to the issuer.
    pub fn relative(&self, e: Endpoint) -> &'static str {
        match self.kind {
            IssuerKind::Main => e.standard_path(),
            IssuerKind::Consumer | IssuerKind::Enterprise => e.banno_path(),
        }
    }

    /// The endpoint's URL path on the listener (what the router serves).
    pub fn path_of(&self, e: Endpoint) -> String {
        format!("{}{}", self.path, self.relative(e))
    }

    /// The endpoint's full URL (what discovery advertises).
    pub fn url_of(&self, e: Endpoint) -> String {
        format!("{}{}", self.url, self.relative(e))
    }

    /// RFC 8414 §3: the authorization-server metadata's path, the well-known part inserted
    /// before the issuer's path.
    pub fn oauth_metadata_path(&self) -> String {
        format!("/.well-known/oauth-authorization-server{}", self.path)
    }
}

/// What a registry serves: its profile and the issuers it derives from the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub profile: Profile,
    /// The base URL: the issuer itself in the default profile, the origin (and optional
    /// prefix) both Banno issuers sit under in the Banno profile.
    pub base: Issuer,
    pub issuers: Vec<IssuerSite>,
}

impl Site {
    pub fn new(profile: Profile, base: &Issuer) -> Site {
        let path = url::Url::parse(base.as_str())
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let site = |kind, suffix: &str| IssuerSite {
            kind,
            url: format!("{base}{suffix}"),
            path: format!("{path}{suffix}"),
        };
        let issuers = match profile {
            Profile::Default => vec![site(IssuerKind::Main, "")],
            Profile::Banno => vec![
                site(IssuerKind::Consumer, BANNO_CONSUMER_PATH),
                site(IssuerKind::Enterprise, BANNO_ENTERPRISE_PATH),
            ],
        };
        Site {
            profile,
            base: base.clone(),
            issuers,
        }
    }

    /// The issuer shown first (the console, `mint`): the default profile's one, Banno's
    /// consumer issuer.
    pub fn primary(&self) -> &IssuerSite {
        &self.issuers[0]
    }

    pub fn issuer(&self, kind: IssuerKind) -> Option<&IssuerSite> {
        self.issuers.iter().find(|i| i.kind == kind)
    }

    /// The issuer whose identifier is `iss`.
    pub fn by_url(&self, iss: &str) -> Option<&IssuerSite> {
        self.issuers.iter().find(|i| i.url == iss)
    }

    /// The base URL's path (`""` at the root): where the Banno profile's sandbox API and
    /// its origin-level `/logout` are.
    pub fn base_path(&self) -> String {
        url::Url::parse(self.base.as_str())
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default()
    }

    /// The endpoint a request path is for, in any issuer (metrics name it by its standard
    /// path).
    pub fn endpoint_at(&self, path: &str) -> Option<Endpoint> {
        self.issuers.iter().find_map(|i| {
            let rest = path.strip_prefix(i.path.as_str())?;
            Endpoint::ALL.into_iter().find(|e| i.relative(*e) == rest)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> Issuer {
        Issuer::parse(s).unwrap()
    }

    #[test]
    fn the_default_profile_serves_standard_names_under_the_issuers_path() {
        let site = Site::new(
            Profile::Default,
            &base("https://auth.bank.example/tenant-a"),
        );
        let main = site.primary();
        assert_eq!(main.kind, IssuerKind::Main);
        assert_eq!(main.url, "https://auth.bank.example/tenant-a");
        assert_eq!(main.path_of(Endpoint::Token), "/tenant-a/token");
        assert_eq!(
            main.url_of(Endpoint::Discovery),
            "https://auth.bank.example/tenant-a/.well-known/openid-configuration"
        );
        assert_eq!(
            main.oauth_metadata_path(),
            "/.well-known/oauth-authorization-server/tenant-a"
        );
        let root = Site::new(Profile::Default, &base("http://127.0.0.1:8400"));
        assert_eq!(root.primary().path_of(Endpoint::Authorize), "/authorize");
        assert_eq!(
            root.primary().oauth_metadata_path(),
            "/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn the_banno_profile_serves_two_issuers_with_bannos_names() {
        let site = Site::new(Profile::Banno, &base("https://digital.garden-fi.example"));
        let consumer = site.issuer(IssuerKind::Consumer).unwrap();
        assert_eq!(
            consumer.url,
            "https://digital.garden-fi.example/a/consumer/api/v0/oidc"
        );
        assert_eq!(
            consumer.url_of(Endpoint::Authorize),
            "https://digital.garden-fi.example/a/consumer/api/v0/oidc/auth"
        );
        assert_eq!(
            consumer.path_of(Endpoint::Userinfo),
            "/a/consumer/api/v0/oidc/me"
        );
        assert_eq!(
            consumer.path_of(Endpoint::Introspect),
            "/a/consumer/api/v0/oidc/token/introspection"
        );
        assert_eq!(
            consumer.path_of(Endpoint::Revoke),
            "/a/consumer/api/v0/oidc/token/revocation"
        );
        let enterprise = site.issuer(IssuerKind::Enterprise).unwrap();
        assert_eq!(
            enterprise.url_of(Endpoint::Token),
            "https://digital.garden-fi.example/a/oidc-provider/api/v0/token"
        );
        assert_eq!(site.primary().kind, IssuerKind::Consumer);
        assert!(site.issuer(IssuerKind::Main).is_none());
        assert_eq!(
            site.by_url("https://digital.garden-fi.example/a/oidc-provider/api/v0")
                .map(|i| i.kind),
            Some(IssuerKind::Enterprise)
        );
    }

    #[test]
    fn every_endpoint_path_is_found_again_and_no_two_collide() {
        for profile in Profile::ALL {
            let site = Site::new(profile, &base("http://127.0.0.1:8400/prefix"));
            let mut seen = std::collections::HashSet::new();
            for i in &site.issuers {
                for e in Endpoint::ALL {
                    let p = i.path_of(e);
                    assert!(seen.insert(p.clone()), "{p} twice in {profile}");
                    assert_eq!(site.endpoint_at(&p), Some(e), "{p}");
                }
            }
            assert_eq!(site.endpoint_at("/prefix/unknown"), None);
        }
    }

    #[test]
    fn profiles_parse_by_name_only() {
        assert_eq!(Profile::parse("banno"), Ok(Profile::Banno));
        assert_eq!(Profile::parse("default"), Ok(Profile::Default));
        assert!(Profile::parse("Banno").is_err());
        assert!(
            Profile::parse("keycloak")
                .unwrap_err()
                .contains("default or banno")
        );
    }
}
