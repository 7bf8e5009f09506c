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
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// What the console holds: the opened registry (a data directory or a PostgreSQL database;
/// Settings can open another) and the embedded server's state.
pub struct Console {
    app: RwLock<Arc<Authdesk>>,
    pub server: Mutex<ServerState>,
    /// Stops the running embedded server (to restart it elsewhere).
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    /// One restart or registry switch at a time.
    changing: tokio::sync::Mutex<()>,
    /// The issuer given in Settings, if one was (else it follows the address and TLS).
    explicit_issuer: Mutex<Option<String>>,
    /// Who is signed in at this desk (on the registry open now).
    pub desk: authdesk_server::api::desk::DeskSession,
}

#[derive(Default, Clone)]
pub struct ServerState {
    pub running: bool,
    pub error: Option<String>,
    /// Where it listens, once bound.
    pub listen: Option<SocketAddr>,
    /// How it serves (profile, https, sandbox API), as started.
    pub serving: authdesk_server::api::console::ServerSettings,
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
    authdesk_server::http::listener::raise_open_file_limit();
    // The registry: AUTHDESK_DATABASE_URL (a PostgreSQL database several desks and nodes
    // share, or a directory), else AUTHDESK_DATA_DIR — as the CLI's --database and --data-dir —,
    // else the one last opened from Settings, else the platform's data directory.
    let given = match std::env::var("AUTHDESK_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(Database::parse(&url)),
        _ => std::env::var_os("AUTHDESK_DATA_DIR").map(|d| Database::Dir(PathBuf::from(d))),
    };
    let default = Database::Dir(authdesk_server::cli::default_data_dir());
    let app = match given {
        Some(database) => runtime.block_on(open_or_exit(&database)),
        None => match Database::recalled(&remembered_registry()) {
            Some(last) => {
                match runtime.block_on(Authdesk::open_database(&last, Default::default())) {
                    Ok(app) => app,
                    Err(e) => {
                        // Still usable: the default directory opens, and Settings names both.
                        tracing::error!(
                            "cannot open {}, the registry opened last from Settings ({e:#}); opening {} instead",
                            last.shown(),
                            default.shown()
                        );
                        runtime.block_on(open_or_exit(&default))
                    }
                }
            }
            None => runtime.block_on(open_or_exit(&default)),
        },
    };
    let listen = std::env::var("AUTHDESK_LISTEN").unwrap_or_else(|_| "127.0.0.1:8400".into());
    let console = Arc::new(Console {
        app: RwLock::new(Arc::new(app)),
        server: Mutex::new(ServerState::default()),
        stop: Mutex::new(None),
        changing: tokio::sync::Mutex::new(()),
        explicit_issuer: Mutex::new(None),
        desk: Default::default(),
    });
    let issuer = std::env::var("AUTHDESK_ISSUER").ok();
    let starting = console.clone();
    runtime.spawn(async move {
        if let Err(error) = starting.start_server(&listen, issuer.as_deref()).await {
            *starting.server.lock().expect("server state") = ServerState {
                running: false,
                error: Some(error),
                ..ServerState::default()
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

async fn open_or_exit(database: &Database) -> Authdesk {
    match Authdesk::open_database(database, Default::default()).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot open {}: {e:#}", database.shown());
            std::process::exit(1);
        }
    }
}

/// Where the console remembers the registry last opened from Settings (the platform's config
/// directory; owner-only, as a URL may carry a password).
fn remembered_registry() -> PathBuf {
    authdesk_server::cli::default_config_dir().join("console-registry")
}

impl Console {
    /// Who a command acts as (`Authdesk::desk_actor`): the signed-in operator, or in a sandbox
    /// the operating-system user; refused when a production desk has nobody signed in.
    pub async fn actor(
        &self,
    ) -> Result<authdesk_server::api::Actor, authdesk_server::api::console::UiError> {
        Ok(self.app().desk_actor(&self.desk).await?)
    }

    /// The registry every command works on (Settings may switch it).
    pub fn app(&self) -> Arc<Authdesk> {
        self.app.read().expect("app lock").clone()
    }

    /// Opens another registry — a data directory (a full path) or a PostgreSQL URL — and
    /// moves the embedded server onto it at the same address and issuer. Nothing changes when
    /// it cannot be opened: the error says why. The choice is remembered for the next start.
    pub async fn open_registry(self: &Arc<Self>, location: &str) -> Result<(), String> {
        let location = location.trim();
        if location.is_empty() {
            return Err(
                "give a data directory (its full path) or a PostgreSQL URL (postgres://…)".into(),
            );
        }
        let database = Database::parse(location);
        if let Database::Dir(d) = &database
            && !d.is_absolute()
        {
            return Err(format!(
                "{location:?} is neither a PostgreSQL URL (postgres://…) nor a full path to a data directory"
            ));
        }
        let _one_at_a_time = self.changing.lock().await;
        let current = self.app();
        if current.data_dir() == std::path::Path::new(&database.shown()) {
            return Ok(());
        }
        let next = Authdesk::open_database(&database, Default::default())
            .await
            .map_err(|e| format!("cannot open {}: {e:#}", database.shown()))?;
        let listen = self.server.lock().expect("server state").listen;
        // The same issuer: the one given in Settings, or again the one the address gives.
        let issuer = self.explicit_issuer.lock().expect("issuer").clone();
        if let Some(stop) = self.stop.lock().expect("stop").take() {
            let _ = stop.send(());
        }
        *self.app.write().expect("app lock") = Arc::new(next);
        // Operators belong to a registry: whoever was signed in signs in again there.
        if let Err(e) = current.desk_sign_out(&self.desk).await {
            tracing::warn!(error = %e, "could not record the sign-out on the previous registry");
        }
        drop(current);
        tracing::info!(registry = %database.shown(), "the console opened another registry");
        if let Err(e) = database.remember(&remembered_registry()) {
            tracing::warn!(error = %e, "could not remember the registry for the next start");
        }
        let Some(addr) = listen else {
            return Ok(());
        };
        self.serve_again(addr, issuer.as_deref())
            .await
            .map_err(|e| {
                format!(
                    "opened {}, but the server could not serve it again: {e}",
                    database.shown()
                )
            })
    }

    /// Serves again on `addr` after the running server was told to stop: the stopped server
    /// lets go of its port as soon as it stops accepting, so a few tries may be needed.
    async fn serve_again(
        self: &Arc<Self>,
        addr: SocketAddr,
        issuer: Option<&str>,
    ) -> Result<(), String> {
        let mut tries = 0;
        loop {
            match self.serve_on(&addr.to_string(), issuer).await {
                Ok(_) => return Ok(()),
                Err(e) if tries < 40 => {
                    tries += 1;
                    tracing::debug!(error = %e, "the port is not free yet");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => {
                    *self.server.lock().expect("server state") = ServerState {
                        running: false,
                        error: Some(e.clone()),
                        ..ServerState::default()
                    };
                    return Err(e);
                }
            }
        }
    }

    /// Applies new server settings (profile, https with the sandbox CA, the sandbox API) and
    /// serves again at the same address; the issuer follows unless one was given.
    pub async fn apply_server_settings(
        self: &Arc<Self>,
        settings: authdesk_server::api::console::ServerSettings,
        actor: &authdesk_server::api::Actor,
    ) -> Result<(), authdesk_server::api::ApiError> {
        let _one_at_a_time = self.changing.lock().await;
        let app = self.app();
        app.set_server_settings(settings, actor).await?;
        let listen = self.server.lock().expect("server state").listen;
        let Some(addr) = listen else {
            return Ok(());
        };
        if let Some(stop) = self.stop.lock().expect("stop").take() {
            let _ = stop.send(());
        }
        let issuer = self.explicit_issuer.lock().expect("issuer").clone();
        self.serve_again(addr, issuer.as_deref())
            .await
            .map_err(authdesk_server::api::ApiError::Refused)
    }

    /// Restarts the embedded server on `listen` with `issuer` (see `serve_on`), one change at a
    /// time.
    pub async fn start_server(
        self: &Arc<Self>,
        listen: &str,
        issuer: Option<&str>,
    ) -> Result<SocketAddr, String> {
        let _one_at_a_time = self.changing.lock().await;
        self.serve_on(listen, issuer).await
    }

    /// Serves the OAuth/OIDC endpoints on `listen` (loopback only) with `issuer` (default:
    /// `http://` and the bound address), stopping the server that ran before. Nothing changes
    /// when the address cannot be bound or the issuer is invalid: the error says why and what
    /// to do.
    async fn serve_on(
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
        let given = issuer.filter(|i| !i.trim().is_empty()).map(String::from);
        let issuer = given
            .as_deref()
            .map(Issuer::parse)
            .transpose()
            .map_err(|e| format!("issuer: {e}"))?;
        let app = self.app();
        let settings = app
            .server_settings()
            .await
            .map_err(|e| format!("cannot read the server's settings: {e}"))?;
        let tls = if settings.tls {
            let ca = authdesk_server::tls::sandbox_ca_for(&app);
            ca.ensure(&authdesk_core::clock::SystemClock)
                .map_err(|e| format!("cannot make the sandbox CA: {e}"))?;
            Some(authdesk_server::tls::Certificate::open(
                ca.listener_files(),
            )?)
        } else {
            None
        };
        let sandbox_api = settings.sandbox_api && app.sandbox_api_allowed(app.profile()).is_ok();
        app.set_require_par(settings.require_par);
        app.set_dpop_nonce_required(settings.dpop_nonce);
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(|e| bind_error(wanted, &e))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let issuer = match issuer {
            Some(i) => i,
            None => authdesk_server::http::default_issuer(addr, tls.is_some())?,
        };
        *self.explicit_issuer.lock().expect("issuer") = given;
        if let Some(previous) = self.stop.lock().expect("stop").take() {
            let _ = previous.send(());
        }
        if let Err(e) = app.set_issuer(&issuer).await {
            tracing::error!(error = %e, "could not record the issuer");
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        *self.stop.lock().expect("stop") = Some(stop);
        tracing::info!(%addr, %issuer, "console serving the OAuth/OIDC endpoints");
        *self.server.lock().expect("server state") = ServerState {
            running: true,
            error: None,
            listen: Some(addr),
            serving: authdesk_server::api::console::ServerSettings {
                tls: tls.is_some(),
                sandbox_api,
                ..settings
            },
        };
        let console = self.clone();
        tokio::spawn(async move {
            let result = authdesk_server::http::serve(
                app,
                listener,
                None,
                authdesk_server::http::ServeOptions {
                    tls,
                    sandbox_api,
                    ..Default::default()
                },
                async {
                    let _ = stopped.await;
                },
            )
            .await;
            let mut state = console.server.lock().expect("server state");
            // A restart already put the next server's state in place.
            if state.listen == Some(addr) {
                *state = ServerState {
                    running: false,
                    error: result.err().map(|e| e.to_string()),
                    ..ServerState::default()
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
