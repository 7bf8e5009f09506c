//! The JWS algorithms Authdesk signs with (RFC 7518 §3): RS256, OIDC's mandatory one; PS256,
//! RSASSA-PSS; ES256, ECDSA on P-256 (Banno's ID tokens since 2026-01). A registry keeps one
//! active key per algorithm; access tokens use the registry's algorithm, ID tokens each app's.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub enum Alg {
    RS256,
    PS256,
    ES256,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::RS256, Alg::PS256, Alg::ES256];

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "RS256" => Ok(Alg::RS256),
            "PS256" => Ok(Alg::PS256),
            "ES256" => Ok(Alg::ES256),
            _ => Err(format!(
                "'{}' is not a supported signing algorithm (RS256, PS256 or ES256)",
                crate::error::shown(s)
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::PS256 => "PS256",
            Alg::ES256 => "ES256",
        }
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
