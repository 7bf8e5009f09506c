//! The Authdesk desktop console. This crate only wires: it opens the data directory, runs the
//! OAuth/OIDC endpoints on loopback in this process, and exposes the admin use cases to the web
//! UI as Tauri commands — each one parses its arguments, makes one call into
//! `authdesk_server::api`, and maps the result. No admin operation is reachable over HTTP.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod commands;

use authdesk_core::issuer::Issuer;
use authdesk_server::api::Authdesk;
use std::sync::{Arc, Mutex};

/// What the console holds: the opened data directory and the embedded server's state.
pub struct Console {
    pub app: Arc<Authdesk>,
    pub server: Mutex<ServerState>,
}

#[derive(Default, Clone)]
pub struct ServerState {
    pub running: bool,
    pub error: Option<String>,
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
    let data_dir = std::env::var_os("AUTHDESK_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(authdesk_server::cli::default_data_dir);
    let listen = std::env::var("AUTHDESK_LISTEN").unwrap_or_else(|_| "127.0.0.1:8400".into());
    let app = match runtime.block_on(Authdesk::open(&data_dir)) {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!(
                "error: cannot open the data directory {}: {e:#}",
                data_dir.display()
            );
            std::process::exit(1);
        }
    };
    let console = Arc::new(Console {
        app: app.clone(),
        server: Mutex::new(ServerState::default()),
    });
    runtime.spawn(run_server(console.clone(), listen));
    let _guard = runtime.enter();
    tauri::Builder::default()
        .manage(console)
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .expect("the Tauri application failed");
}

/// Runs the OAuth/OIDC endpoints until the process ends; a bind failure shows in the status bar.
async fn run_server(console: Arc<Console>, listen: String) {
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            *console.server.lock().expect("server state") = ServerState {
                running: false,
                error: Some(format!("cannot listen on {listen}: {e}")),
            };
            return;
        }
    };
    let addr = listener.local_addr().expect("bound address");
    let issuer = match std::env::var("AUTHDESK_ISSUER") {
        Err(_) => Issuer::for_address(addr),
        Ok(given) => match Issuer::parse(&given) {
            Ok(i) => i,
            Err(e) => {
                *console.server.lock().expect("server state") = ServerState {
                    running: false,
                    error: Some(format!("AUTHDESK_ISSUER: {e}")),
                };
                return;
            }
        },
    };
    if let Err(e) = console.app.set_issuer(&issuer).await {
        tracing::error!(error = %e, "could not record the issuer");
    }
    tracing::info!(%addr, %issuer, "console serving the OAuth/OIDC endpoints");
    *console.server.lock().expect("server state") = ServerState {
        running: true,
        error: None,
    };
    let result =
        authdesk_server::http::serve(console.app.clone(), listener, std::future::pending()).await;
    *console.server.lock().expect("server state") = ServerState {
        running: false,
        error: result.err().map(|e| e.to_string()),
    };
}
