//! The OAuth listener's connection limits, against the real `authdesk serve` process: silent
//! sockets beyond the usual open-file limit, unfinished headers and bodies, idle keep-alive
//! connections, the connection cap, unfinished huge headers and memory, and a shutdown while
//! a request is half sent. Timeouts are shortened by flags so the tests take seconds.

mod common;

use common::{Registry, Server, authdesk};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A fresh registry, set up before `serve` writes its log into it.
fn registry() -> Registry {
    let reg = Registry::fresh();
    let (code, _, err) = authdesk(&reg, &["init"]);
    assert_eq!(code, 0, "{err}");
    reg
}

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// One request on a fresh connection; the status and the body.
fn request(server: &Server, raw: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr(server)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn discovery(server: &Server) -> (u16, String) {
    request(
        server,
        "GET /.well-known/openid-configuration HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
}

/// Whether the server closed `s` (read gives end of file or a reset) within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {} // a response (408, 431) before the close
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true, // reset
        }
    }
}

fn metric(metrics_at: &str, reason: &str) -> u64 {
    let mut s = TcpStream::connect(metrics_at).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let prefix = format!("authdesk_connections_closed_by_server_total{{reason=\"{reason}\"}} ");
    out.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |v| v.trim().parse().unwrap())
}

fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

fn raise_own_open_file_limit() {
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
}

#[test]
fn silent_and_half_sent_connections_are_closed_and_never_starve_the_rest() {
    raise_own_open_file_limit();
    let reg = registry();
    let metrics_at = free_port();
    // The usual soft limit of 1,024 open files, which the server raises to the hard limit.
    let server = Server::start_with_open_files(
        &reg,
        1024,
        4096,
        &[
            "--header-timeout",
            "3s",
            "--body-timeout",
            "3s",
            "--metrics-listen",
            &metrics_at,
        ],
    );
    // 1,100 sockets that send nothing: more than 1,024 file descriptors.
    let mut silent: Vec<TcpStream> = (0..1100)
        .map(|_| TcpStream::connect(addr(&server)).unwrap())
        .collect();
    // A header cut short, a body cut short, and a keep-alive connection left idle.
    let mut half_header = TcpStream::connect(addr(&server)).unwrap();
    half_header
        .write_all(b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        .unwrap();
    let mut half_body = TcpStream::connect(addr(&server)).unwrap();
    half_body
        .write_all(
            b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=cl",
        )
        .unwrap();
    let mut idle = TcpStream::connect(addr(&server)).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    // Everyone else is served at once, well within the header timeout.
    let started = Instant::now();
    let (status, body) = discovery(&server);
    assert_eq!(status, 200, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let log = std::fs::read_to_string(reg.dir.path().join("serve.log")).unwrap();
    assert!(log.contains("raised the open-file limit"), "{log}");

    // The body cut short is answered 408 in JSON; every other unfinished or idle connection
    // is closed after the header timeout.
    half_body
        .set_read_timeout(Some(Duration::from_secs(8)))
        .unwrap();
    let mut answer = String::new();
    let _ = half_body.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"invalid_request\""), "{answer}");
    assert!(closed_within(&mut half_header, Duration::from_secs(8)));
    assert!(closed_within(&mut idle, Duration::from_secs(8)));
    for s in &mut silent {
        assert!(closed_within(s, Duration::from_secs(8)));
    }
    assert!(metric(&metrics_at, "header_timeout") >= 1102);
    assert!(metric(&metrics_at, "body_timeout") >= 1);
    assert_eq!(discovery(&server).0, 200);
    drop(server);
}

#[test]
fn beyond_the_connection_cap_new_connections_get_a_503_and_room_comes_back() {
    raise_own_open_file_limit();
    let reg = registry();
    let metrics_at = free_port();
    let server = Server::start_with(
        &reg,
        &[
            "--max-connections",
            "20",
            "--header-timeout",
            "2s",
            "--metrics-listen",
            &metrics_at,
        ],
    );
    let mut silent: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(addr(&server)).unwrap())
        .collect();
    // Wait until the server has taken all twenty (accepting is asynchronous).
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = discovery(&server);
    assert_eq!(status, 503, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "temporarily_unavailable");
    assert!(metric(&metrics_at, "refused") >= 1);
    for s in &mut silent {
        assert!(closed_within(s, Duration::from_secs(6)));
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (status, _) = discovery(&server);
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no room came back: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn unfinished_huge_headers_cost_kilobytes_not_megabytes() {
    raise_own_open_file_limit();
    let reg = registry();
    let server = Server::start_with(&reg, &["--header-timeout", "30s"]);
    assert_eq!(discovery(&server).0, 200);
    let before = server.rss_kib();
    // 300 connections, each sending 390 KiB of one header line that never ends.
    let pad = vec![b'a'; 390 * 1024];
    let mut conns = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(addr(&server)).unwrap();
        s.set_write_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ");
        // The server stops reading at its header limit: the rest may not be taken.
        let _ = s.write_all(&pad);
        conns.push(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    let during = server.rss_kib();
    let grown_mib = during.saturating_sub(before) / 1024;
    assert!(
        grown_mib < 40,
        "300 unfinished 390 KiB headers grew the server by {grown_mib} MiB (before {before} KiB, during {during} KiB)"
    );
    // Each is answered 431 and closed once its header passed the limit.
    for s in &mut conns {
        assert!(closed_within(s, Duration::from_secs(5)));
    }
    assert_eq!(discovery(&server).0, 200);
}

#[test]
fn sigterm_stops_serve_within_the_grace_period_though_a_request_is_half_sent() {
    let reg = registry();
    let server = Server::start_with(
        &reg,
        &[
            "--header-timeout",
            "60s",
            "--body-timeout",
            "60s",
            "--shutdown-grace",
            "2s",
        ],
    );
    let mut half_header = TcpStream::connect(addr(&server)).unwrap();
    half_header
        .write_all(b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let mut half_body = TcpStream::connect(addr(&server)).unwrap();
    half_body
        .write_all(
            b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant",
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "stopped after {:?}",
        started.elapsed()
    );
    assert!(closed_within(&mut half_header, Duration::from_secs(1)));
    assert!(closed_within(&mut half_body, Duration::from_secs(1)));
}
