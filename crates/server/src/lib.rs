//! Authdesk's use cases, HTTP endpoints and command-line program.
//!
//! - [`api`]: the one use-case layer. The CLI, the HTTP endpoints and (later) the Tauri console
//!   each parse their input, make one call here, and map the result.
//! - [`http`]: the OAuth 2.0 / OIDC endpoints (axum), thin adapters over [`api`].
//! - [`cli`]: the `authdesk` program.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod api;
pub mod cli;
pub mod client_keys;
pub mod http;
pub mod metrics;
pub mod secret;
pub mod signing;
pub mod tls;

pub use api::{ApiError, Authdesk};
