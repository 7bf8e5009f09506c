//! `authdesk serve`: the OAuth 2.0 / OIDC endpoints until Ctrl-C or SIGTERM.

use super::Failure;
use crate::api::{Actor, Authdesk, Mode, Profile, mode_name};
use crate::http::{ConnectionLimits, ServeOptions};
use crate::tls::{Certificate, TlsFiles};
use authdesk_core::issuer::Issuer;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8400")]
    listen: SocketAddr,
    /// Public issuer URL (default: http://<listen address>).
    #[arg(long, value_parser = Issuer::parse)]
    issuer: Option<Issuer>,
    /// Serve a non-loopback --listen address with an http:// issuer anyway (tokens and
    /// passwords then cross the network in clear text; for a trusted lab network only).
    #[arg(long)]
    insecure_listen: bool,
    /// Keep login sessions (single sign-on) with an http:// issuer too. Browsers send a
    /// 127.0.0.1 cookie to every port, so any local app could then get codes for the
    /// logged-in user without a login. Always on with an https:// issuer.
    #[arg(long)]
    sso: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics, a listener of their own (off
    /// unless given; nothing of it is on the OAuth port).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// How long a connection may take to send a request's headers, counted from when the
    /// server starts waiting for them (so also how long an idle keep-alive connection stays).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = seconds)]
    header_timeout: Duration,
    /// How long a request's body may take to arrive after its headers.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = seconds)]
    body_timeout: Duration,
    /// Connections open at once; one more is answered 503 and closed (lowered to what the
    /// open-file limit leaves room for).
    #[arg(long, value_name = "N", default_value_t = ConnectionLimits::default().max_connections)]
    max_connections: usize,
    /// How long SIGTERM / Ctrl-C waits for requests in flight before dropping connections.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = seconds)]
    shutdown_grace: Duration,
    /// The wire contract to serve: default (standard names at the issuer), or banno (Banno's
    /// consumer and enterprise issuers under the base URL). Remembered by the registry.
    #[arg(long, value_parser = Profile::parse)]
    profile: Option<Profile>,
    /// Serve https with the sandbox's local CA (made once; `authdesk tls ca` names it).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    tls: bool,
    /// Serve https with this certificate chain (PEM; re-read on SIGHUP).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve the sandbox consumer API (accounts, transactions, fetch tasks, the user) that
    /// Banno's example apps call: Banno profile, sandbox registries only.
    #[arg(long)]
    sandbox_api: bool,
    /// Every app's sign-ins must start with a pushed request (RFC 9126 PAR): plain
    /// authorization requests are sent back `invalid_request`, and discovery says
    /// `require_pushed_authorization_requests: true`.
    #[arg(long)]
    require_par: bool,
    /// DPoP proofs must carry a nonce this server gave (RFC 9449 §8: `use_dpop_nonce` and a
    /// `DPoP-Nonce` header until they do); a nonce is good for 5 to 10 minutes.
    #[arg(long)]
    dpop_nonce: bool,
}

/// A duration flag (`10s`, `2m`) as a std `Duration`, at least one second.
fn seconds(s: &str) -> Result<Duration, String> {
    let d = authdesk_core::clock::parse_duration(s)?;
    match u64::try_from(d.num_seconds()) {
        Ok(n) if n >= 1 => Ok(Duration::from_secs(n)),
        _ => Err(format!("'{s}' must be at least 1s")),
    }
}

impl ServeArgs {
    fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            max_connections: self.max_connections.max(1),
            shutdown_grace: self.shutdown_grace,
            ..ConnectionLimits::default()
        }
    }
}

/// A listen address other machines can reach needs an `https://` issuer (TLS ended in front
/// of authdesk); `--insecure-listen` overrides, with the warning returned.
fn check_listen(
    listen: SocketAddr,
    https: bool,
    insecure_listen: bool,
) -> Result<Option<String>, Failure> {
    if listen.ip().is_loopback() || https {
        return Ok(None);
    }
    if !insecure_listen {
        return Err(Failure(format!(
            "refusing to listen on {listen} with an http:// issuer: other machines would send \
             tokens and passwords in clear text. Give an https:// --issuer (with TLS ended in \
             front of authdesk), listen on 127.0.0.1, or pass --insecure-listen for a trusted \
             lab network"
        )));
    }
    Ok(Some(format!(
        "--insecure-listen: serving {listen} over plain http; tokens and passwords cross the network in clear text"
    )))
}

/// The certificate a TLS listener presents: the sandbox's own (made if needed), or the given
/// files. A production registry has no sandbox CA.
fn certificate(app: &Authdesk, args: &ServeArgs) -> Result<Option<Arc<Certificate>>, Failure> {
    let files = match (&args.tls_cert, &args.tls_key, args.tls) {
        (Some(cert), Some(key), _) => TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        },
        (_, _, true) => {
            if app.mode() == Mode::Production {
                return Err(Failure(
                    "--tls uses the sandbox's own certificate authority; a production registry serves its own certificate: give --tls-cert and --tls-key".into(),
                ));
            }
            let ca = crate::tls::sandbox_ca_for(app);
            ca.ensure(&authdesk_core::clock::SystemClock)
                .map_err(|e| Failure(format!("cannot make the sandbox CA: {e}")))?;
            ca.listener_files()
        }
        _ => return Ok(None),
    };
    Certificate::open(files)
        .map(Some)
        .map_err(|e| Failure(format!("cannot serve TLS: {e}")))
}

pub(super) async fn serve(app: Arc<Authdesk>, args: ServeArgs) -> Result<(), Failure> {
    let limits = args.limits();
    let tls = certificate(&app, &args)?;
    if let Some(profile) = args.profile {
        app.set_profile(profile, &Actor::cli()).await?;
    }
    if args.sandbox_api {
        app.sandbox_api_allowed(app.profile())?;
    }
    let sandbox_api = args.sandbox_api;
    let ServeArgs {
        listen,
        issuer,
        insecure_listen,
        sso,
        metrics_listen,
        require_par,
        dpop_nonce,
        ..
    } = args;
    app.set_sso_over_http(sso);
    app.set_require_par(require_par);
    app.set_dpop_nonce_required(dpop_nonce);
    crate::http::listener::raise_open_file_limit();
    let scheme = if tls.is_some() { "https" } else { "http" };
    // A listener that terminates TLS itself serves https whatever the issuer says.
    let https = tls.is_some() || issuer.as_ref().is_some_and(Issuer::is_https);
    if let Some(warning) = check_listen(listen, https, insecure_listen)? {
        tracing::warn!(%listen, "{warning}");
        eprintln!("warning: {warning}");
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| Failure(e.to_string()))?;
    let metrics_listener = match metrics_listen {
        None => None,
        Some(m) => {
            let l = tokio::net::TcpListener::bind(m)
                .await
                .map_err(|e| Failure(format!("cannot listen on {m} for metrics: {e}")))?;
            Some(l)
        }
    };
    let issuer = match issuer {
        Some(i) => i,
        None => crate::http::default_issuer(addr, tls.is_some()).map_err(Failure)?,
    };
    app.set_issuer(&issuer).await?;
    let mode = mode_name(app.mode());
    let profile = app.profile();
    let issuers: Vec<String> = app.site().issuers.iter().map(|i| i.url.clone()).collect();
    tracing::info!(%addr, issuers = %issuers.join(" "), %profile, data_dir = %app.data_dir().display(), %mode, "authdesk serving");
    let shown = match (tls.is_some(), addr.ip().is_loopback()) {
        (true, true) => format!("https://localhost:{}", addr.port()),
        _ => format!("{scheme}://{addr}"),
    };
    println!(
        "authdesk listening on {shown} ({profile} profile, issuer {}, {mode} data directory {})",
        issuers.join(" and "),
        app.data_dir().display()
    );
    if let Some(cert) = &tls {
        reload_on_sighup(cert.clone());
    }
    if let Some(at) = metrics_listener.as_ref().and_then(|l| l.local_addr().ok()) {
        tracing::info!(%at, "metrics served");
        println!("authdesk metrics on http://{at}/metrics");
    }
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("shutting down");
    };
    let options = ServeOptions {
        limits,
        tls,
        sandbox_api,
        metrics: Default::default(),
    };
    crate::http::serve(app.clone(), listener, metrics_listener, options, shutdown)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    app.store().close().await;
    println!("authdesk stopped");
    Ok(())
}

/// `authdesk tls ca`: the sandbox CA's certificate (made now if there is none) and how to
/// trust it.
pub(super) fn tls_ca(app: &Authdesk, json: bool) -> Result<(), Failure> {
    if app.mode() == Mode::Production {
        return Err(Failure(
            "a production registry has no sandbox CA: serve with --tls-cert and --tls-key".into(),
        ));
    }
    let ca = crate::tls::sandbox_ca_for(app);
    ca.ensure(&authdesk_core::clock::SystemClock)
        .map_err(|e| Failure(format!("cannot make the sandbox CA: {e}")))?;
    let file = ca.ca_file().display().to_string();
    super::output::print(json, &serde_json::json!({ "ca_file": file }), || {
        format!(
            "The sandbox's certificate authority: {file}\n\
             `authdesk serve --tls` presents a certificate it signed, for localhost and 127.0.0.1.\n\
             Trust it in the programs that call the sandbox:\n  \
             Node.js (openid-client):     export NODE_EXTRA_CA_CERTS={file}\n  \
             Python (requests, authlib):  export REQUESTS_CA_BUNDLE={file}\n  \
             OpenSSL tools:               export SSL_CERT_FILE={file}   (curl: --cacert {file})\n"
        )
    });
    Ok(())
}

/// Re-reads the certificate files on SIGHUP (a renewed certificate without a restart); a
/// file that does not load leaves the one in use.
fn reload_on_sighup(cert: Arc<Certificate>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            match cert.reload() {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate not reloaded; the one in use stays");
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::check_listen;
    use authdesk_core::issuer::Issuer;

    #[test]
    fn a_network_listen_address_needs_https_or_an_explicit_override() {
        let cases = [
            ("127.0.0.1:8400", None, false, Some(false)),
            (
                "[::1]:8400",
                Some("http://localhost:8400"),
                false,
                Some(false),
            ),
            ("0.0.0.0:8400", None, false, None),
            ("0.0.0.0:8400", Some("http://auth.example.com"), false, None),
            (
                "10.0.0.5:8400",
                Some("https://auth.example.com"),
                false,
                Some(false),
            ),
            (
                "0.0.0.0:8400",
                Some("http://auth.example.com"),
                true,
                Some(true),
            ),
        ];
        for (listen, issuer, insecure, expect) in cases {
            let https = issuer.is_some_and(|i| Issuer::parse(i).unwrap().is_https());
            let got = check_listen(listen.parse().unwrap(), https, insecure);
            match expect {
                None => assert!(
                    got.as_ref()
                        .is_err_and(|e| e.0.contains("--insecure-listen")),
                    "{listen} {issuer:?}"
                ),
                Some(warns) => assert_eq!(
                    got.as_ref().map(std::option::Option::is_some).ok(),
                    Some(warns),
                    "{listen} {issuer:?}"
                ),
            }
        }
    }
}
