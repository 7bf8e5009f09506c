//! `authdesk serve` as a real process under conditions a test in one process cannot show: the
//! CLI writing while the server is saturated, the server killed with SIGKILL mid-load and
//! restarted, another process holding the write lock, and data directories it must refuse.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An app that may use client credentials and refresh, and a user to refresh for.
struct Fixture {
    id: String,
    secret: String,
    sub: String,
}

fn fixture<A: At + ?Sized>(dir: &A) -> Fixture {
    let app = json(
        dir,
        &[
            "clients",
            "create",
            "--name",
            "Load",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--scope",
            "offline_access",
            "--scope",
            "accounts",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
    );
    let user = json(
        dir,
        &[
            "users",
            "create",
            "--username",
            "ada",
            "--password",
            "correct horse",
            "--json",
        ],
    );
    Fixture {
        id: app["client_id"].as_str().unwrap().into(),
        secret: app["client_secret"].as_str().unwrap().into(),
        sub: user["sub"].as_str().unwrap().into(),
    }
}

fn mint_refresh_token<A: At + ?Sized>(dir: &A, f: &Fixture) -> String {
    json(
        dir,
        &[
            "mint",
            "--client-id",
            &f.id,
            "--sub",
            &f.sub,
            "--scope",
            "offline_access",
            "--json",
        ],
    )["refresh_token"]
        .as_str()
        .unwrap()
        .into()
}

/// Tokens whose 200 response a client read to the end.
#[derive(Default)]
struct Seen {
    access: Vec<String>,
    refresh: Vec<String>,
}

/// `n` clients asking for tokens as fast as they can until `stop`: client credentials and
/// refreshes (each client follows its own chain). Every fully read 200 is kept in `seen`.
fn load(
    base: &str,
    f: &Fixture,
    first_refresh: &str,
    n: usize,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
) -> Vec<tokio::task::JoinHandle<u64>> {
    (0..n)
        .map(|i| {
            let (url, id, secret) = (format!("{base}/token"), f.id.clone(), f.secret.clone());
            let (stop, seen) = (stop.clone(), seen.clone());
            let mut rt = first_refresh.to_string();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut ok = 0;
                while !stop.load(Ordering::Relaxed) {
                    let form: Vec<(&str, &str)> = if i % 2 == 0 {
                        vec![("grant_type", "client_credentials")]
                    } else {
                        vec![("grant_type", "refresh_token"), ("refresh_token", &rt)]
                    };
                    let Ok(r) = client
                        .post(&url)
                        .basic_auth(&id, Some(&secret))
                        .form(&form)
                        .send()
                        .await
                    else {
                        break; // the server is gone
                    };
                    let status = r.status();
                    let Ok(body) = r.json::<Value>().await else {
                        break;
                    };
                    if status != StatusCode::OK {
                        panic!("{status}: {body}");
                    }
                    let mut s = seen.lock().unwrap();
                    s.access.push(body["access_token"].as_str().unwrap().into());
                    if let Some(next) = body["refresh_token"].as_str() {
                        s.refresh.push(next.into());
                        rt = next.into();
                    }
                    ok += 1;
                }
                ok
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_write_while_the_server_is_under_full_load_completes_within_a_second() {
    let registry = Arc::new(Registry::fresh());
    let d = &*registry;
    let f = fixture(d);
    let rt = mint_refresh_token(d, &f);
    let server = Server::start(d);
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let clients = load(&server.base, &f, &rt, 32, stop.clone(), seen.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut times = Vec::new();
    for i in 0..5 {
        let name = format!("Created under load {i}");
        let started = Instant::now();
        let out = tokio::task::spawn_blocking({
            let registry = registry.clone();
            move || {
                authdesk(
                    &*registry,
                    &[
                        "clients",
                        "create",
                        "--name",
                        &name,
                        "--grant-type",
                        "client_credentials",
                        "--scope",
                        "accounts",
                        "--json",
                    ],
                )
            }
        })
        .await
        .unwrap();
        times.push(started.elapsed());
        assert_eq!(out.0, 0, "{}", out.2);
    }
    stop.store(true, Ordering::Relaxed);
    let mut served = 0;
    for c in clients {
        served += c.await.unwrap();
    }
    println!(
        "CLI `clients create` (whole process) under load: {times:?}; {served} tokens meanwhile"
    );
    assert!(served > 0);
    for t in &times {
        assert!(
            *t < Duration::from_secs(1),
            "a CLI write took {t:?} under load"
        );
    }
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_mid_load_loses_nothing_a_client_saw_committed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = fixture(d);
    let first = mint_refresh_token(d, &f);
    // A fixed issuer: tokens from before a restart carry the same `iss` after it.
    let issuer = ["--issuer", "http://authdesk.test"];
    let seen = Arc::new(Mutex::new(Seen::default()));
    for round in 0..3 {
        let server = Server::start_with(d, &issuer);
        let stop = Arc::new(AtomicBool::new(false));
        let start_rt = seen
            .lock()
            .unwrap()
            .refresh
            .last()
            .cloned()
            .unwrap_or(first.clone());
        let clients = load(&server.base, &f, &start_rt, 16, stop.clone(), seen.clone());
        tokio::time::sleep(Duration::from_millis(400 + 150 * round)).await;
        let mut server = server;
        server.child.kill().unwrap(); // SIGKILL, requests in flight
        server.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.await.unwrap();
        }
    }
    let (access, refresh) = {
        let s = seen.lock().unwrap();
        (s.access.clone(), s.refresh.clone())
    };
    println!(
        "{} access and {} refresh tokens were answered before the kills",
        access.len(),
        refresh.len()
    );
    assert!(!access.is_empty() && !refresh.is_empty());

    let server = Server::start_with(d, &issuer);
    let client = reqwest::Client::new();
    for at in &access {
        let r: Value = client
            .post(format!("{}/introspect", server.base))
            .basic_auth(&f.id, Some(&f.secret))
            .form(&[("token", at.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            r["active"], true,
            "an access token a client received is unknown after the crash"
        );
    }
    for rt in &refresh {
        let r = client
            .post(format!("{}/token", server.base))
            .basic_auth(&f.id, Some(&f.secret))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "a refresh token a client received no longer works"
        );
    }
    server.stop();
    use sqlx::{ConnectOptions, Connection};
    let mut c = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(d.join("authdesk.db"))
        .connect()
        .await
        .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_elsewhere_makes_the_cli_say_so_instead_of_hanging() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    json(&d, &["init", "--json"]);
    let mut other = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(d.join("authdesk.db"))
        .connect()
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let started = Instant::now();
    let (code, _, err) = tokio::task::spawn_blocking(move || {
        authdesk(
            &d,
            &[
                "clients",
                "create",
                "--name",
                "Blocked",
                "--redirect-uri",
                "http://127.0.0.1:9/cb",
            ],
        )
    })
    .await
    .unwrap();
    let took = started.elapsed();
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("busy") && err.contains("write lock"),
        "names the cause: {err}"
    );
    assert!(
        took < Duration::from_secs(10),
        "answered in {took:?}, not after a long busy wait"
    );
}

/// Runs a command and `serve` on `dir`; both must refuse at start with `expect` in the message.
fn refused(dir: &std::path::Path, expect: &str) {
    for args in [
        &["clients", "list"][..],
        &["serve", "--listen", "127.0.0.1:0"][..],
    ] {
        let (code, out, err) = authdesk(dir, args);
        assert_eq!(code, 1, "authdesk {args:?} should refuse: {out} {err}");
        assert!(
            err.contains(expect),
            "authdesk {args:?}: {err:?} should say {expect:?}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn unusable_data_directories_are_refused_at_start_with_a_clear_message() {
    let root = tempfile::tempdir().unwrap();

    // A directory with files but no database: the wrong mount, or a lost database.
    let lost = root.path().join("lost");
    std::fs::create_dir(&lost).unwrap();
    std::fs::write(lost.join("notes.txt"), "not a database").unwrap();
    refused(&lost, "has no authdesk.db but is not empty");
    assert!(!lost.join("authdesk.db").exists(), "nothing was created");

    // A damaged database.
    let damaged = root.path().join("damaged");
    std::fs::create_dir(&damaged).unwrap();
    std::fs::write(damaged.join("authdesk.db"), vec![0x5a; 8192]).unwrap();
    refused(&damaged, "not a readable Authdesk database");

    // A database written by a newer version.
    let newer = root.path().join("newer");
    json(&newer, &["init", "--json"]);
    let db = newer.join("authdesk.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::{ConnectOptions, Connection};
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db)
            .connect()
            .await
            .unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (29991231000000, 'from the future', 1, x'00', 0)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    refused(&newer, "written by a newer version of Authdesk");

    // A read-only directory (as root, file modes do not stop writes: the immutable
    // attribute does).
    let ro = root.path().join("read-only");
    json(&ro, &["init", "--json"]);
    let root_user = running_as_root();
    let files: Vec<_> = std::fs::read_dir(&ro)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let set = |on: bool| {
        if root_user {
            let flag = if on { "+i" } else { "-i" };
            let mut cmd = std::process::Command::new("chattr");
            cmd.arg(flag).args(&files).arg(&ro);
            assert!(cmd.status().unwrap().success(), "chattr {flag}");
        } else {
            use std::os::unix::fs::PermissionsExt;
            let mode = |m| std::fs::Permissions::from_mode(m);
            for f in &files {
                std::fs::set_permissions(f, mode(if on { 0o400 } else { 0o600 })).unwrap();
            }
            std::fs::set_permissions(&ro, mode(if on { 0o500 } else { 0o700 })).unwrap();
        }
    };
    set(true);
    let result = std::panic::catch_unwind(|| refused(&ro, "cannot write to"));
    set(false);
    result.unwrap();
}

/// Whether this test runs as root (where file modes do not make anything read-only).
fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A storage fault while serving: the database files turn read-only under the running server
/// (the immutable attribute, so it holds even for root and for files already open). Writes
/// are refused with 503 and the log names the cause; reads go on; once the files are writable
/// again the same process serves writes, without a restart.
///
/// The database and its WAL turn read-only, not SQLite's `-shm` index: SQLite maps that file
/// into memory and writes it through the mapping, and a write to a mapped page of an immutable
/// file is a SIGBUS from the kernel (when it write-protects the page after writing it back, as
/// this machine's memory manager does at any moment: the test then failed about half the
/// time). No process can answer a SIGBUS in SQLite's memory; it ends like a SIGKILL, which
/// `serve_killed_mid_load_loses_nothing_a_client_saw_committed` shows loses nothing committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_files_turning_read_only_while_serving_are_a_503_and_service_resumes() {
    if !running_as_root() {
        println!(
            "needs root to make open files read-only (chattr +i); the full-disk test covers the same path"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = fixture(d);
    let rt = mint_refresh_token(d, &f);
    let server = Server::start(d);
    let client = reqwest::Client::new();
    let token = |form: Vec<(&'static str, String)>| {
        let req = client
            .post(format!("{}/token", server.base))
            .basic_auth(&f.id, Some(&f.secret))
            .form(&form);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let cc = || vec![("grant_type", "client_credentials".to_string())];
    let (status, issued) = token(cc()).await;
    assert_eq!(status, StatusCode::OK);
    let files: Vec<_> = ["authdesk.db", "authdesk.db-wal"]
        .iter()
        .map(|f| d.join(f))
        .filter(|p| p.exists())
        .collect();
    let chattr = |flag: &str| {
        assert!(
            std::process::Command::new("chattr")
                .arg(flag)
                .args(&files)
                .status()
                .unwrap()
                .success()
        );
    };
    chattr("+i");
    let mut answers = Vec::new();
    for form in [
        cc(),
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", rt.clone()),
        ],
    ] {
        let (status, body) = token(form).await;
        answers.push((status, body));
    }
    let introspected = client
        .post(format!("{}/introspect", server.base))
        .basic_auth(&f.id, Some(&f.secret))
        .form(&[("token", issued["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    chattr("-i");
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    assert_eq!(
        introspected["active"], true,
        "reads go on while writes fail"
    );
    let log = std::fs::read_to_string(d.join("serve.log")).unwrap();
    assert!(
        log.contains("disk I/O error") || log.contains("read-only"),
        "the log says what is wrong: {log}"
    );
    let (status, body) = token(cc()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "writes resume without a restart: {body}"
    );
    let (status, body) = token(vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", rt.clone()),
    ])
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused refresh left its token usable: {body}"
    );
    server.stop();
}

/// A listen address other machines can reach, with an `http://` issuer, is refused before
/// anything is bound (the override and the https case are unit-tested in `cli/serve.rs`).
#[test]
fn serving_plain_http_beyond_loopback_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = authdesk(dir.path(), &["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, 1, "{out} {err}");
    assert!(
        err.contains("--insecure-listen") && err.contains("https://"),
        "{err}"
    );
    assert!(!out.contains("listening"), "{out}");
}
