//! Black-box tests: the real server on 127.0.0.1:0 with a temporary database, driven over HTTP
//! by real clients (reqwest, and `openidconnect` as a strict OIDC relying party).

// Table-driven cases are tuples by design.
#![allow(clippy::type_complexity)]

mod audit_viewer;
mod banno;
mod client_auth;
mod concurrency;
mod dpop;
mod flows;
mod hardening;
mod hostile;
mod keys;
mod lifetimes;
mod metrics;
mod names;
mod negative;
mod oidc_client;
mod operators;
mod overload;
mod overview;
mod par;
mod prune;
mod search;
mod sessions;
mod snapshots;
mod transfer;
mod unauthenticated;
