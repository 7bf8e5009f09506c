//! TLS on the OAuth listener (rustls): a certificate chain and key given as PEM files
//! (`serve --tls-cert PEM --tls-key PEM`, read again on SIGHUP), or, in a sandbox, a local
//! certificate authority and a `localhost` / `127.0.0.1` certificate it signs, made once
//! (`serve --tls`; `authdesk tls ca` names the CA to trust). Clients such as `openid-client`
//! 6 refuse plain-http issuers; a sandbox they can trust is what lets them run unchanged.

use crate::http::listener::{Handshake, Stream};
use authdesk_core::clock::Clock;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Where a TLS listener's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Reads a certificate chain and its private key, refusing (with what is wrong) files that
/// are missing or unreadable, hold no certificate or no key, or a key that does not belong to
/// the first certificate.
pub fn load(files: &TlsFiles) -> Result<CertifiedKey, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let cert_pem = read(&files.cert)?;
    let key_pem = read(&files.key)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", files.cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", files.cert.display()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: not a PEM private key: {e}", files.key.display()))?;
    let signer = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("{}: not a usable private key: {e}", files.key.display()))?;
    let certified = CertifiedKey::new(chain, signer);
    certified.keys_match().map_err(|_| {
        format!(
            "the private key in {} does not belong to the certificate in {}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    Ok(certified)
}

/// The certificate the listener presents, replaceable while serving (SIGHUP).
#[derive(Debug)]
pub struct Certificate {
    current: RwLock<Arc<CertifiedKey>>,
    files: TlsFiles,
}

impl Certificate {
    pub fn open(files: TlsFiles) -> Result<Arc<Self>, String> {
        let key = load(&files)?;
        Ok(Arc::new(Certificate {
            current: RwLock::new(Arc::new(key)),
            files,
        }))
    }

    /// Reads the files again; on any problem the certificate in use stays.
    pub fn reload(&self) -> Result<(), String> {
        let key = load(&self.files)?;
        *self.current.write().expect("certificate lock") = Arc::new(key);
        Ok(())
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("certificate lock").clone())
    }
}

/// The TLS handshake for the listener: HTTP/1.1 over TLS 1.2 or 1.3.
pub fn handshake(cert: Arc<Certificate>) -> Result<Handshake, String> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    Ok(Arc::new(move |tcp| {
        let acceptor = acceptor.clone();
        Box::pin(async move {
            let stream = acceptor.accept(tcp).await?;
            Ok(Box::new(stream) as Box<dyn Stream>)
        })
    }))
}

/// Where a registry's sandbox CA lives: its data directory, or (a PostgreSQL registry) the
/// platform's configuration directory.
pub fn sandbox_ca_for(app: &crate::api::Authdesk) -> SandboxCa {
    if app.store().is_postgres() {
        SandboxCa::at(&crate::cli::default_config_dir().join("tls"))
    } else {
        SandboxCa::at(&app.data_dir().join("tls"))
    }
}

/// The sandbox's local certificate authority and the listener certificate it signed, in a
/// directory of their own (owner-only; the keys 0600).
pub struct SandboxCa {
    dir: PathBuf,
}

const CA_NAME: &str = "Authdesk sandbox CA";
/// The listener certificate is made again this long before it expires.
const RENEW_DAYS: i64 = 30;
const LEAF_DAYS: i64 = 825;
const CA_YEARS: i32 = 20;

impl SandboxCa {
    pub fn at(dir: &Path) -> Self {
        SandboxCa {
            dir: dir.to_path_buf(),
        }
    }

    /// The CA certificate clients are told to trust.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn ca_key(&self) -> PathBuf {
        self.dir.join("ca-key.pem")
    }

    /// The listener's certificate (chain: the leaf, then the CA) and key.
    pub fn listener_files(&self) -> TlsFiles {
        TlsFiles {
            cert: self.dir.join("localhost.pem"),
            key: self.dir.join("localhost-key.pem"),
        }
    }

    /// Makes the CA if there is none, and a listener certificate for `localhost`,
    /// `127.0.0.1` and `::1` if there is none or it expires within 30 days. The CA is never
    /// replaced: clients that trust it keep trusting what it signs.
    pub fn ensure(&self, clock: &dyn Clock) -> Result<(), String> {
        create_private_dir(&self.dir)?;
        let now = clock.now();
        let today = rcgen_date(now);
        let ca_key = if self.ca_file().exists() && self.ca_key().exists() {
            let pem = std::fs::read_to_string(self.ca_key())
                .map_err(|e| format!("cannot read {}: {e}", self.ca_key().display()))?;
            rcgen::KeyPair::from_pem(&pem).map_err(|e| format!("the CA key: {e}"))?
        } else {
            let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
            let mut params = ca_params();
            params.not_before = today;
            params.not_after = rcgen::date_time_ymd(chrono::Datelike::year(&now) + CA_YEARS, 1, 1);
            let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
            write_private(&self.ca_key(), key.serialize_pem().as_bytes())?;
            write_public(&self.ca_file(), cert.pem().as_bytes())?;
            // A new CA: whatever it did not sign is stale.
            let _ = std::fs::remove_file(self.listener_files().cert);
            key
        };
        let files = self.listener_files();
        if self.leaf_is_fresh(&files, now) {
            return Ok(());
        }
        let leaf_end = now + chrono::Duration::days(LEAF_DAYS);
        let issuer = rcgen::Issuer::new(ca_params(), ca_key);
        let mut leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .map_err(|e| e.to_string())?;
        leaf.subject_alt_names.extend([
            rcgen::SanType::IpAddress(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
            rcgen::SanType::IpAddress(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
        ]);
        leaf.distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        leaf.not_before = today;
        leaf.not_after = rcgen_date(leaf_end);
        let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        let cert = leaf.signed_by(&key, &issuer).map_err(|e| e.to_string())?;
        let ca_pem = std::fs::read_to_string(self.ca_file())
            .map_err(|e| format!("cannot read {}: {e}", self.ca_file().display()))?;
        write_private(&files.key, key.serialize_pem().as_bytes())?;
        write_public(&files.cert, format!("{}{ca_pem}", cert.pem()).as_bytes())?;
        write_public(
            &self.leaf_expiry_file(),
            leaf_end.timestamp().to_string().as_bytes(),
        )?;
        Ok(())
    }

    /// When the listener certificate expires (Unix seconds), written beside it when made.
    fn leaf_expiry_file(&self) -> PathBuf {
        self.dir.join("localhost.expires")
    }

    fn leaf_is_fresh(&self, files: &TlsFiles, now: chrono::DateTime<chrono::Utc>) -> bool {
        let expires = std::fs::read_to_string(self.leaf_expiry_file())
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok());
        files.cert.exists()
            && files.key.exists()
            && expires.is_some_and(|e| e > (now + chrono::Duration::days(RENEW_DAYS)).timestamp())
    }
}

fn ca_params() -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, CA_NAME);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Authdesk");
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// A certificate date (the start of the day, UTC).
fn rcgen_date(t: chrono::DateTime<chrono::Utc>) -> time::OffsetDateTime {
    use chrono::Datelike;
    // Month and day always fit a u8.
    rcgen::date_time_ymd(
        t.year(),
        u8::try_from(t.month()).unwrap_or(1),
        u8::try_from(t.day()).unwrap_or(1),
    )
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let _ = std::fs::remove_file(path);
    let mut f = authdesk_store::files::create_owner_only(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
