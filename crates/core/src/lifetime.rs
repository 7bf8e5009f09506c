//! Token lifetimes (SPEC §2). An app may shorten them, never lengthen past the defaults.

use chrono::Duration;
use serde::{Deserialize, Serialize};

pub const ACCESS_TOKEN: i64 = 10 * 60;
pub const ID_TOKEN: i64 = 60 * 60;
pub const REFRESH_TOKEN: i64 = 90 * 86_400;
pub const CHAIN: i64 = 365 * 86_400;
pub const AUTHORIZATION_CODE: i64 = 60;

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
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: ACCESS_TOKEN,
            id_token: ID_TOKEN,
            refresh_token: REFRESH_TOKEN,
            chain: CHAIN,
            authorization_code: AUTHORIZATION_CODE,
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
        Ok(Lifetimes {
            access_token: pick("access token", self.access_token, d.access_token)?,
            id_token: pick("ID token", self.id_token, d.id_token)?,
            refresh_token: pick("refresh token", self.refresh_token, d.refresh_token)?,
            chain: pick("chain", self.chain, d.chain)?,
            authorization_code: d.authorization_code,
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
