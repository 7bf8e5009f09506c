//! The Authdesk desktop console. This crate only wires: it opens the data directory, runs the
//! OAuth/OIDC endpoints on loopback in this process, and exposes the admin use cases to the web
//! UI as Tauri commands — each one parses its arguments, makes one call into
//! `authdesk_server::api`, and maps the result. No admin operation is reachable over HTTP.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod commands;

use authdesk_core::issuer::Issuer;
use authdesk_server::api::{Authdesk, Database};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// What the console holds: the opened data directory and the embedded server's state.
pub struct Console {
    pub app: Arc<Authdesk>,
    pub server: Mutex<ServerState>,
    /// Stops the running embedded server (to restart it elsewhere).
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

#[derive(Default, Clone)]
pub struct ServerState {
    pub running: bool,
    pub error: Option<String>,
    /// Where it listens, once bound.
    pub listen: Option<SocketAddr>,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AUTHDESK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    // The registry: AUTHDESK_DATABASE_URL (a PostgreSQL database several desks and nodes
    // share, or a directory), else AUTHDESK_DATA_DIR, else the platform's data directory — as
    // the CLI's --database and --data-dir.
    let database = match std::env::var("AUTHDESK_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Database::parse(&url),
        _ => Database::Dir(
            std::env::var_os("AUTHDESK_DATA_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(authdesk_server::cli::default_data_dir),
        ),
    };
    let listen = std::env::var("AUTHDESK_LISTEN").unwrap_or_else(|_| "127.0.0.1:8400".into());
    let opened = runtime.block_on(Authdesk::open_database(&database, Default::default()));
    let app = match opened {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("error: cannot open {}: {e:#}", database.shown());
            std::process::exit(1);
        }
    };
    let console = Arc::new(Console {
        app: app.clone(),
        server: Mutex::new(ServerState::default()),
        stop: Mutex::new(None),
    });
    let issuer = std::env::var("AUTHDESK_ISSUER").ok();
    let starting = console.clone();
    runtime.spawn(async move {
        if let Err(error) = starting.start_server(&listen, issuer.as_deref()).await {
            *starting.server.lock().expect("server state") = ServerState {
                running: false,
                error: Some(error),
                listen: None,
            };
        }
    });
    let _guard = runtime.enter();
    tauri::Builder::default()
        .manage(console)
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .expect("the Tauri application failed");
}

impl Console {
    /// Serves the OAuth/OIDC endpoints on `listen` (loopback only) with `issuer` (default:
    /// `http://` and the bound address), stopping the server that ran before. Nothing changes
    /// when the address cannot be bound or the issuer is invalid: the error says why and what
    /// to do.
    pub async fn start_server(
        self: &Arc<Self>,
        listen: &str,
        issuer: Option<&str>,
    ) -> Result<SocketAddr, String> {
        let wanted: SocketAddr = listen
            .trim()
            .parse()
            .map_err(|_| format!("{listen:?} is not an address and port, like 127.0.0.1:8400"))?;
        if !wanted.ip().is_loopback() {
            return Err(format!(
                "the console serves on this machine only (127.0.0.1 or [::1]), not {}; to serve others run `authdesk serve --insecure-listen` behind TLS",
                wanted.ip()
            ));
        }
        let issuer = issuer
            .filter(|i| !i.trim().is_empty())
            .map(Issuer::parse)
            .transpose()
            .map_err(|e| format!("issuer: {e}"))?;
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(|e| bind_error(wanted, &e))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let issuer = issuer.unwrap_or_else(|| Issuer::for_address(addr));
        if let Some(previous) = self.stop.lock().expect("stop").take() {
            let _ = previous.send(());
        }
        if let Err(e) = self.app.set_issuer(&issuer).await {
            tracing::error!(error = %e, "could not record the issuer");
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        *self.stop.lock().expect("stop") = Some(stop);
        tracing::info!(%addr, %issuer, "console serving the OAuth/OIDC endpoints");
        *self.server.lock().expect("server state") = ServerState {
            running: true,
            error: None,
            listen: Some(addr),
        };
        let console = self.clone();
        tokio::spawn(async move {
            let result = authdesk_server::http::serve(console.app.clone(), listener, None, async {
                let _ = stopped.await;
            })
            .await;
            let mut state = console.server.lock().expect("server state");
            // A restart already put the next server's state in place.
            if state.listen == Some(addr) {
                *state = ServerState {
                    running: false,
                    error: result.err().map(|e| e.to_string()),
                    listen: None,
                };
            }
        });
        Ok(addr)
    }
}

/// Why `addr` could not be bound, and what to do about it.
fn bind_error(addr: SocketAddr, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "port {port} on {ip} is taken by another program. Choose another port (e.g. {ip}:{next}), or stop the program using it (`ss -ltnp 'sport = :{port}'` names it)",
            ip = addr.ip(),
            port = addr.port(),
            next = addr.port().saturating_add(1)
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "port {} needs privileges this user does not have: choose a port above 1023",
            addr.port()
        ),
        _ => format!("cannot listen on {addr}: {e}"),
    }
}
