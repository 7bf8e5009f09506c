//! The public keys an app registers for `private_key_jwt` (RFC 7523): a PEM public key, a
//! JWKS document, or a JWKS URI the app publishes its keys at. A registered key is parsed when
//! the app is saved (so a bad key is refused then) and again when an assertion is checked; a
//! JWKS URI is fetched when first needed and kept ([`JwksCache`]).

use authdesk_core::client::check_jwks_uri;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

/// A registered (or fetched) set of public keys.
#[derive(Debug)]
pub enum ClientKey {
    Pem(String),
    Jwks(JwkSet),
}

/// The algorithms a client assertion may be signed with.
pub fn assertion_alg_allowed(alg: Algorithm) -> bool {
    matches!(
        alg,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::ES256
            | Algorithm::ES384
    )
}

/// The largest RSA modulus accepted (a 16,384-bit key costs a verifier dearly for nothing).
const MAX_RSA_BITS: usize = 8192;
/// An assertion without a `kid` is tried against at most this many of the app's keys.
pub const MAX_KEYS_TRIED: usize = 4;

/// Refuses what is not a usable public signing key: a symmetric (`oct`) key, an RSA key over
/// [`MAX_RSA_BITS`] or with an exponent over 2³², private members.
fn check_jwk(k: &Jwk, raw: &Value) -> Result<(), String> {
    if matches!(k.algorithm, AlgorithmParameters::OctetKey(_)) || raw["kty"] == "oct" {
        return Err("an oct key is a shared secret, not a public key".into());
    }
    if ["d", "p", "q", "dp", "dq", "qi"]
        .iter()
        .any(|m| raw.get(*m).is_some())
    {
        return Err("the JWKS contains private key material; register public keys only".into());
    }
    if let AlgorithmParameters::RSA(rsa) = &k.algorithm {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let n = base64::Engine::decode(&b64, rsa.n.as_bytes())
            .map_err(|_| "an RSA key's n is not base64url".to_string())?;
        let e = base64::Engine::decode(&b64, rsa.e.as_bytes())
            .map_err(|_| "an RSA key's e is not base64url".to_string())?;
        let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
        if bits > MAX_RSA_BITS {
            return Err(format!(
                "an RSA key of about {bits} bits: at most {MAX_RSA_BITS} are accepted"
            ));
        }
        if e.iter().skip_while(|b| **b == 0).count() > 4 {
            return Err("an RSA key's exponent is larger than 2^32".into());
        }
    }
    DecodingKey::from_jwk(k).map_err(|e| format!("a key in the JWKS is not usable: {e}"))?;
    Ok(())
}

impl ClientKey {
    /// Parses a registered key: a PEM public key or a JWKS document with at least one key,
    /// never private key material or a shared secret.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.starts_with("-----BEGIN") {
            if t.contains("PRIVATE KEY") {
                return Err("that is a private key; register the public key only".into());
            }
            let rsa = DecodingKey::from_rsa_pem(t.as_bytes()).is_ok();
            let ec = DecodingKey::from_ec_pem(t.as_bytes()).is_ok();
            if !(rsa || ec) {
                return Err("the PEM is not an RSA or EC public key".into());
            }
            if rsa && pem_rsa_bits(t).is_some_and(|b| b > MAX_RSA_BITS) {
                return Err(format!("the RSA key is larger than {MAX_RSA_BITS} bits"));
            }
            return Ok(ClientKey::Pem(t.to_string()));
        }
        let set: JwkSet = serde_json::from_str(t)
            .map_err(|e| format!("not a PEM public key nor a JWKS document: {e}"))?;
        if set.keys.is_empty() {
            return Err("the JWKS has no keys".into());
        }
        let raw: Value = serde_json::from_str(t).unwrap_or_default();
        let raws = raw["keys"].as_array().cloned().unwrap_or_default();
        for (k, r) in set.keys.iter().zip(raws.iter()) {
            check_jwk(k, r)?;
        }
        Ok(ClientKey::Jwks(set))
    }

    /// The keys to try for an assertion signed with `alg` under `kid`: the key with that
    /// `kid`; without one, the keys whose type fits the algorithm, at most
    /// [`MAX_KEYS_TRIED`] (Jack Henry's assertions carry no `kid`). The error says why there
    /// are none.
    pub fn candidates(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<Vec<DecodingKey>, &'static str> {
        let ec = matches!(alg, Algorithm::ES256 | Algorithm::ES384);
        match self {
            ClientKey::Pem(p) => {
                let key = if ec {
                    DecodingKey::from_ec_pem(p.as_bytes())
                } else {
                    DecodingKey::from_rsa_pem(p.as_bytes())
                };
                key.map(|k| vec![k])
                    .map_err(|_| "the registered key does not fit the algorithm")
            }
            ClientKey::Jwks(set) => {
                let fits = |k: &&Jwk| match &k.algorithm {
                    AlgorithmParameters::EllipticCurve(_) => ec,
                    AlgorithmParameters::RSA(_) => !ec,
                    _ => false,
                };
                let chosen: Vec<&Jwk> = match kid {
                    Some(kid) => set.find(kid).into_iter().collect(),
                    None => set.keys.iter().filter(fits).take(MAX_KEYS_TRIED).collect(),
                };
                if chosen.is_empty() {
                    return Err(match kid {
                        Some(_) => "no registered key matches the assertion's kid",
                        None => "no registered key fits the assertion's algorithm",
                    });
                }
                let keys: Vec<DecodingKey> = chosen
                    .into_iter()
                    .filter(fits)
                    .filter_map(|k| DecodingKey::from_jwk(k).ok())
                    .collect();
                if keys.is_empty() {
                    return Err("the registered key does not fit the algorithm");
                }
                Ok(keys)
            }
        }
    }
}

/// The size of a PEM RSA public key's modulus, if it parses.
fn pem_rsa_bits(pem: &str) -> Option<usize> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("");
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).ok()?;
    aws_lc_rs::rsa::PublicEncryptingKey::from_der(&der)
        .ok()
        .map(|k| k.key_size_bits())
}

/// Whether an address is one a production registry may not fetch from: loopback, private,
/// link-local, carrier-grade NAT, unique-local, unspecified, multicast or documentation.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

/// Where a JWKS URI may be fetched from, resolved now: any address in a sandbox; in
/// production only `https://`, and only if every address the host resolves to is public
/// (so a registration cannot aim the server at its own network).
pub async fn resolve_jwks_uri(
    uri: &str,
    mode: crate::api::Mode,
) -> Result<(url::Url, Vec<SocketAddr>), String> {
    let u = check_jwks_uri(uri)?;
    let production = mode == crate::api::Mode::Production;
    if production && u.scheme() != "https" {
        return Err("a production registry fetches JWKS URIs over https:// only".into());
    }
    let host = u.host_str().unwrap_or_default().to_string();
    let port = u.port_or_known_default().unwrap_or(443);
    let lookup = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port)),
    )
    .await
    .map_err(|_| format!("looking up {host} took too long"))?
    .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let addrs: Vec<SocketAddr> = lookup.collect();
    if addrs.is_empty() {
        return Err(format!("{host} resolves to no address"));
    }
    if production && let Some(a) = addrs.iter().find(|a| is_internal(a.ip())) {
        return Err(format!(
            "{host} resolves to {}, an internal address: a production registry fetches public addresses only",
            a.ip()
        ));
    }
    Ok((u, addrs))
}

/// Checks a JWKS URI at registration (see [`resolve_jwks_uri`]).
pub async fn jwks_uri_allowed(uri: &str, mode: crate::api::Mode) -> Result<(), String> {
    resolve_jwks_uri(uri, mode).await.map(|_| ())
}

/// The most a JWKS response may hold.
const MAX_JWKS_BYTES: usize = 64 * 1024;
/// How long a fetch may take, connection included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A JWKS URI is fetched again for an unknown `kid` at most this often.
pub const REFETCH_AFTER: Duration = Duration::from_secs(60);
/// Keys fetched this long ago are fetched again on their next use.
const MAX_AGE: Duration = Duration::from_secs(600);

/// Fetches a JWKS URI: connected only to the addresses checked by [`resolve_jwks_uri`]
/// (no second lookup a DNS answer could change), within [`FETCH_TIMEOUT`], no redirects
/// followed, at most [`MAX_JWKS_BYTES`], a 200 with a JWKS of public keys.
pub async fn fetch_jwks(uri: &str, mode: crate::api::Mode) -> Result<ClientKey, String> {
    let (u, addrs) = resolve_jwks_uri(uri, mode).await?;
    let host = u.host_str().unwrap_or_default().to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .resolve_to_addrs(&host, &addrs)
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let fetch = async {
        let mut resp = client
            .get(u.clone())
            .header("accept", "application/jwk-set+json, application/json")
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    format!("{host} did not answer within {} s", FETCH_TIMEOUT.as_secs())
                } else {
                    format!("cannot reach {host}: {}", e.without_url())
                }
            })?;
        if resp.status().is_redirection() {
            return Err(format!(
                "the JWKS URI answered {} (a redirect; redirects are not followed)",
                resp.status().as_u16()
            ));
        }
        if !resp.status().is_success() {
            return Err(format!("the JWKS URI answered {}", resp.status().as_u16()));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            return Err(format!(
                "the JWKS is larger than {} KiB",
                MAX_JWKS_BYTES / 1024
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("reading the JWKS failed: {}", e.without_url()))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_JWKS_BYTES {
                return Err(format!(
                    "the JWKS is larger than {} KiB",
                    MAX_JWKS_BYTES / 1024
                ));
            }
        }
        let text = String::from_utf8(body).map_err(|_| "the JWKS is not UTF-8".to_string())?;
        match ClientKey::parse(&text)? {
            ClientKey::Pem(_) => Err("the JWKS URI answered a PEM, not a JWKS".into()),
            jwks @ ClientKey::Jwks(_) => Ok(jwks),
        }
    };
    // The whole exchange, whatever the client's own timers do, ends within the timeout.
    tokio::time::timeout(FETCH_TIMEOUT + Duration::from_secs(1), fetch)
        .await
        .map_err(|_| format!("{host} did not answer within {} s", FETCH_TIMEOUT.as_secs()))?
}

struct Fetched {
    keys: std::sync::Arc<ClientKey>,
    /// When it was fetched, by the registry's clock (Unix seconds).
    at: i64,
}

/// Keys fetched from JWKS URIs, per URI: reused until [`MAX_AGE`], fetched again for an
/// unknown `kid` at most every [`REFETCH_AFTER`]. One fetch per URI at a time.
#[derive(Default)]
pub struct JwksCache {
    entries: Mutex<HashMap<String, Fetched>>,
    fetching: tokio::sync::Mutex<()>,
}

/// Why the cache has no keys to give.
#[derive(Debug)]
pub enum JwksError {
    /// The fetch failed (the reason says why: timeout, redirect, size, address, JSON).
    Fetch(String),
    /// Fetched less than [`REFETCH_AFTER`] ago: not fetched again yet.
    TooSoon,
}

impl JwksCache {
    /// The keys of `uri` at `now` (the registry's clock, Unix seconds): cached ones unless
    /// `refetch` (no cached key verified the assertion) or too old; fetched otherwise.
    pub async fn keys(
        &self,
        uri: &str,
        mode: crate::api::Mode,
        refetch: bool,
        now: i64,
    ) -> Result<std::sync::Arc<ClientKey>, JwksError> {
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let cached = |refetch: bool| -> Option<Result<std::sync::Arc<ClientKey>, JwksError>> {
            let entries = self.entries.lock().expect("jwks cache lock");
            let e = entries.get(uri)?;
            let age = now - e.at;
            match (refetch, age) {
                (false, a) if (0..secs(MAX_AGE)).contains(&a) => Some(Ok(e.keys.clone())),
                (true, a) if (0..secs(REFETCH_AFTER)).contains(&a) => Some(Err(JwksError::TooSoon)),
                _ => None,
            }
        };
        if let Some(r) = cached(refetch) {
            return r;
        }
        let _one = self.fetching.lock().await;
        // Another request may have fetched it meanwhile.
        if let Some(r) = cached(refetch) {
            return r;
        }
        let keys = std::sync::Arc::new(fetch_jwks(uri, mode).await.map_err(JwksError::Fetch)?);
        self.entries.lock().expect("jwks cache lock").insert(
            uri.to_string(),
            Fetched {
                keys: keys.clone(),
                at: now,
            },
        );
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(a.parse().unwrap()), "{a}");
        }
        for a in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_internal(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn what_is_not_a_usable_public_key_is_refused() {
        let oct = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#;
        assert!(ClientKey::parse(oct).unwrap_err().contains("oct"));
        let big_n = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            vec![0xff; 2048],
        );
        let huge = format!(r#"{{"keys":[{{"kty":"RSA","n":"{big_n}","e":"AQAB"}}]}}"#);
        assert!(ClientKey::parse(&huge).unwrap_err().contains("8192"));
        let big_e = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            vec![0x01; 501],
        );
        let n = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            vec![0xc5; 256],
        );
        let exp = format!(r#"{{"keys":[{{"kty":"RSA","n":"{n}","e":"{big_e}"}}]}}"#);
        assert!(ClientKey::parse(&exp).unwrap_err().contains("2^32"));
        let private = format!(r#"{{"keys":[{{"kty":"RSA","n":"{n}","e":"AQAB","d":"AQAB"}}]}}"#);
        assert!(ClientKey::parse(&private).unwrap_err().contains("private"));
        let fine = format!(r#"{{"keys":[{{"kty":"RSA","n":"{n}","e":"AQAB"}}]}}"#);
        assert!(ClientKey::parse(&fine).is_ok());
    }
}
