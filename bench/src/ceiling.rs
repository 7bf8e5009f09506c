//! The physical limit on the server's core, measured in the same run: how many RSA-2048 and
//! P-256 signatures per second one core makes with the library the server signs with.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ceiling {
    pub rsa2048_per_s: f64,
    pub p256_per_s: f64,
}

impl Ceiling {
    /// The mean of several measurements (of none: zero).
    pub fn mean(all: &[Ceiling]) -> Ceiling {
        let n = all.len().max(1) as f64;
        Ceiling {
            rsa2048_per_s: all.iter().map(|c| c.rsa2048_per_s).sum::<f64>() / n,
            p256_per_s: all.iter().map(|c| c.p256_per_s).sum::<f64>() / n,
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
        let _ = ec.public_key();
        let p256_per_s = rate(
            || {
                ec.sign(&rng, &msg).expect("sign");
            },
            for_,
        );
        Ceiling {
            rsa2048_per_s,
            p256_per_s,
        }
    })
    .join()
    .expect("ceiling thread")
}
