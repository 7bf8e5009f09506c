//! Accepting and serving connections on the OAuth port, within limits a hostile caller cannot
//! stretch: a connection must send a request's headers within `header_timeout` (a silent
//! socket, an idle keep-alive connection and a slowly dribbled header all end there) and its
//! body within `body_timeout`; a connection reads at most `max_header_bytes` ahead (a header
//! larger than that is answered 431 and the connection closed, so an unfinished header costs
//! kilobytes, not the ~400 KiB hyper buffers by default); at most `max_connections` are open —
//! one more is answered `503 temporarily_unavailable` at once and closed, so a flood cannot
//! reach the open-file limit and stop `accept` for everyone; and a shutdown lets requests in
//! flight finish for `shutdown_grace`, then drops what is left.
//!
//! An idle keep-alive connection is closed by the header timeout: the next request's headers
//! must arrive within it (the convention of Go's `ReadHeaderTimeout` without an `IdleTimeout`).
//! Dropping a connection drops its request futures; the store finishes or undoes any unit of
//! work they started (`authdesk_store::writer`), so a cut never leaves anything half-written.

use crate::metrics::{ConnectionEnd, Metrics};
use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tower::Service;

/// Limits of the OAuth listener (`serve --header-timeout …`; defaults in `Default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From the moment the server waits for a request (a new connection, or after answering
    /// the previous one) until its headers are complete.
    pub header_timeout: Duration,
    /// From the end of a request's headers until its body is complete.
    pub body_timeout: Duration,
    /// Connections open at once; more are refused with 503. Lowered at start to what the
    /// process's open-file limit leaves room for.
    pub max_connections: usize,
    /// The most a connection reads ahead while parsing a request's headers.
    pub max_header_bytes: usize,
    /// How long a shutdown waits for requests in flight before dropping their connections.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            max_header_bytes: 32 * 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// File descriptors kept free of connections: the database, its WAL and shared memory, the
/// read pool, the metrics listener, log files, a backup.
const RESERVED_FILES: u64 = 128;

/// The smallest read-ahead hyper accepts.
pub const MIN_HEADER_BYTES: usize = 8192;

impl ConnectionLimits {
    /// The connection cap this process can keep: `max_connections`, lowered so that every
    /// connection (one file descriptor each) fits under `open_files` with room to spare.
    pub fn connection_cap(&self, open_files: u64) -> usize {
        let room = open_files.saturating_sub(RESERVED_FILES).max(16);
        self.max_connections
            .min(usize::try_from(room).unwrap_or(usize::MAX))
            .max(1)
    }
}

/// Raises this process's soft limit on open files to its hard limit (the usual soft limit,
/// 1,024, is a few hundred idle sockets from refusing every `accept`), and returns the limit
/// now in force.
pub fn raise_open_file_limit() -> u64 {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) if now > before => {
            tracing::info!(
                from = before,
                to = now,
                "raised the open-file limit to its hard limit"
            );
            now
        }
        Ok(now) => now,
        Err(e) => {
            tracing::warn!(error = %e, limit = before, "could not raise the open-file limit");
            before
        }
    }
}

/// What a refused connection reads before it is closed (written without waiting: a socket
/// that does not take it is closed all the same).
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
cache-control: no-store\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 95\r\n\r\n\
{\"error\":\"temporarily_unavailable\",\"error_description\":\"the server holds its most connections\"}";

/// A connection's byte stream: TCP, or TLS over TCP.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// Turns an accepted TCP connection into the stream HTTP is read from (a TLS handshake, or
/// nothing). Runs inside the connection's own task, under the header timeout.
pub type Handshake = Arc<
    dyn Fn(
            tokio::net::TcpStream,
        ) -> Pin<Box<dyn Future<Output = std::io::Result<Box<dyn Stream>>> + Send>>
        + Send
        + Sync,
>;

/// Accepts connections on `listener` and serves `router` on each until `shutdown` completes;
/// then stops accepting, lets requests in flight finish within the grace period, and drops
/// the connections still open.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    handshake: Option<Handshake>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open_files = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    let cap = limits.connection_cap(open_files);
    if cap < limits.max_connections {
        tracing::warn!(
            cap,
            open_files,
            "at most {cap} connections: the open-file limit leaves no room for more"
        );
    }
    let open = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut accept_errors_logged_at: Option<Instant> = None;
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if open.load(Ordering::Relaxed) >= cap {
                        metrics.connection_ended(ConnectionEnd::Refused);
                        refuse(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let guard = OpenGuard::new(open.clone(), metrics.clone());
                    tasks.spawn(connection(
                        stream,
                        router.clone(),
                        limits,
                        handshake.clone(),
                        metrics.clone(),
                        stop_rx.clone(),
                        guard,
                    ));
                }
                Err(e) => {
                    // Out of file descriptors (another part of the process holds them) or a
                    // connection that died in the backlog: go on, and say so at most once a
                    // second.
                    let now = Instant::now();
                    if accept_errors_logged_at.is_none_or(|t| now - t >= Duration::from_secs(1)) {
                        tracing::warn!(error = %e, open = open.load(Ordering::Relaxed), "accept failed");
                        accept_errors_logged_at = Some(now);
                    }
                    if is_resource_exhaustion(&e) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let grace = tokio::time::sleep(limits.shutdown_grace);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            () = &mut grace => {
                let left = open.load(Ordering::Relaxed);
                if left > 0 {
                    tracing::warn!(connections = left, "shutdown grace period over: dropping connections still open");
                    for _ in 0..left {
                        metrics.connection_ended(ConnectionEnd::CutAtShutdown);
                    }
                }
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                break;
            }
            next = tasks.join_next() => if next.is_none() { break },
        }
    }
    Ok(())
}

fn is_resource_exhaustion(e: &std::io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM
    matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12))
}

fn refuse(stream: tokio::net::TcpStream) {
    let _ = stream.try_write(REFUSAL);
    // Dropping the stream closes it.
}

/// Counts a connection as open while it lives.
struct OpenGuard {
    open: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

impl OpenGuard {
    fn new(open: Arc<AtomicUsize>, metrics: Arc<Metrics>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        metrics.connections_open_add(1);
        OpenGuard { open, metrics }
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        self.metrics.connections_open_add(-1);
    }
}

async fn connection(
    tcp: tokio::net::TcpStream,
    router: Router,
    limits: ConnectionLimits,
    handshake: Option<Handshake>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
    _open: OpenGuard,
) {
    let stream: Box<dyn Stream> = match handshake {
        None => Box::new(tcp),
        Some(h) => {
            // The handshake, too, must finish within the header timeout.
            match tokio::time::timeout(limits.header_timeout, h(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    metrics.connection_ended(ConnectionEnd::HeaderTimeout);
                    return;
                }
            }
        }
    };
    let body_metrics = metrics.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let (parts, body) = req.into_parts();
        let body = Body::new(DeadlineBody::new(
            body,
            limits.body_timeout,
            body_metrics.clone(),
        ));
        router.clone().call(hyper::Request::from_parts(parts, body))
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(MIN_HEADER_BYTES))
        .serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    let stopping = async move {
        // Ends when the server stops (or is gone); the value itself is not kept.
        let _ = stop.wait_for(|stopping| *stopping).await.map(|_| ());
    };
    let result = tokio::select! {
        r = conn.as_mut() => r,
        () = stopping => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        if e.is_timeout() {
            metrics.connection_ended(ConnectionEnd::HeaderTimeout);
        } else {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }
}

/// A request body that must be complete by a deadline (`body_timeout` after its headers).
/// The timer is armed only if the body is not all there at the first read, so a request
/// without a body, or whose body came with its headers, costs no timer.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    metrics: Arc<Metrics>,
}

impl DeadlineBody {
    fn new(inner: Incoming, timeout: Duration, metrics: Arc<Metrics>) -> Self {
        DeadlineBody {
            inner,
            deadline: Instant::now() + timeout,
            timeout,
            sleep: None,
            metrics,
        }
    }
}

/// The error a body read returns when its deadline passed (`http::form` answers 408).
#[derive(Debug)]
pub struct BodyTimedOut(pub Duration);

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request body did not arrive within {} s",
            self.0.as_secs()
        )
    }
}

impl std::error::Error for BodyTimedOut {}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.metrics.connection_ended(ConnectionEnd::BodyTimeout);
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut(this.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_under_the_open_file_limit() {
        let limits = ConnectionLimits::default();
        assert_eq!(limits.connection_cap(1_048_576), 10_000);
        assert_eq!(limits.connection_cap(1024), 1024 - 128);
        assert_eq!(limits.connection_cap(100), 16);
        let small = ConnectionLimits {
            max_connections: 50,
            ..ConnectionLimits::default()
        };
        assert_eq!(small.connection_cap(1024), 50);
    }

    #[test]
    fn the_refusal_is_a_complete_http_response() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), length);
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"], "temporarily_unavailable");
    }
}
