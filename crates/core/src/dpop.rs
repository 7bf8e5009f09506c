//! DPoP proofs (RFC 9449): a JWT the client signs with a key of its own for each request, so a
//! token bound to that key is useless to whoever steals it. [`check`] is the whole of §4.3's
//! list for one proof; remembering each `jti` for the window (replay, §11.1) is the caller's,
//! with the store. [`thumbprint`] is the key's RFC 7638 SHA-256 thumbprint (`jkt`), which
//! bound tokens carry as `cnf.jkt`.

use crate::{ErrorCode, OAuthError};
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The algorithms a proof may be signed with (`dpop_signing_alg_values_supported`): asymmetric
/// only (§4.3 step 5: never `none`, never a MAC).
pub const ALGS: [&str; 3] = ["ES256", "PS256", "RS256"];

/// How far a proof's `iat` may be from the server's clock, either way (§11.1: a window of
/// seconds to minutes). The same window bounds how long each `jti` must be remembered.
pub const IAT_WINDOW_SECONDS: i64 = 60;

/// What one request asks of its proof.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URL (`htu` is compared with it without query and fragment).
    pub url: &'a str,
    /// Now on the clock clients live in (the wall clock, not a moved sandbox clock: a proof's
    /// `iat` is the client's own time), Unix seconds.
    pub now: i64,
    /// The nonces the server accepts now (§8: the current one and the one before it), or none
    /// when it asks for none: a proof without one of them is answered `use_dpop_nonce`, with
    /// the current one.
    pub nonces: &'a [String],
    /// The access token presented with the proof, at a resource (§7): the proof's `ath` must
    /// be its SHA-256.
    pub access_token: Option<&'a str>,
}

/// A proof that passed: the key's thumbprint, and the `jti` to remember until `iat` + the
/// window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
}

fn invalid(why: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, why)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// A proof's header, read in one pass with its strings borrowed from the decoded bytes: a proof
/// is checked on every bound request, and its parsing is the cost beside the one signature
/// verification (the benchmark prints both).
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow, default)]
    typ: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    alg: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "object")]
    jwk: Option<Jwk<'a>>,
}

/// A JSON object as `T`, and nothing else: serde's derived structs also take an array, by
/// position, which a JOSE header or claims set never is (RFC 7515 §4, RFC 7519 §7.2).
fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct OnlyAnObject<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for OnlyAnObject<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    d.deserialize_map(OnlyAnObject(std::marker::PhantomData))
}

/// The members of a proof's `jwk` that are read, and whether it carries any private member
/// (§4.3 step 7: it must not; present at all, even `null`, is enough to refuse).
#[derive(Deserialize)]
struct Jwk<'a> {
    #[serde(borrow, default)]
    kty: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    crv: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    x: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    y: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    n: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    e: Option<Cow<'a, str>>,
    #[serde(
        default,
        alias = "p",
        alias = "q",
        alias = "dp",
        alias = "dq",
        alias = "qi",
        alias = "oth",
        alias = "k",
        deserialize_with = "present"
    )]
    d: bool,
}

/// A member that is there, whatever its value.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

#[derive(Deserialize)]
struct Claims<'a> {
    #[serde(borrow, default)]
    jti: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    htm: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    htu: Option<Cow<'a, str>>,
    /// A NumericDate: seconds, which RFC 7519 §2 lets be fractional.
    #[serde(default)]
    iat: Option<f64>,
    #[serde(borrow, default)]
    nonce: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ath: Option<Cow<'a, str>>,
}

/// One base64url part of the proof, decoded, or why not.
fn decoded(part: &str, what: &str) -> Result<Vec<u8>, OAuthError> {
    unb64(part).ok_or_else(|| invalid(format!("the proof's {what} is not base64url")))
}

/// A JSON object of the proof, or why not (a member of the wrong type names itself).
fn parsed<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, OAuthError> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    object(&mut json)
        .and_then(|v: Option<T>| json.end().map(|()| v))
        .map_err(|e| {
            invalid(format!(
                "the proof's {what} is not a JSON object of the form RFC 9449 gives: {e}"
            ))
        })?
        .ok_or_else(|| invalid(format!("the proof's {what} is not a JSON object")))
}

/// A key's members a thumbprint covers (RFC 7638 §3.2), or why the key is refused: only EC
/// P-256 and RSA keys, and never a private part (§4.3 step 7).
enum PublicKey<'k> {
    P256 { x: &'k str, y: &'k str },
    Rsa { n: &'k str, e: &'k str },
}

impl Jwk<'_> {
    fn public(&self) -> Result<PublicKey<'_>, OAuthError> {
        if self.d {
            return Err(invalid("the proof's jwk holds a private key"));
        }
        fn need<'k>(v: &'k Option<Cow<'_, str>>, k: &str) -> Result<&'k str, OAuthError> {
            v.as_deref()
                .ok_or_else(|| invalid(format!("the proof's jwk has no {k}")))
        }
        match self.kty.as_deref() {
            Some("EC") => {
                if self.crv.as_deref() != Some("P-256") {
                    return Err(invalid("the proof's EC key must be on P-256"));
                }
                Ok(PublicKey::P256 {
                    x: need(&self.x, "x")?,
                    y: need(&self.y, "y")?,
                })
            }
            Some("RSA") => Ok(PublicKey::Rsa {
                n: need(&self.n, "n")?,
                e: need(&self.e, "e")?,
            }),
            _ => Err(invalid(
                "the proof's jwk must be an EC (P-256) or RSA public key",
            )),
        }
    }
}

impl PublicKey<'_> {
    /// The RFC 7638 SHA-256 thumbprint, base64url: the required members only, in lexicographic
    /// order, as JSON without whitespace (§3).
    fn thumbprint(&self) -> String {
        let members: &[(&str, &str)] = match self {
            PublicKey::P256 { x, y } => &[("crv", "P-256"), ("kty", "EC"), ("x", x), ("y", y)],
            PublicKey::Rsa { n, e } => &[("e", e), ("kty", "RSA"), ("n", n)],
        };
        let mut json = Vec::with_capacity(160);
        json.push(b'{');
        for (i, (k, v)) in members.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            // Strings as JSON writes them (escaped where they must be).
            serde_json::to_writer(&mut json, k).expect("writing to memory");
            json.push(b':');
            serde_json::to_writer(&mut json, v).expect("writing to memory");
        }
        json.push(b'}');
        b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &json).as_ref())
    }

    /// Verifies `sig` over `input` with this key under `alg`.
    fn verify(&self, alg: &str, input: &[u8], sig: &[u8]) -> Result<(), OAuthError> {
        let field = |v: &str, k: &str| {
            unb64(v).ok_or_else(|| invalid(format!("the proof's jwk has no readable {k}")))
        };
        let verified = match (alg, self) {
            ("ES256", PublicKey::P256 { x, y }) => {
                // The uncompressed SEC 1 point: 0x04, x, y (32 bytes each).
                let mut point = [4u8; 65];
                let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                let sized = |v: &str, out: &mut [u8]| matches!(engine.decode_slice(v, out), Ok(32));
                let (xs, ys) = point[1..].split_at_mut(32);
                if !sized(x, xs) || !sized(y, ys) {
                    return Err(invalid(
                        "the proof's P-256 key has coordinates of the wrong size or not base64url",
                    ));
                }
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point[..])
                    .verify(input, sig)
            }
            ("RS256" | "PS256", PublicKey::Rsa { n, e }) => {
                let (n, e) = (field(n, "n")?, field(e, "e")?);
                let params = if alg == "RS256" {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                } else {
                    &signature::RSA_PSS_2048_8192_SHA256
                };
                signature::RsaPublicKeyComponents { n: &n, e: &e }.verify(params, input, sig)
            }
            _ => {
                return Err(invalid(format!(
                    "the proof's alg {alg} does not fit its jwk"
                )));
            }
        };
        verified.map_err(|_| invalid("the proof's signature does not verify with its jwk"))
    }
}

/// The RFC 7638 SHA-256 thumbprint of a public JWK, base64url: the `jkt` a bound token names.
pub fn thumbprint(jwk: &Map<String, Value>) -> Result<String, OAuthError> {
    let jwk: Jwk<'_> = Jwk::deserialize(Value::Object(jwk.clone()))
        .map_err(|e| invalid(format!("the jwk is not a JSON Web Key: {e}")))?;
    Ok(jwk.public()?.thumbprint())
}

/// `url` up to its query or fragment (RFC 3986 §3: the first `?` or `#` ends the path).
fn before_query(url: &str) -> &str {
    url.find(['?', '#']).map_or(url, |i| &url[..i])
}

/// `url` without its query and fragment (§4.3 step 9), with the scheme and host in lower case
/// (RFC 3986 §6.2.2.1: they are case-insensitive).
fn without_query(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url).ok()?;
    u.set_query(None);
    u.set_fragment(None);
    Some(u.to_string())
}

/// Whether a proof's `htu` names `url`, query and fragment aside. The same text is the same
/// URL (the common case: a client copies the URL it calls); other spellings are compared
/// normalized.
fn same_url(htu: &str, url: &str) -> bool {
    before_query(htu) == before_query(url)
        || without_query(htu).is_some_and(|h| Some(h) == without_query(url))
}

/// A proof whose form, key and signature passed (§4.3 steps 2–7): its key's thumbprint and
/// what it claims, for the remaining checks, one method each. [`check`] runs them all and stops
/// at the first refusal; Explain runs each and says what every one found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub jkt: String,
    pub jti: Option<String>,
    pub htm: Option<String>,
    pub htu: Option<String>,
    pub iat: Option<i64>,
    pub nonce: Option<String>,
    pub ath: Option<String>,
}

/// Reads a proof and checks its form, `typ`, `alg`, `jwk` and signature (§4.3 steps 2–7).
pub fn signed(jwt: &str) -> Result<Signed, OAuthError> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("the proof is not a signed JWT"));
    };
    let header_bytes = decoded(header, "header")?;
    let claims_bytes = decoded(claims, "claims")?;
    let header: Header<'_> = parsed(&header_bytes, "header")?;
    let claims: Claims<'_> = parsed(&claims_bytes, "claims")?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(invalid("the proof's typ must be dpop+jwt"));
    }
    let alg = header.alg.as_deref().unwrap_or("");
    if !ALGS.contains(&alg) {
        return Err(invalid(format!(
            "the proof's alg must be one of {}",
            ALGS.join(", ")
        )));
    }
    let Some(jwk) = &header.jwk else {
        return Err(invalid("the proof's header has no jwk"));
    };
    let key = jwk.public()?;
    let sig = decoded(sig, "signature")?;
    let signed = &jwt[..header_len(jwt)];
    key.verify(alg, signed.as_bytes(), &sig)?;
    let owned = |c: Option<Cow<'_, str>>| c.map(Cow::into_owned);
    Ok(Signed {
        jkt: key.thumbprint(),
        jti: owned(claims.jti),
        htm: owned(claims.htm),
        htu: owned(claims.htu),
        iat: claims
            .iat
            .filter(|t| t.is_finite() && t.abs() < 1e15)
            .map(|t| t.floor() as i64),
        nonce: owned(claims.nonce),
        ath: owned(claims.ath),
    })
}

impl Signed {
    /// Its `jti` (step 8's uniqueness is the caller's, with the store).
    pub fn jti(&self) -> Result<&str, OAuthError> {
        self.jti
            .as_deref()
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or_else(|| invalid("the proof needs a jti (at most 256 characters)"))
    }

    /// Whether it names this request: `htm` the method, `htu` the URL (query and fragment
    /// aside; §4.3 steps 8–9).
    pub fn names(&self, method: &str, url: &str) -> Result<(), OAuthError> {
        if self.htm.as_deref() != Some(method) {
            return Err(invalid(format!("the proof's htm must be {method}")));
        }
        if !self.htu.as_deref().is_some_and(|htu| same_url(htu, url)) {
            return Err(invalid("the proof's htu must be this request's URL"));
        }
        Ok(())
    }

    /// Its `iat`, if within the window of `now` (on the clients' clock; step 11).
    pub fn iat_near(&self, now: i64) -> Result<i64, OAuthError> {
        let iat = self
            .iat
            .ok_or_else(|| invalid("the proof needs an iat (seconds)"))?;
        if (iat - now).abs() > IAT_WINDOW_SECONDS {
            return Err(invalid(format!(
                "the proof's iat is more than {IAT_WINDOW_SECONDS} s from now (UTC; moves of a sandbox clock do not count)"
            )));
        }
        Ok(iat)
    }

    /// Whether it carries one of the nonces the server takes now, when it asks for one
    /// (step 10; §8): else `use_dpop_nonce`.
    pub fn carries_nonce(&self, nonces: &[String]) -> Result<(), OAuthError> {
        if nonces.is_empty() || nonces.iter().any(|n| self.nonce.as_ref() == Some(n)) {
            return Ok(());
        }
        Err(OAuthError::new(
            ErrorCode::UseDpopNonce,
            "the authorization server requires a DPoP nonce: use the one in the DPoP-Nonce header",
        ))
    }

    /// Whether its `ath` is this access token's hash (step 12, at a resource).
    pub fn for_token(&self, token: &str) -> Result<(), OAuthError> {
        let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        if self.ath.as_deref() != Some(b64(hash.as_ref()).as_str()) {
            return Err(invalid(
                "the proof's ath is not the hash of this access token",
            ));
        }
        Ok(())
    }
}

/// Checks one DPoP proof (RFC 9449 §4.3, steps 2–12; step 1, a single `DPoP` header, is the
/// HTTP layer's). Every refusal is `invalid_dpop_proof` except a missing or stale nonce,
/// `use_dpop_nonce` (§8).
pub fn check(jwt: &str, expected: &Expected<'_>) -> Result<Proof, OAuthError> {
    let s = signed(jwt)?;
    let jti = s.jti()?.to_string();
    s.names(expected.method, expected.url)?;
    let iat = s.iat_near(expected.now)?;
    s.carries_nonce(expected.nonces)?;
    if let Some(token) = expected.access_token {
        s.for_token(token)?;
    }
    Ok(Proof {
        jkt: s.jkt,
        jti,
        iat,
    })
}

/// The length of a JWS's signing input: its text up to the last `.`.
fn header_len(jwt: &str) -> usize {
    jwt.rfind('.').unwrap_or(0)
}

/// The one `DPoP` header a request may carry (§4.3 step 1): `None` without one, refused with
/// more than one.
pub fn single_header<'a>(values: &[&'a str]) -> Result<Option<&'a str>, OAuthError> {
    match values {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(invalid("send one DPoP header, not several")),
    }
}

/// How long a proof's `jti` is remembered: until a proof with that `iat` can no longer pass
/// (on the clients' clock, as `iat` is). The store frees a `jti` once its time is reached.
pub fn remember_until(proof: &Proof) -> i64 {
    no_longer_passes(proof.iat)
}

/// The first second a proof made at `iat` no longer passes ([`Signed::iat_near`] takes it up
/// to `iat` + the window inclusive).
pub fn no_longer_passes(iat: i64) -> i64 {
    iat + IAT_WINDOW_SECONDS + 1
}

/// An access token as a request to a resource presents it: `Authorization: Bearer …` (RFC 6750
/// §2.1) or `Authorization: DPoP …` with a `DPoP` proof (RFC 9449 §7.1), and what the proof
/// must name of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub token: String,
    /// Sent with the DPoP scheme.
    pub dpop_scheme: bool,
    /// The `DPoP` header's proof, if any.
    pub proof: Option<String>,
    /// The request's method and its URL as the client addressed it (`htm`, `htu`).
    pub method: String,
    pub url: String,
}

impl Presented {
    /// Reads the `Authorization` value (either scheme, case-insensitive) and the `DPoP` headers'.
    pub fn parse(
        authorization: Option<&str>,
        proofs: &[&str],
        method: &str,
        url: &str,
    ) -> Result<Presented, OAuthError> {
        let proof = single_header(proofs)?.map(String::from);
        let scheme = |name| {
            authorization
                .and_then(|a| crate::token_request::scheme_credentials(a, name))
                .filter(|t| !t.is_empty())
        };
        let (token, dpop_scheme) = match (scheme("Bearer"), scheme("DPoP")) {
            (Some(t), _) => (t, false),
            (None, Some(t)) => (t, true),
            (None, None) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidToken,
                    "an access token is required (Authorization: Bearer or DPoP)",
                ));
            }
        };
        Ok(Presented {
            token: token.to_string(),
            dpop_scheme,
            proof,
            method: method.to_string(),
            url: url.to_string(),
        })
    }
}

/// What a resource decides of a presented token that is bound to the key `bound_to` (or to
/// none), at `now`: `Ok(Some(proof))`, whose `jti` the caller remembers; `Ok(None)` for a
/// bearer token used as one. A bound token must come with the DPoP scheme and a proof of its
/// key for this request and this token (§7.1); an unbound token with the DPoP scheme is
/// refused too, so a client learns its token is not what it thinks.
pub fn check_presented(
    p: &Presented,
    bound_to: Option<&str>,
    now: i64,
    nonces: &[String],
) -> Result<Option<Proof>, OAuthError> {
    let Some(jkt) = bound_to else {
        if p.dpop_scheme {
            return Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "the access token is not bound to a DPoP key: send it as a Bearer token",
            )
            .with_dpop_challenge());
        }
        return Ok(None);
    };
    if !p.dpop_scheme {
        return Err(OAuthError::new(
            ErrorCode::InvalidToken,
            "the access token is bound to a DPoP key: send it with the DPoP scheme and a proof",
        )
        .with_dpop_challenge());
    }
    let proof = p
        .proof
        .as_deref()
        .ok_or_else(|| invalid("a DPoP proof is required with this access token"))?;
    let proof = check(
        proof,
        &Expected {
            method: &p.method,
            url: &p.url,
            now,
            nonces,
            access_token: Some(&p.token),
        },
    )?;
    if proof.jkt != jkt {
        return Err(invalid(
            "the proof is signed with another key than the one the access token is bound to",
        ));
    }
    Ok(Some(proof))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair};
    use serde_json::json;

    const URL: &str = "https://auth.bank.example/token";
    /// The nonces a server accepts in the nonce cases: the current and the one before.
    static NONCES: std::sync::LazyLock<[String; 2]> =
        std::sync::LazyLock::new(|| ["n-2".to_string(), "n-1b".to_string()]);
    const NOW: i64 = 1_800_000_000;

    struct Key {
        pair: EcdsaKeyPair,
    }

    impl Key {
        fn new() -> Key {
            Key {
                pair: EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap(),
            }
        }

        fn jwk(&self) -> Value {
            let point = self.pair.public_key().as_ref();
            json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])})
        }

        fn sign(&self, header: &Value, claims: &Value) -> String {
            let input = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            );
            format!("{input}.{}", self.sign_input(&input))
        }

        /// The base64url signature of a JWS signing input.
        fn sign_input(&self, input: &str) -> String {
            let sig = self
                .pair
                .sign(&SystemRandom::new(), input.as_bytes())
                .unwrap();
            b64(sig.as_ref())
        }

        fn header(&self) -> Value {
            json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()})
        }
    }

    fn claims() -> Value {
        json!({"jti": "j-1", "htm": "POST", "htu": URL, "iat": NOW})
    }

    fn expected() -> Expected<'static> {
        Expected {
            method: "POST",
            url: URL,
            now: NOW,
            nonces: &[],
            access_token: None,
        }
    }

    fn with(mut v: Value, k: &str, x: Value) -> Value {
        v[k] = x;
        v
    }

    fn without(mut v: Value, k: &str) -> Value {
        v.as_object_mut().unwrap().remove(k);
        v
    }

    #[test]
    fn a_good_proof_names_its_key_by_thumbprint() {
        let key = Key::new();
        let proof = check(&key.sign(&key.header(), &claims()), &expected()).unwrap();
        assert_eq!(proof.jti, "j-1");
        assert_eq!(proof.iat, NOW);
        assert_eq!(
            proof.jkt,
            thumbprint(key.jwk().as_object().unwrap()).unwrap()
        );
        // The query and fragment of the request's URL are ignored, and so is the case of
        // scheme and host.
        let e = Expected {
            url: "https://AUTH.bank.example/token?x=1#f",
            ..expected()
        };
        assert!(check(&key.sign(&key.header(), &claims()), &e).is_ok());
    }

    #[test]
    fn rfc_7638_thumbprint_of_its_example_key() {
        // RFC 7638 §3.1's RSA key and thumbprint.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(jwk.as_object().unwrap()).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn every_check_of_section_4_3_refuses_with_its_error() {
        let key = Key::new();
        let other = Key::new();
        let good_header = key.header();
        let mut private = key.jwk();
        private["d"] = json!("AAAA");
        // A private member is refused for being there, whatever its value.
        let mut null_private = key.jwk();
        null_private["k"] = Value::Null;
        // A header that names its jwk twice: which one signed is ambiguous.
        let twice = format!(
            "{{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{},\"jwk\":{}}}",
            key.jwk(),
            other.jwk()
        );
        let twice = {
            let input = format!(
                "{}.{}",
                b64(twice.as_bytes()),
                b64(claims().to_string().as_bytes())
            );
            format!("{input}.{}", key.sign_input(&input))
        };
        let hs256 = {
            let h = json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk()});
            key.sign(&h, &claims())
        };
        let cases: Vec<(&str, String, Expected<'static>, ErrorCode)> = vec![
            (
                "not a JWT",
                "abc".into(),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "typ JWT",
                key.sign(&with(good_header.clone(), "typ", json!("JWT")), &claims()),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "alg none",
                format!(
                    "{}.{}.",
                    b64(with(good_header.clone(), "alg", json!("none"))
                        .to_string()
                        .as_bytes()),
                    b64(claims().to_string().as_bytes())
                ),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            ("alg HS256", hs256, expected(), ErrorCode::InvalidDpopProof),
            (
                "no jwk",
                key.sign(&without(good_header.clone(), "jwk"), &claims()),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "a private key in jwk",
                key.sign(&with(good_header.clone(), "jwk", private), &claims()),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "a private member that is null",
                key.sign(&with(good_header.clone(), "jwk", null_private), &claims()),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            ("jwk twice", twice, expected(), ErrorCode::InvalidDpopProof),
            (
                "claims as an array",
                key.sign(&good_header, &json!(["j-1", "POST", URL, NOW])),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "a jwk as an array",
                key.sign(
                    &with(
                        good_header.clone(),
                        "jwk",
                        json!(["EC", "P-256", key.jwk()["x"], key.jwk()["y"]]),
                    ),
                    &claims(),
                ),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "typ not a string",
                key.sign(&with(good_header.clone(), "typ", json!(1)), &claims()),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "iat not a number",
                key.sign(&good_header, &with(claims(), "iat", json!("1800000000"))),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "signed by another key than its jwk",
                other.sign(&good_header, &claims()),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "alg RS256 with an EC key",
                key.sign(&with(good_header.clone(), "alg", json!("RS256")), &claims()),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "no jti",
                key.sign(&good_header, &without(claims(), "jti")),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "htm GET",
                key.sign(&good_header, &with(claims(), "htm", json!("GET"))),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "htu of another endpoint",
                key.sign(
                    &good_header,
                    &with(claims(), "htu", json!("https://auth.bank.example/userinfo")),
                ),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "iat an hour ago",
                key.sign(&good_header, &with(claims(), "iat", json!(NOW - 3600))),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "iat an hour ahead",
                key.sign(&good_header, &with(claims(), "iat", json!(NOW + 3600))),
                expected(),
                ErrorCode::InvalidDpopProof,
            ),
            (
                "no nonce when one is required",
                key.sign(&good_header, &claims()),
                Expected {
                    nonces: &NONCES[..],
                    ..expected()
                },
                ErrorCode::UseDpopNonce,
            ),
            (
                "a stale nonce",
                key.sign(&good_header, &with(claims(), "nonce", json!("n-1"))),
                Expected {
                    nonces: &NONCES[..],
                    ..expected()
                },
                ErrorCode::UseDpopNonce,
            ),
            (
                "no ath with an access token",
                key.sign(&good_header, &claims()),
                Expected {
                    access_token: Some("at-1"),
                    ..expected()
                },
                ErrorCode::InvalidDpopProof,
            ),
            (
                "ath of another token",
                key.sign(
                    &good_header,
                    &with(
                        claims(),
                        "ath",
                        json!(b64(aws_lc_rs::digest::digest(
                            &aws_lc_rs::digest::SHA256,
                            b"at-2"
                        )
                        .as_ref())),
                    ),
                ),
                Expected {
                    access_token: Some("at-1"),
                    ..expected()
                },
                ErrorCode::InvalidDpopProof,
            ),
        ];
        for (name, jwt, e, code) in cases {
            let got = check(&jwt, &e).map_err(|e| e.code);
            assert_eq!(got.err(), Some(code), "{name}");
        }
        // And the ones that pass: the nonce given, the access token's hash.
        let ath = b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"at-1").as_ref());
        let c = with(with(claims(), "nonce", json!("n-2")), "ath", json!(ath));
        let e = Expected {
            nonces: &NONCES[..],
            access_token: Some("at-1"),
            ..expected()
        };
        assert!(check(&key.sign(&good_header, &c), &e).is_ok());
        // A fractional iat is a NumericDate too (RFC 7519 §2).
        let c = with(claims(), "iat", json!(NOW as f64 + 0.5));
        assert_eq!(
            check(&key.sign(&good_header, &c), &expected()).unwrap().iat,
            NOW
        );
        // The nonce before the current one is still taken (a client's nonce may have just
        // rolled over).
        let c = with(with(claims(), "nonce", json!("n-1b")), "ath", json!(ath));
        assert!(check(&key.sign(&good_header, &c), &e).is_ok());
    }

    /// A proof passes up to `iat` + the window inclusive, and its `jti` is remembered until
    /// the first second it no longer does: no second in which a replay gets through.
    #[test]
    fn a_jti_is_remembered_for_as_long_as_its_proof_passes() {
        let key = Key::new();
        let s = signed(&key.sign(&key.header(), &claims())).unwrap();
        let last = NOW + IAT_WINDOW_SECONDS;
        assert_eq!(s.iat_near(last), Ok(NOW));
        assert!(s.iat_near(last + 1).is_err());
        let proof = check(&key.sign(&key.header(), &claims()), &expected()).unwrap();
        // The store frees a jti once `now` reaches the time it was remembered until.
        assert_eq!(remember_until(&proof), last + 1);
    }

    #[test]
    fn rsa_keys_sign_with_rs256_and_ps256() {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let public = pair.public_key();
        let jwk = json!({
            "kty": "RSA",
            "n": b64(public.modulus().big_endian_without_leading_zero()),
            "e": b64(public.exponent().big_endian_without_leading_zero()),
        });
        for (alg, padding) in [
            (
                "RS256",
                &signature::RSA_PKCS1_SHA256 as &dyn signature::RsaEncoding,
            ),
            ("PS256", &signature::RSA_PSS_SHA256),
        ] {
            let header = json!({"typ": "dpop+jwt", "alg": alg, "jwk": jwk});
            let input = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims().to_string().as_bytes())
            );
            let mut sig = vec![0; pair.public_modulus_len()];
            pair.sign(padding, &SystemRandom::new(), input.as_bytes(), &mut sig)
                .unwrap();
            let proof = check(&format!("{input}.{}", b64(&sig)), &expected());
            assert!(proof.is_ok(), "{alg}: {proof:?}");
        }
    }

    #[test]
    fn a_resource_takes_bound_tokens_with_their_proof_and_bearer_tokens_as_bearer() {
        let key = Key::new();
        let other = Key::new();
        let jkt = thumbprint(key.jwk().as_object().unwrap()).unwrap();
        let url = "https://auth.bank.example/userinfo";
        let ath = b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"at-1").as_ref());
        let claims = json!({"jti": "r-1", "htm": "GET", "htu": url, "iat": NOW, "ath": ath});
        let proof = key.sign(&key.header(), &claims);
        let presented =
            |auth: &str, proofs: &[&str]| Presented::parse(Some(auth), proofs, "GET", url).unwrap();
        let dpop = presented("DPoP at-1", &[&proof]);
        assert_eq!(
            check_presented(&dpop, Some(&jkt), NOW, &[])
                .unwrap()
                .unwrap()
                .jti,
            "r-1"
        );
        assert_eq!(
            check_presented(&presented("Bearer at-1", &[]), None, NOW, &[]).unwrap(),
            None
        );
        let refused: Vec<(&str, Presented, Option<&str>, ErrorCode, bool)> = vec![
            (
                "a bound token as Bearer",
                presented("Bearer at-1", &[&proof]),
                Some(&jkt),
                ErrorCode::InvalidToken,
                true,
            ),
            (
                "a bound token without a proof",
                presented("DPoP at-1", &[]),
                Some(&jkt),
                ErrorCode::InvalidDpopProof,
                true,
            ),
            (
                "a proof by another key",
                presented("DPoP at-1", &[&other.sign(&other.header(), &claims)]),
                Some(&jkt),
                ErrorCode::InvalidDpopProof,
                true,
            ),
            (
                "a proof for another token",
                presented("DPoP at-2", &[&proof]),
                Some(&jkt),
                ErrorCode::InvalidDpopProof,
                true,
            ),
            (
                "a bearer token with the DPoP scheme",
                presented("DPoP at-1", &[&proof]),
                None,
                ErrorCode::InvalidToken,
                true,
            ),
        ];
        for (name, p, bound, code, challenge) in refused {
            let e = check_presented(&p, bound, NOW, &[]).unwrap_err();
            assert_eq!((e.code, e.dpop), (code, challenge), "{name}");
        }
        let two = Presented::parse(Some("DPoP at-1"), &[&proof, &proof], "GET", url);
        assert_eq!(two.unwrap_err().code, ErrorCode::InvalidDpopProof);
        let none = Presented::parse(None, &[], "GET", url);
        assert_eq!(none.unwrap_err().code, ErrorCode::InvalidToken);
    }
}
