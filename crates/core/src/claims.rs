//! Which of a user's claims an ID token or userinfo response releases: standard claims by
//! scope (OIDC Core §5.4) and individual claims asked for with the `claims` request parameter
//! (§5.5). URI-named custom claims are released only when asked for that way (Banno: they
//! "must be specifically requested utilizing the claims parameter"), and only if any app may
//! have them (Banno's public claims) or this app was enabled for them (restricted claims).

use crate::client::is_custom_claim_name;
use crate::scope::{ADDRESS, EMAIL, PHONE, PROFILE, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Banno's public custom claims: any app may request them (SPEC §8, Jack Henry's claims page).
/// Every other URI-named claim is restricted: an administrator enables it per app.
pub const PUBLIC_CUSTOM_CLAIMS: &[&str] = &[
    "https://api.banno.com/consumer/claim/cash_management_user",
    "https://api.banno.com/consumer/claim/cash_management_user_id",
    "https://api.banno.com/consumer/claim/devices",
    "https://api.banno.com/consumer/claim/fi_routing_number",
    "https://api.banno.com/consumer/claim/institution_assets",
    "https://api.banno.com/consumer/claim/institution_details",
    "https://api.banno.com/consumer/claim/institution_id",
    "https://api.banno.com/consumer/claim/masked_accounts",
];

/// A restricted claim Banno documents (enabled per app), offered by the console's app form.
pub const KNOWN_RESTRICTED_CLAIMS: &[&str] =
    &["https://api.banno.com/consumer/claim/customer_identifier"];

pub fn is_public_custom_claim(name: &str) -> bool {
    PUBLIC_CUSTOM_CLAIMS.contains(&name)
}

/// How one claim is requested (OIDC Core §5.5.1): `null`, or an object that may say it is
/// essential and the value(s) it should have. Other members are ignored, as §5.5 says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

impl ClaimSpec {
    /// Whether a user's value satisfies what was asked (any value, if nothing was).
    fn admits(&self, v: &Value) -> bool {
        match (&self.value, &self.values) {
            (Some(want), _) => want == v,
            (None, Some(list)) => list.contains(v),
            (None, None) => true,
        }
    }
}

/// Where requested claims go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    IdToken,
    Userinfo,
}

/// The `claims` request parameter, parsed: the claims asked for in the ID token and at the
/// userinfo endpoint. Kept with the code and the grant, so ID tokens from refreshes and
/// userinfo answer the same request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub id_token: BTreeMap<String, Option<ClaimSpec>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub userinfo: BTreeMap<String, Option<ClaimSpec>>,
}

impl ClaimsRequest {
    /// Parses the parameter's JSON. A value that is not a JSON object, an `id_token` or
    /// `userinfo` member that is not an object, or a claim whose request is neither `null`
    /// nor an object (with a boolean `essential` and an array `values`) is refused with the
    /// reason; members other than `id_token` and `userinfo` are ignored (§5.5).
    pub fn parse(text: &str) -> Result<ClaimsRequest, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("claims is not valid JSON: {e}"))?;
        let Value::Object(top) = v else {
            return Err("claims must be a JSON object".into());
        };
        let mut out = ClaimsRequest::default();
        for (member, target) in [
            ("id_token", &mut out.id_token),
            ("userinfo", &mut out.userinfo),
        ] {
            let Some(m) = top.get(member) else { continue };
            let Value::Object(claims) = m else {
                return Err(format!("claims.{member} must be a JSON object"));
            };
            for (name, spec) in claims {
                let spec = match spec {
                    Value::Null => None,
                    Value::Object(o) => {
                        if o.get("essential").is_some_and(|e| !e.is_boolean()) {
                            return Err(format!(
                                "claims.{member}: essential of {} must be true or false",
                                crate::error::shown(name)
                            ));
                        }
                        if o.get("values").is_some_and(|e| !e.is_array()) {
                            return Err(format!(
                                "claims.{member}: values of {} must be an array",
                                crate::error::shown(name)
                            ));
                        }
                        Some(ClaimSpec {
                            essential: o.get("essential").and_then(Value::as_bool),
                            value: o.get("value").cloned(),
                            values: o.get("values").and_then(Value::as_array).cloned(),
                        })
                    }
                    _ => {
                        return Err(format!(
                            "claims.{member}: the request for {} must be null or an object",
                            crate::error::shown(name)
                        ));
                    }
                };
                target.insert(name.clone(), spec);
            }
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.id_token.is_empty() && self.userinfo.is_empty()
    }

    fn for_target(&self, t: Target) -> &BTreeMap<String, Option<ClaimSpec>> {
        match t {
            Target::IdToken => &self.id_token,
            Target::Userinfo => &self.userinfo,
        }
    }

    /// Every claim named, in either place (the consent page lists them).
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .id_token
            .keys()
            .chain(self.userinfo.keys())
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The `sub` an ID token must be for, if the request names one (§5.5.1: then only that
    /// user may be signed in).
    pub fn required_sub(&self) -> Option<&str> {
        self.id_token
            .get("sub")
            .and_then(Option::as_ref)
            .and_then(|s| s.value.as_ref())
            .and_then(Value::as_str)
    }
}

/// Whether an app may receive a URI-named custom claim: a public one, or one it was enabled
/// for.
pub fn app_may_receive(name: &str, enabled_custom: &[String]) -> bool {
    is_public_custom_claim(name) || enabled_custom.iter().any(|c| c == name)
}

pub const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];
pub const EMAIL_CLAIMS: &[&str] = &["email", "email_verified"];
pub const PHONE_CLAIMS: &[&str] = &["phone_number", "phone_number_verified"];
pub const ADDRESS_CLAIMS: &[&str] = &["address"];

/// Claims a user may carry: the standard ones above, or URI-named custom claims.
pub fn is_known_user_claim(name: &str) -> bool {
    [PROFILE_CLAIMS, EMAIL_CLAIMS, PHONE_CLAIMS, ADDRESS_CLAIMS]
        .iter()
        .any(|set| set.contains(&name))
        || is_custom_claim_name(name)
}

fn is_standard_user_claim(name: &str) -> bool {
    [PROFILE_CLAIMS, EMAIL_CLAIMS, PHONE_CLAIMS, ADDRESS_CLAIMS]
        .iter()
        .any(|set| set.contains(&name))
}

/// The user's claims released into `target` for `scope`, to an app enabled for the restricted
/// custom claims `enabled_custom`, given the `claims` request: the standard claims the scope
/// covers, plus each claim requested for `target` that the user has, the app may receive and
/// whose value the request admits. Custom claims never without a request.
pub fn release(
    user_claims: &Map<String, Value>,
    scope: &Scope,
    enabled_custom: &[String],
    requested: &ClaimsRequest,
    target: Target,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (s, names) in [
        (PROFILE, PROFILE_CLAIMS),
        (EMAIL, EMAIL_CLAIMS),
        (PHONE, PHONE_CLAIMS),
        (ADDRESS, ADDRESS_CLAIMS),
    ] {
        if scope.contains(s) {
            for n in names {
                if let Some(v) = user_claims.get(*n) {
                    out.insert((*n).to_string(), v.clone());
                }
            }
        }
    }
    for (name, spec) in requested.for_target(target) {
        let allowed = is_standard_user_claim(name)
            || (is_custom_claim_name(name) && app_may_receive(name, enabled_custom));
        if !allowed {
            continue;
        }
        if let Some(v) = user_claims.get(name)
            && spec.as_ref().is_none_or(|s| s.admits(v))
        {
            out.insert(name.clone(), v.clone());
        }
    }
    out
}

/// Sample values of the public custom claims for a sandbox user (`sub`), derived from it so
/// the same user always carries the same ones: what an app sees from a real institution.
pub fn sandbox_samples(sub: &str) -> Map<String, Value> {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, sub.as_bytes());
    let d = digest.as_ref();
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    let last4 = |i: usize| format!("{:04}", u16::from_be_bytes([d[i], d[i + 1]]) % 10_000);
    let claim = |n: &str| format!("https://api.banno.com/consumer/claim/{n}");
    let mut m = Map::new();
    let institution = "5f8b4d2e-7a3c-4e1b-9c6d-0a2f3e4b5c6d";
    m.insert(claim("institution_id"), Value::String(institution.into()));
    m.insert(
        claim("institution_details"),
        serde_json::json!({"id": institution, "name": "Authdesk Sandbox Bank", "shortName": "Sandbox Bank"}),
    );
    m.insert(
        claim("fi_routing_number"),
        Value::String("021000021".into()),
    );
    m.insert(
        claim("institution_assets"),
        serde_json::json!({"logo": "https://sandbox.invalid/logo.png"}),
    );
    m.insert(
        claim("masked_accounts"),
        serde_json::json!([
            {"accountId": format!("{}-chk", &hex[..8]), "type": "Deposit", "subType": "Checking", "maskedNumber": format!("*{}", last4(0))},
            {"accountId": format!("{}-sav", &hex[..8]), "type": "Deposit", "subType": "Savings", "maskedNumber": format!("*{}", last4(2))},
        ]),
    );
    m.insert(
        claim("devices"),
        serde_json::json!([{"deviceId": &hex[8..24], "name": "Sandbox phone", "authorized": true}]),
    );
    m.insert(claim("cash_management_user"), Value::Bool(false));
    m.insert(claim("cash_management_user_id"), Value::Null);
    m
}

/// Parses `KEY=VALUE` as given on the command line. `true`/`false` and JSON objects become
/// JSON values (for `email_verified` and `address`); everything else is a string.
pub fn parse_claim_arg(arg: &str) -> Result<(String, Value), String> {
    let (k, v) = arg
        .split_once('=')
        .ok_or_else(|| format!("'{arg}' is not KEY=VALUE"))?;
    let k = k.trim();
    if !is_known_user_claim(k) {
        return Err(format!(
            "'{k}' is not a standard OIDC claim nor a URI-named custom claim (e.g. https://api.example.com/claim/x)"
        ));
    }
    let value = match v {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        v if v.starts_with('{') => {
            serde_json::from_str(v).map_err(|e| format!("{k}: not valid JSON: {e}"))?
        }
        v => Value::String(v.to_string()),
    };
    Ok((k.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn releases_by_scope() {
        let claims = json!({
            "name": "Ada", "email": "ada@example.com", "email_verified": true,
            "phone_number": "+1 555", "https://api.banno.com/consumer/claim/institution_id": "inst-1",
            "https://other/claim": "x"
        });
        let claims = claims.as_object().unwrap();
        let none = ClaimsRequest::default();
        let cases = [
            ("openid", vec![]),
            ("openid profile", vec!["name"]),
            (
                "openid email phone",
                vec!["email", "email_verified", "phone_number"],
            ),
        ];
        for (scope, want) in cases {
            let got = release(
                claims,
                &Scope::parse(scope).unwrap(),
                &[],
                &none,
                Target::IdToken,
            );
            let mut keys: Vec<&str> = got.keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(keys, want, "{scope}");
        }
    }

    const INSTITUTION: &str = "https://api.banno.com/consumer/claim/institution_id";
    const CUSTOMER: &str = "https://api.banno.com/consumer/claim/customer_identifier";

    fn user() -> Map<String, Value> {
        json!({
            "name": "Ada", "given_name": "Ada", "email": "ada@example.com",
            INSTITUTION: "inst-1", CUSTOMER: "CIF-77", "https://other.example/claim": "x"
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn released(scope: &str, enabled: &[&str], claims: &str, target: Target) -> Vec<String> {
        let enabled: Vec<String> = enabled.iter().map(|s| (*s).to_string()).collect();
        let req = ClaimsRequest::parse(claims).unwrap();
        let mut keys: Vec<String> = release(
            &user(),
            &Scope::parse(scope).unwrap(),
            &enabled,
            &req,
            target,
        )
        .keys()
        .cloned()
        .collect();
        keys.sort();
        keys
    }

    #[test]
    fn requested_claims_are_released_where_the_app_may_receive_them() {
        // A standard claim asked for by name comes without its scope (Banno's consumer
        // example asks for `name` with scope `openid` only).
        assert_eq!(
            released(
                "openid",
                &[],
                r#"{"id_token":{"name":null}}"#,
                Target::IdToken
            ),
            ["name"]
        );
        // ... in the place it was asked for only.
        assert!(
            released(
                "openid",
                &[],
                r#"{"id_token":{"name":null}}"#,
                Target::Userinfo
            )
            .is_empty()
        );
        // A public custom claim: any app; only when asked for.
        let asked = format!(r#"{{"userinfo":{{"{INSTITUTION}":null}}}}"#);
        assert_eq!(
            released("openid", &[], &asked, Target::Userinfo),
            [INSTITUTION]
        );
        assert!(released("openid", &[INSTITUTION], "{}", Target::Userinfo).is_empty());
        // A restricted one: only for an app enabled for it.
        let asked = format!(r#"{{"id_token":{{"{CUSTOMER}":{{"essential":true}}}}}}"#);
        assert!(released("openid", &[], &asked, Target::IdToken).is_empty());
        assert_eq!(
            released("openid", &[CUSTOMER], &asked, Target::IdToken),
            [CUSTOMER]
        );
        // Unknown names, claims the user does not have, and values that do not match are left out.
        assert!(
            released(
                "openid",
                &[],
                r#"{"id_token":{"https://other.example/claim":null,"nickname":null,"unheard_of":null}}"#,
                Target::IdToken
            )
            .is_empty()
        );
        assert_eq!(
            released(
                "openid",
                &[],
                r#"{"id_token":{"name":{"value":"Ada"},"given_name":{"values":["Bob"]}}}"#,
                Target::IdToken
            ),
            ["name"]
        );
    }

    #[test]
    fn a_claims_parameter_that_is_not_what_section_5_5_says_is_refused() {
        for bad in [
            "notjson",
            "[]",
            "\"id_token\"",
            r#"{"id_token":[]}"#,
            r#"{"userinfo":"name"}"#,
            r#"{"userinfo":null}"#,
            r#"{"id_token":{"name":true}}"#,
            r#"{"id_token":{"name":{"essential":"yes"}}}"#,
            r#"{"id_token":{"name":{"values":"Ada"}}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
        let ok = ClaimsRequest::parse(
            r#"{"id_token":{"sub":{"value":"u-1"},"name":null},"userinfo":{},"other":1}"#,
        )
        .unwrap();
        assert_eq!(ok.required_sub(), Some("u-1"));
        assert_eq!(ok.names(), ["name", "sub"]);
        assert!(ClaimsRequest::parse("{}").unwrap().is_empty());
    }

    #[test]
    fn sandbox_users_carry_the_public_claims_the_same_way_every_time() {
        let a = sandbox_samples("user-a");
        assert_eq!(a, sandbox_samples("user-a"));
        assert_ne!(a, sandbox_samples("user-b"));
        for name in PUBLIC_CUSTOM_CLAIMS {
            assert!(a.contains_key(*name), "{name}");
        }
    }

    #[test]
    fn claim_args() {
        assert_eq!(
            parse_claim_arg("email_verified=true").unwrap().1,
            Value::Bool(true)
        );
        assert_eq!(
            parse_claim_arg("name=Ada Lovelace").unwrap().1,
            json!("Ada Lovelace")
        );
        assert!(parse_claim_arg("sub=x").is_err());
        assert!(parse_claim_arg("noequals").is_err());
        assert!(parse_claim_arg("address={bad").is_err());
    }
}
