//! The physical limit on the server's core, measured in the same run: how many RSA-2048 and
//! P-256 signatures per second one core makes with the library the server signs with, and what
//! a DPoP proof's check costs there (the server's own `dpop::check`) next to the one P-256
//! verification inside it.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ceiling {
    pub rsa2048_per_s: f64,
    pub p256_per_s: f64,
    /// P-256 (ES256) verifications per second: the unit a DPoP proof's cost is counted in.
    #[serde(default)]
    pub p256_verify_per_s: f64,
    /// Whole DPoP proof checks per second (`authdesk_core::dpop::check` on an ES256 proof like
    /// the load's): parsing, thumbprint, verification and claims.
    #[serde(default)]
    pub dpop_check_per_s: f64,
}

impl Ceiling {
    /// The mean of several measurements (of none: zero).
    pub fn mean(all: &[Ceiling]) -> Ceiling {
        let n = all.len().max(1) as f64;
        Ceiling {
            rsa2048_per_s: all.iter().map(|c| c.rsa2048_per_s).sum::<f64>() / n,
            p256_per_s: all.iter().map(|c| c.p256_per_s).sum::<f64>() / n,
            p256_verify_per_s: all.iter().map(|c| c.p256_verify_per_s).sum::<f64>() / n,
            dpop_check_per_s: all.iter().map(|c| c.dpop_check_per_s).sum::<f64>() / n,
        }
    }
}

fn rate(mut f: impl FnMut(), for_: Duration) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < for_ {
        for _ in 0..16 {
            f();
        }
        n += 16;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Runs on a thread pinned to `cpu` (the server's core) while the server is idle.
pub fn measure(cpu: Option<usize>, for_: Duration) -> Ceiling {
    std::thread::spawn(move || {
        if let Some(c) = cpu {
            core_affinity::set_for_current(core_affinity::CoreId { id: c });
        }
        let rng = SystemRandom::new();
        let msg = [7u8; 600];
        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let mut sig = vec![0u8; rsa.public_modulus_len()];
        let rsa2048_per_s = rate(
            || {
                rsa.sign(&signature::RSA_PKCS1_SHA256, &rng, &msg, &mut sig)
                    .expect("sign");
            },
            for_,
        );
        let ec =
            EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).expect("EC key");
        let p256_per_s = rate(
            || {
                ec.sign(&rng, &msg).expect("sign");
            },
            for_,
        );
        let ec_sig = ec.sign(&rng, &msg).expect("sign");
        let ec_public = ec.public_key().as_ref().to_vec();
        let p256_verify_per_s = rate(
            || {
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &ec_public)
                    .verify(&msg, ec_sig.as_ref())
                    .expect("verify");
            },
            for_,
        );
        let url = "http://127.0.0.1:1/token";
        let proofs = crate::load::Proofs::new(url.into()).expect("DPoP key");
        let proof = proofs.sign();
        #[allow(clippy::disallowed_methods)]
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let expected = authdesk_core::dpop::Expected {
            method: "POST",
            url,
            now,
            nonces: &[],
            access_token: None,
        };
        let dpop_check_per_s = rate(
            || {
                authdesk_core::dpop::check(&proof, &expected).expect("the load's proof checks");
            },
            for_,
        );
        Ceiling {
            rsa2048_per_s,
            p256_per_s,
            p256_verify_per_s,
            dpop_check_per_s,
        }
    })
    .join()
    .expect("ceiling thread")
}
