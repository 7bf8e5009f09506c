//! Token lifetimes (SPEC §2). An app may shorten them, never lengthen past the defaults — except
//! its DPoP-bound access tokens, which an administrator may let live up to
//! [`BOUND_ACCESS_TOKEN_MAX`] (a stolen bound token is useless without its key: Jack Henry lets
//! DPoP tokens live longer). Unless set, a bound token lives as long as a bearer one.

use chrono::Duration;
use serde::{Deserialize, Serialize};

pub const ACCESS_TOKEN: i64 = 10 * 60;
pub const ID_TOKEN: i64 = 60 * 60;
pub const REFRESH_TOKEN: i64 = 90 * 86_400;
pub const CHAIN: i64 = 365 * 86_400;
pub const AUTHORIZATION_CODE: i64 = 60;
/// The longest a DPoP-bound access token may be made to live (an administrator's choice).
pub const BOUND_ACCESS_TOKEN_MAX: i64 = 60 * 60;

/// Lifetimes in seconds. `Default` is the framework's maximum for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Lifetimes {
    #[ts(type = "number")]
    pub access_token: i64,
    #[ts(type = "number")]
    pub id_token: i64,
    #[ts(type = "number")]
    pub refresh_token: i64,
    #[ts(type = "number")]
    pub chain: i64,
    #[ts(type = "number")]
    pub authorization_code: i64,
    /// A DPoP-bound access token's (the access token's unless an administrator set more).
    #[ts(type = "number")]
    #[serde(default = "default_bound")]
    pub bound_access_token: i64,
}

fn default_bound() -> i64 {
    ACCESS_TOKEN
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: ACCESS_TOKEN,
            id_token: ID_TOKEN,
            refresh_token: REFRESH_TOKEN,
            chain: CHAIN,
            authorization_code: AUTHORIZATION_CODE,
            bound_access_token: ACCESS_TOKEN,
        }
    }
}

/// Shorter lifetimes an app asks for; `None` keeps the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LifetimeOverrides {
    #[ts(type = "number | null")]
    pub access_token: Option<i64>,
    #[ts(type = "number | null")]
    pub id_token: Option<i64>,
    #[ts(type = "number | null")]
    pub refresh_token: Option<i64>,
    #[ts(type = "number | null")]
    pub chain: Option<i64>,
    /// DPoP-bound access tokens' lifetime: up to [`BOUND_ACCESS_TOKEN_MAX`]; `None`: the
    /// access token's.
    #[ts(type = "number | null")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_access_token: Option<i64>,
}

impl LifetimeOverrides {
    /// Applies the overrides, refusing any that would lengthen a lifetime or are not positive.
    pub fn resolve(&self) -> Result<Lifetimes, String> {
        let d = Lifetimes::default();
        let pick = |name: &str, o: Option<i64>, max: i64| match o {
            None => Ok(max),
            Some(v) if v <= 0 => Err(format!("{name} lifetime must be positive")),
            Some(v) if v > max => Err(format!(
                "{name} lifetime cannot exceed the default of {max} seconds"
            )),
            Some(v) => Ok(v),
        };
        let access_token = pick("access token", self.access_token, d.access_token)?;
        let bound_access_token = match self.bound_access_token {
            None => access_token,
            Some(v) => pick("DPoP-bound access token", Some(v), BOUND_ACCESS_TOKEN_MAX)?,
        };
        Ok(Lifetimes {
            access_token,
            id_token: pick("ID token", self.id_token, d.id_token)?,
            refresh_token: pick("refresh token", self.refresh_token, d.refresh_token)?,
            chain: pick("chain", self.chain, d.chain)?,
            authorization_code: d.authorization_code,
            bound_access_token,
        })
    }
}

impl Lifetimes {
    /// The overrides that resolve to these lifetimes: `Some` where shorter than the default.
    pub fn overrides(&self) -> LifetimeOverrides {
        let d = Lifetimes::default();
        let shorter = |v: i64, max: i64| (v != max).then_some(v);
        LifetimeOverrides {
            access_token: shorter(self.access_token, d.access_token),
            id_token: shorter(self.id_token, d.id_token),
            refresh_token: shorter(self.refresh_token, d.refresh_token),
            chain: shorter(self.chain, d.chain),
            bound_access_token: (self.bound_access_token != self.access_token)
                .then_some(self.bound_access_token),
        }
    }

    /// How long an access token lives: a bound one (`dpop`) as the app's settings say.
    pub fn access_for(&self, dpop: bool) -> i64 {
        if dpop {
            self.bound_access_token
        } else {
            self.access_token
        }
    }

    pub fn access(&self) -> Duration {
        Duration::seconds(self.access_token)
    }
    pub fn id(&self) -> Duration {
        Duration::seconds(self.id_token)
    }
    pub fn refresh(&self) -> Duration {
        Duration::seconds(self.refresh_token)
    }
    pub fn chain(&self) -> Duration {
        Duration::seconds(self.chain)
    }
    pub fn code(&self) -> Duration {
        Duration::seconds(self.authorization_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_access_tokens_live_as_long_as_bearer_ones_unless_set_up_to_the_cap() {
        let d = LifetimeOverrides::default().resolve().unwrap();
        assert_eq!(
            (d.access_for(false), d.access_for(true)),
            (ACCESS_TOKEN, ACCESS_TOKEN)
        );
        let shorter = LifetimeOverrides {
            access_token: Some(300),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(
            shorter.access_for(true),
            300,
            "follows a shortened access token"
        );
        let longer = LifetimeOverrides {
            bound_access_token: Some(1800),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(
            (longer.access_for(false), longer.access_for(true)),
            (ACCESS_TOKEN, 1800)
        );
        assert_eq!(
            longer.overrides().resolve(),
            Ok(longer),
            "overrides round-trip"
        );
        let capped = LifetimeOverrides {
            bound_access_token: Some(BOUND_ACCESS_TOKEN_MAX + 1),
            ..Default::default()
        }
        .resolve();
        assert!(capped.unwrap_err().contains("3600"));
    }

    #[test]
    fn overrides_only_shorten() {
        let ok = LifetimeOverrides {
            access_token: Some(300),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(ok.access_token, 300);
        assert_eq!(ok.refresh_token, REFRESH_TOKEN);
        assert_eq!(ok.overrides().resolve(), Ok(ok), "overrides round-trip");
        assert_eq!(
            Lifetimes::default().overrides(),
            LifetimeOverrides::default()
        );
        for bad in [
            LifetimeOverrides {
                access_token: Some(601),
                ..Default::default()
            },
            LifetimeOverrides {
                refresh_token: Some(0),
                ..Default::default()
            },
            LifetimeOverrides {
                chain: Some(CHAIN + 1),
                ..Default::default()
            },
            LifetimeOverrides {
                id_token: Some(-5),
                ..Default::default()
            },
        ] {
            assert!(bad.resolve().is_err(), "{bad:?}");
        }
    }
}
