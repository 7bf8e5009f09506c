//! `authdesk serve`: the OAuth 2.0 / OIDC endpoints until Ctrl-C or SIGTERM.

use super::Failure;
use crate::api::{Authdesk, mode_name};
use authdesk_core::issuer::Issuer;
use std::net::SocketAddr;
use std::sync::Arc;

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

pub(super) async fn serve(
    app: Arc<Authdesk>,
    listen: SocketAddr,
    issuer: Option<Issuer>,
    insecure_listen: bool,
    metrics_listen: Option<SocketAddr>,
) -> Result<(), Failure> {
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
    crate::http::serve(app.clone(), listener, metrics_listener, shutdown)
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
