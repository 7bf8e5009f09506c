//! Which of a user's claims an ID token or userinfo response releases (OIDC Core §5.4).

use crate::client::is_custom_claim_name;
use crate::scope::{ADDRESS, EMAIL, PHONE, PROFILE, Scope};
use serde_json::{Map, Value};

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

/// The user's claims released for `scope` to a client allowed `custom_claims`.
pub fn release(
    user_claims: &Map<String, Value>,
    scope: &Scope,
    custom_claims: &[String],
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
    for c in custom_claims {
        if let Some(v) = user_claims.get(c) {
            out.insert(c.clone(), v.clone());
        }
    }
    out
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
        let custom = vec!["https://api.banno.com/consumer/claim/institution_id".to_string()];
        let cases = [
            (
                "openid",
                vec!["https://api.banno.com/consumer/claim/institution_id"],
            ),
            (
                "openid profile",
                vec![
                    "https://api.banno.com/consumer/claim/institution_id",
                    "name",
                ],
            ),
            (
                "openid email phone",
                vec![
                    "email",
                    "email_verified",
                    "https://api.banno.com/consumer/claim/institution_id",
                    "phone_number",
                ],
            ),
        ];
        for (scope, want) in cases {
            let got = release(claims, &Scope::parse(scope).unwrap(), &custom);
            let mut keys: Vec<&str> = got.keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(keys, want, "{scope}");
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
