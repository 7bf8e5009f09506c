//! `authdesk serve`: the OAuth 2.0 / OIDC endpoints until Ctrl-C or SIGTERM.

use super::Failure;
use crate::api::{Authdesk, mode_name};
use crate::http::ConnectionLimits;
use authdesk_core::issuer::Issuer;
use std::net::SocketAddr;
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
    issuer: Option<&Issuer>,
    insecure_listen: bool,
) -> Result<Option<String>, Failure> {
    let https = issuer.is_some_and(Issuer::is_https);
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

pub(super) async fn serve(app: Arc<Authdesk>, args: ServeArgs) -> Result<(), Failure> {
    let limits = args.limits();
    let ServeArgs {
        listen,
        issuer,
        insecure_listen,
        sso,
        metrics_listen,
        ..
    } = args;
    app.set_sso_over_http(sso);
    crate::http::listener::raise_open_file_limit();
    if let Some(warning) = check_listen(listen, issuer.as_ref(), insecure_listen)? {
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
        None => Issuer::for_address(addr),
    };
    app.set_issuer(&issuer).await?;
    let mode = mode_name(app.mode());
    tracing::info!(%addr, %issuer, data_dir = %app.data_dir().display(), %mode, "authdesk serving");
    println!(
        "authdesk listening on http://{addr} (issuer {issuer}, {mode} data directory {})",
        app.data_dir().display()
    );
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
    crate::http::serve(app.clone(), listener, metrics_listener, limits, shutdown)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    app.store().close().await;
    println!("authdesk stopped");
    Ok(())
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
            let issuer = issuer.map(|i| Issuer::parse(i).unwrap());
            let got = check_listen(listen.parse().unwrap(), issuer.as_ref(), insecure);
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
