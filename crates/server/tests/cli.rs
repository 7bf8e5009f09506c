//! The `authdesk` binary as other programs use it: a real process per command, `--json`
//! output, exit codes, and a running `serve` that sees changes made by the CLI.

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

/// Polls `f` until it is true; changes must reach a running server within one second.
async fn within_one_second(mut f: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !f().await {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "not seen by the running server within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn cli_and_running_server_share_the_registry() {
    let registry = Registry::fresh();
    let d = &registry;
    let created = json(
        d,
        &[
            "clients",
            "create",
            "--name",
            "CLI app",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--grant-type",
            "client_credentials",
            "--scope",
            "openid",
            "--scope",
            "offline_access",
            "--scope",
            "accounts",
            "--json",
        ],
    );
    let id = created["client_id"].as_str().unwrap().to_string();
    let secret = created["client_secret"]
        .as_str()
        .expect("secret shown once")
        .to_string();
    assert!(
        !json(d, &["clients", "show", &id, "--json"])
            .to_string()
            .contains(&secret),
        "the secret is never shown again"
    );
    let sub = json(
        d,
        &[
            "users",
            "create",
            "--username",
            "ada",
            "--password",
            "long enough",
            "--claim",
            "name=Ada",
            "--json",
        ],
    )["sub"]
        .as_str()
        .unwrap()
        .to_string();

    let server = Server::start(d);
    let http = reqwest::Client::new();
    let discovery: Value = http
        .get(format!("{}/.well-known/openid-configuration", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["issuer"],
        server.base.as_str(),
        "issuer defaults to http://<listen address>"
    );

    // mint a user token with a refresh token; the running server refreshes it
    let minted = json(
        d,
        &[
            "mint",
            "--client-id",
            &id,
            "--sub",
            &sub,
            "--scope",
            "openid offline_access",
            "--json",
        ],
    );
    let rt = minted["refresh_token"].as_str().unwrap().to_string();
    let refresh = || {
        let (http, url, id, secret, rt) = (
            http.clone(),
            format!("{}/token", server.base),
            id.clone(),
            secret.clone(),
            rt.clone(),
        );
        async move {
            http.post(url)
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(refresh().await, 200);

    // move the clock from the CLI: the running server's token rules follow
    let shown = json(d, &["clock", "advance", "91d", "--json"]);
    assert_eq!(shown["offset_seconds"], 91 * 86_400);
    within_one_second(async || refresh().await == 400).await;
    json(d, &["clock", "reset", "--json"]);
    within_one_second(async || refresh().await == 200).await;

    // revoke the grant from the CLI, with a preview first
    let grants = json(d, &["grants", "list", "--client-id", &id, "--json"]);
    let grant_id = grants["grants"][0]["grant_id"]
        .as_str()
        .unwrap()
        .to_string();
    let preview = json(
        d,
        &["grants", "revoke", "--sub", &sub, "--preview", "--json"],
    );
    assert_eq!(preview["grants"], 1);
    assert!(preview["refresh_tokens"].as_i64().unwrap() >= 1);
    json(d, &["grants", "revoke", &grant_id, "--json"]);
    within_one_second(async || refresh().await == 400).await;
    let shown = json(d, &["grants", "show", &grant_id, "--json"]);
    assert!(shown["revoked_at"].is_string());

    // disable the app from the CLI: no more tokens
    let cc = || {
        let (http, url, id, secret) = (
            http.clone(),
            format!("{}/token", server.base),
            id.clone(),
            secret.clone(),
        );
        async move {
            http.post(url)
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(cc().await, 200);
    json(d, &["clients", "disable", &id, "--json"]);
    within_one_second(async || cc().await == 401).await;

    // rotate the secret: the old one stops working
    json(d, &["clients", "enable", &id, "--json"]);
    let rotated = json(d, &["clients", "rotate-secret", &id, "--json"]);
    assert_ne!(rotated["client_secret"], secret.as_str());
    within_one_second(async || cc().await == 401).await;

    let status = server.stop();
    assert!(
        status.success(),
        "SIGTERM shuts serve down cleanly: {status:?}"
    );
}

#[test]
fn bad_input_is_a_clear_error_with_a_non_zero_exit() {
    let registry = Registry::fresh();
    let d = &registry;
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "clients",
                "create",
                "--name",
                "x",
                "--redirect-uri",
                "JavaScript:alert(1)",
                "--json",
            ],
            "redirect_uris",
        ),
        (
            vec![
                "clients",
                "create",
                "--name",
                "x",
                "--type",
                "public",
                "--auth-method",
                "client_secret_basic",
                "--redirect-uri",
                "https://a.example/cb",
                "--json",
            ],
            "auth_method",
        ),
        (
            vec![
                "clients",
                "create",
                "--name",
                "x",
                "--auth-method",
                "private_key_jwt",
                "--grant-type",
                "client_credentials",
                "--json",
            ],
            "public_key",
        ),
        (vec!["clients", "show", "no-such-app"], "no application"),
        (
            vec![
                "users",
                "create",
                "--username",
                "u",
                "--password",
                "short",
                "--json",
            ],
            "password",
        ),
        (
            vec![
                "users",
                "create",
                "--username",
                "u",
                "--password",
                "long enough",
                "--claim",
                "sub=x",
                "--json",
            ],
            "not a standard",
        ),
        (vec!["clock", "advance", "ninety days"], "not a duration"),
        (vec!["grants", "revoke"], "exactly one"),
        (
            vec!["mint", "--client-id", "nope", "--scope", "openid"],
            "no application",
        ),
    ];
    for (args, needle) in cases {
        let (code, out, err) = authdesk(d, &args);
        assert_ne!(code, 0, "{args:?} should fail");
        assert!(
            out.is_empty(),
            "{args:?}: nothing on stdout on failure: {out}"
        );
        assert!(
            err.contains(needle),
            "{args:?}: stderr should mention {needle}: {err}"
        );
    }
    let (code, _, err) = authdesk(
        d,
        &["clients", "create", "--name", "x", "--type", "sideways"],
    );
    assert_eq!(code, 2, "usage errors exit 2");
    assert!(err.contains("confidential"), "{err}");
}

#[test]
fn production_directory_refuses_sandbox_features() {
    let registry = Registry::fresh();
    let d = &registry;
    let init = json(d, &["init", "--production", "--json"]);
    assert_eq!(init["mode"], "production");
    let id = json(
        d,
        &[
            "clients",
            "create",
            "--name",
            "x",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
    )["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    for args in [
        vec!["clock", "advance", "91d"],
        vec!["clock", "reset"],
        vec!["mint", "--client-id", id.as_str(), "--scope", ""],
    ] {
        let (code, _, err) = authdesk(d, &args);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains("production"), "{args:?}: {err}");
    }
    assert_eq!(json(d, &["clock", "show", "--json"])["offset_seconds"], 0);
    // a sandbox directory cannot be turned into a production one afterwards
    let sandbox = registry.dir.path().join("Sandbox-Dir");
    json(&sandbox, &["clients", "list", "--json"]);
    let (code, _, err) = authdesk(&sandbox, &["init", "--production"]);
    assert_ne!(code, 0);
    // The path as given (it was once lowercased with the rest of the message).
    let named = format!("{} is already a sandbox data directory", sandbox.display());
    assert!(err.contains(&named), "{err}");
}

#[test]
fn data_dir_from_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env("AUTHDESK_DATA_DIR", dir.path())
        .args(["init", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("authdesk.db").exists());
}

/// Runs one statement straight on the registry's database, behind Authdesk's back; `?1` is
/// `bind`. Returns the first column of the first row, if any, as text.
async fn behind_the_back(registry: &Registry, sql: &str, bind: &str) -> Option<String> {
    use sqlx::{ConnectOptions, Connection, Row};
    match &registry.database {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let sql = sql.replace("?1", "$1");
            let row = sqlx::query(&sql)
                .bind(bind)
                .fetch_optional(&mut conn)
                .await
                .unwrap();
            row.map(|r| r.get::<String, _>(0))
        }
        None => {
            let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(registry.dir.path().join("authdesk.db"))
                .connect()
                .await
                .unwrap();
            let row = sqlx::query(sql)
                .bind(bind)
                .fetch_optional(&mut conn)
                .await
                .unwrap();
            // Closed before the next command opens the database (a connection dropped closes
            // in the background, checkpointing the log under the lock).
            conn.close().await.unwrap();
            row.map(|r| r.get::<String, _>(0))
        }
    }
}

/// The stored password hash of `username`, read straight from the database.
async fn password_hash(registry: &Registry, username: &str) -> String {
    behind_the_back(
        registry,
        "SELECT password_hash FROM users WHERE username = ?1",
        username,
    )
    .await
    .expect("the user")
}

/// `users create --password-stdin` reads the password from standard input (so it is in no
/// process list or shell history); `--password` still works but warns; neither, without a
/// terminal to prompt on, is refused with the fix.
#[tokio::test]
async fn users_create_takes_the_password_from_standard_input() {
    use std::io::Write;
    let registry = Registry::fresh();
    let d = &registry;
    let mut child = Command::new(BIN)
        .args(d.global())
        .args([
            "users",
            "create",
            "--username",
            "bob",
            "--password-stdin",
            "--json",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"two words\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(created["sub"].is_string());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("--password"),
        "no warning about the password: {err}"
    );

    let stored = password_hash(d, "bob").await;
    let mut memory = Default::default();
    assert!(authdesk_server::secret::verify_password(
        "two words",
        &stored,
        &mut memory
    ));
    assert!(!authdesk_server::secret::verify_password(
        "two words\r",
        &stored,
        &mut memory
    ));

    // In a terminal (a pseudo-terminal from util-linux's `script`), without either option, it
    // asks, without echoing what is typed.
    let mut child = Command::new("script")
        .arg("-qec")
        .arg({
            let [flag, value] = d.global();
            format!(
                "{BIN} {} '{}' users create --username erin --json",
                flag.to_string_lossy(),
                value.to_string_lossy()
            )
        })
        .arg("/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script (Debian: bsdutils, always installed)");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Typed once the prompt is on the screen (the terminal stops echoing before it is
    // shown), however long the program takes to start on a busy machine.
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("Password for the new user:") {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    stdin.write_all(b"typed at a prompt\n").unwrap();
    std::io::Read::read_to_end(&mut stdout, &mut seen).unwrap();
    let status = child.wait().unwrap();
    let shown = String::from_utf8_lossy(&seen);
    assert!(status.success(), "{shown}");
    assert!(shown.contains("Password for the new user:"), "{shown}");
    assert!(!shown.contains("typed at a prompt"), "not echoed: {shown}");
    let stored = password_hash(d, "erin").await;
    assert!(authdesk_server::secret::verify_password(
        "typed at a prompt",
        &stored,
        &mut memory
    ));

    let (code, _, err) = authdesk(d, &["users", "create", "--username", "carol", "--json"]);
    assert_eq!(code, 1);
    assert!(err.contains("--password-stdin"), "{err}");
    let (code, _, err) = authdesk(
        d,
        &[
            "users",
            "create",
            "--username",
            "dan",
            "--password",
            "on the command line",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("prefer --password-stdin"), "{err}");
}

/// `audit verify` exits 0 on an intact chain and 1 naming the first event edited with SQL.
#[tokio::test]
async fn audit_verify_names_the_first_event_changed_behind_authdesks_back() {
    let registry = Registry::fresh();
    let d = &registry;
    for name in ["ada", "bob", "carol"] {
        json(
            d,
            &[
                "users",
                "create",
                "--username",
                name,
                "--password",
                "long enough",
                "--json",
            ],
        );
    }
    let (code, out, err) = authdesk(d, &["audit", "verify"]);
    assert_eq!(code, 0, "{out} {err}");
    assert!(out.contains("intact"), "{out}");
    let ok = json(d, &["audit", "verify", "--json"]);
    assert_eq!(ok["first_bad"], Value::Null);

    let second = behind_the_back(
        d,
        "UPDATE audit SET actor = 'nobody' WHERE id = (SELECT id FROM audit \
         WHERE ?1 = ?1 ORDER BY id LIMIT 1 OFFSET 1) RETURNING CAST(id AS TEXT)",
        "",
    )
    .await
    .expect("the second event");
    let (code, _, err) = authdesk(d, &["audit", "verify"]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("broken at event {second}")), "{err}");
}

/// `authdesk audit` filters in the store and `--export` writes every matching event.
#[test]
fn audit_filters_and_exports() {
    let registry = Registry::fresh();
    let d = &registry;
    for name in ["Budget app", "Payroll app", "Budget helper"] {
        json(
            d,
            &[
                "clients",
                "create",
                "--name",
                name,
                "--redirect-uri",
                "http://127.0.0.1:9/cb",
                "--json",
            ],
        );
    }
    let (code, csv, err) = authdesk(
        d,
        &[
            "audit",
            "--action",
            "client.create",
            "--text",
            "budget",
            "--export",
            "csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,at_utc,recorded_at_utc,actor,action,target,detail"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].contains("Budget helper") && lines[2].contains("Budget app"),
        "newest first: {csv}"
    );
    assert!(
        lines[1].contains(",cli:"),
        "the actor is the CLI's operating-system user: {csv}"
    );

    let page = json(
        d,
        &[
            "audit",
            "--action",
            "client.create",
            "--limit",
            "1",
            "--json",
        ],
    );
    assert_eq!(page["total"], 3);
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    let (_, text, _) = authdesk(d, &["audit", "--limit", "1"]);
    assert!(text.contains("1 of 3 events"), "{text}");

    // A reason given on the command line is in the event.
    let id = json(d, &["clients", "list", "--json"])["clients"][0]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _, err) = authdesk(
        d,
        &["clients", "disable", &id, "--reason", "partner paused"],
    );
    assert_eq!(code, 0, "{err}");
    let found = json(d, &["audit", "--text", "partner paused", "--json"]);
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["events"][0]["action"], "client.disable");

    let (code, _, err) = authdesk(d, &["audit", "--since", "yesterday"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("--since: \"yesterday\" is neither a day"),
        "{err}"
    );
    let (code, out, _) = authdesk(d, &["audit", "--since", "2999-01-01", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json_total(&out), 0);
}

fn json_total(out: &str) -> i64 {
    serde_json::from_str::<Value>(out).unwrap()["total"]
        .as_i64()
        .unwrap()
}

/// `clients rotate-secret ID --overlap 24h`: the reply says until when the old secret works.
#[test]
fn rotate_secret_with_an_overlap() {
    let registry = Registry::fresh();
    let d = &registry;
    let id = json(
        d,
        &[
            "clients",
            "create",
            "--name",
            "Rotating",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--json",
        ],
    )["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let rotated = json(
        d,
        &[
            "clients",
            "rotate-secret",
            &id,
            "--overlap",
            "24h",
            "--json",
        ],
    );
    assert!(rotated["client_secret"].is_string());
    assert!(rotated["previous_secret_until"].is_string(), "{rotated}");
    let (code, text, _) = authdesk(d, &["clients", "rotate-secret", &id, "--overlap", "1h"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("The old secret keeps working until"),
        "{text}"
    );
    let (code, text, _) = authdesk(d, &["clients", "rotate-secret", &id]);
    assert_eq!(code, 0);
    assert!(text.contains("The old secret no longer works."), "{text}");
    let (code, _, err) = authdesk(d, &["clients", "rotate-secret", &id, "--overlap", "soon"]);
    assert_ne!(code, 0);
    assert!(err.contains("--overlap"), "{err}");
    let (code, _, err) = authdesk(d, &["clients", "rotate-secret", &id, "--overlap", "90d"]);
    assert_ne!(code, 0);
    assert!(err.contains("at most 30 days"), "{err}");
}

/// `authdesk seed` fills a sandbox with demo people and apps, and refuses a production
/// directory.
#[test]
fn seed_fills_a_sandbox_and_refuses_production() {
    let sandbox = Registry::fresh();
    let (code, text, err) = authdesk(&sandbox, &["seed", "--people", "20"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with("seeded 20 people (customer00001"),
        "{text}"
    );
    let users = json(&sandbox, &["users", "list", "--json"]);
    assert_eq!(users["users"].as_array().unwrap().len(), 20, "{users}");
    let prod = Registry::fresh();
    let (code, _, _) = authdesk(&prod, &["init", "--production"]);
    assert_eq!(code, 0);
    let (code, _, err) = authdesk(&prod, &["seed"]);
    assert_ne!(code, 0);
    assert!(err.contains("sandbox feature"), "{err}");
}

/// `authdesk backup --to FILE` while `serve` takes writes: the copy is owner-only, opens as a
/// data directory (the store's start-up checks), its audit hash chain verifies, and a backup is
/// never written over. `/healthz` and `/readyz` answer on the OAuth port meanwhile.
#[tokio::test]
async fn backup_while_serving_is_consistent_and_health_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = json(
        d,
        &[
            "clients",
            "create",
            "--name",
            "Backed up",
            "--grant-type",
            "client_credentials",
            "--scope",
            "accounts",
            "--json",
        ],
    );
    let (id, secret) = (
        created["client_id"].as_str().unwrap().to_string(),
        created["client_secret"].as_str().unwrap().to_string(),
    );
    let server = Server::start(d);
    let http = reqwest::Client::new();
    let health: Value = http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "alive");
    let ready = http
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");

    // Writes go on (tokens issued) while the backup is taken.
    let base = server.base.clone();
    let load = tokio::spawn(async move {
        let http = reqwest::Client::new();
        for _ in 0..200 {
            let r = http
                .post(format!("{base}/token"))
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "client_credentials"), ("scope", "accounts")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    });
    let copy = tempfile::tempdir().unwrap();
    let file = copy.path().join("authdesk.db");
    let (code, out, err) = authdesk(d, &["backup", "--to", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("backed up to "), "{out}");
    load.await.unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (code, _, err) = authdesk(d, &["backup", "--to", file.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("exists already"), "{err}");
    assert!(server.stop().success());

    // The copy is a whole database and a working data directory.
    let (code, out, err) = authdesk(copy.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    let listed = json(copy.path(), &["clients", "list", "--json"]);
    assert_eq!(listed["clients"][0]["name"], "Backed up");
}

/// `authdesk restore --from FILE`: refused while a server has the directory open; otherwise the
/// backup replaces the database (the replaced one kept beside it) and the directory works on it;
/// a file that is not an Authdesk database is refused with nothing changed.
#[test]
fn restore_puts_a_backup_back_and_refuses_a_directory_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(
        d,
        &[
            "clients",
            "create",
            "--name",
            "Before the backup",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--json",
        ],
    );
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("monday.db");
    let (code, _, err) = authdesk(d, &["backup", "--to", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    json(
        d,
        &[
            "clients",
            "create",
            "--name",
            "After the backup",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--json",
        ],
    );

    // Not while a server has the directory open.
    let server = Server::start(d);
    let (code, _, err) = authdesk(d, &["restore", "--from", file.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(
        err.contains("is in use by a running server, console or command"),
        "{err}"
    );
    assert!(server.stop().success());

    // Not a file that is not an Authdesk database; nothing changes.
    let junk = backups.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let (code, _, err) = authdesk(d, &["restore", "--from", junk.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot be restored"), "{err}");
    assert_eq!(
        json(d, &["clients", "list", "--json"])["clients"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Restored: back to one app; the replaced database kept beside it.
    let (code, out, err) = authdesk(d, &["restore", "--from", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("the database it replaced is kept as"), "{out}");
    let names: Vec<String> = json(d, &["clients", "list", "--json"])["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Before the backup"]);
    let kept = std::fs::read_dir(d)
        .unwrap()
        .filter_map(std::result::Result::ok)
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("authdesk.db.before-restore-")
        });
    assert!(kept, "the replaced database is kept");
    let (code, _, err) = authdesk(d, &["audit", "verify"]);
    assert_eq!(code, 0, "{err}");
}

/// `AUTHDESK_LOG_FORMAT=json`: every log line `serve` writes is one JSON object with a level
/// and a message, and a client's secret never appears in them. `--metrics-listen` serves the
/// refusal's count there, without the secret either.
#[tokio::test]
async fn json_logs_are_one_object_per_line_without_secrets() {
    let registry = Registry::fresh();
    let d = &registry;
    let id = json(
        d,
        &[
            "clients",
            "create",
            "--name",
            "Logged",
            "--grant-type",
            "client_credentials",
            "--scope",
            "accounts",
            "--json",
        ],
    )["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let metrics_at = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let server = Server::start_with_env(
        d,
        &["--metrics-listen", &metrics_at],
        &[("AUTHDESK_LOG_FORMAT", "json")],
    );
    let wrong_secret = "not-the-secret-but-should-never-be-logged";
    let r = reqwest::Client::new()
        .post(format!("{}/token", server.base))
        .basic_auth(&id, Some(wrong_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let metrics = reqwest::get(format!("http://{metrics_at}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .contains(r#"authdesk_oauth_errors_total{endpoint="/token",error="invalid_client"} 1"#),
        "{metrics}"
    );
    assert!(!metrics.contains(wrong_secret));
    assert!(server.stop().success());
    let log = std::fs::read_to_string(d.logs().join("serve.log")).unwrap();
    assert!(log.contains("metrics served"), "{log}");
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 2, "{log}");
    for line in &lines {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string(), "{line}");
        assert!(v["fields"].is_object(), "{line}");
    }
    assert!(!log.contains(wrong_secret), "a secret reached the log");
}

/// `export` / `import` from the command line: a sandbox's app promoted into a production
/// directory; the file is owner-only and never replaces one; stdout carries the document when
/// there is no `--out`; the import prints the new secret once.
#[test]
fn export_then_import_into_production() {
    let (sandbox, prod) = (Registry::fresh(), Registry::fresh());
    let root = &sandbox.dir;
    let id = json(
        &sandbox,
        &[
            "clients",
            "create",
            "--name",
            "Promoted",
            "--grant-type",
            "client_credentials",
            "--scope",
            "accounts",
            "--json",
        ],
    )["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let file = root.path().join("registry.json");
    let f = file.to_str().unwrap();
    let (code, _, err) = authdesk(&sandbox, &["export", "--out", f]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("exported 1 app, 0 people"), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "owner-only");
    }
    let written = std::fs::read_to_string(&file).unwrap();
    let (code, _, err) = authdesk(&sandbox, &["export", "--with-keys", "--out", f]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot create"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        written,
        "not replaced"
    );
    let (code, out, _) = authdesk(&sandbox, &["export"]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["format"], "authdesk-registry");
    assert_eq!(doc["apps"][0]["client_id"], id.as_str());

    let (code, _, err) = authdesk(&prod, &["init", "--production"]);
    assert_eq!(code, 0, "{err}");
    let report = json(&prod, &["import", f, "--json"]);
    assert_eq!(report["apps"], 1);
    assert_eq!(report["new_secrets"][0]["client_id"], id.as_str());
    assert!(
        report["new_secrets"][0]["client_secret"]
            .as_str()
            .unwrap()
            .len()
            >= 32
    );
    let shown = json(&prod, &["clients", "show", &id, "--json"]);
    assert_eq!(shown["name"], "Promoted");
    let (code, _, err) = authdesk(&prod, &["import", f]);
    assert_eq!(code, 1);
    assert!(err.contains("already here") && err.contains(&id), "{err}");
}

/// A PostgreSQL password stays out of the process list and `--help` (issue 21): `migrate --to`
/// takes the URL from AUTHDESK_MIGRATE_TO or from standard input (`--to -`), warns when it is
/// on the command line, and no message repeats the password.
#[test]
fn a_database_password_stays_out_of_the_process_list_help_and_messages() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let (code, _, err) = run(Command::new(BIN).args(["--data-dir", data, "init"]));
    assert_eq!(code, 0, "{err}");
    // Nothing listens on port 1: the copy fails after the URL was read.
    let url = "postgres://desk:hunter2secret@127.0.0.1:1/authdesk";

    let (code, out, err) =
        run(Command::new(BIN).args(["--data-dir", data, "migrate", "--to", url]));
    assert_ne!(code, 0);
    assert!(
        err.contains("visible to every user of this machine"),
        "{err}"
    );
    assert!(
        !format!("{out}{err}").contains("hunter2secret"),
        "{out}{err}"
    );

    let (code, _, err) = run(Command::new(BIN)
        .args(["--data-dir", data, "migrate"])
        .env("AUTHDESK_MIGRATE_TO", url));
    assert_ne!(code, 0);
    assert!(!err.contains("visible to every user"), "no warning: {err}");
    assert!(!err.contains("hunter2secret"), "{err}");

    let mut child = Command::new(BIN)
        .args(["--data-dir", data, "migrate", "--to", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{url}").unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("127.0.0.1:1"),
        "the URL read from stdin was used: {err}"
    );
    assert!(!err.contains("visible to every user"), "no warning: {err}");
    assert!(!err.contains("hunter2secret"), "{err}");

    // `--help` shows which variables are read, never their values.
    let (_, help, _) = run(Command::new(BIN)
        .arg("--help")
        .env("AUTHDESK_DATABASE_URL", url));
    assert!(help.contains("AUTHDESK_DATABASE_URL"), "{help}");
    assert!(!help.contains("hunter2secret"), "{help}");
    let (_, help, _) = run(Command::new(BIN)
        .args(["migrate", "--help"])
        .env("AUTHDESK_MIGRATE_TO", url));
    assert!(help.contains("AUTHDESK_MIGRATE_TO"), "{help}");
    assert!(!help.contains("hunter2secret"), "{help}");
}

/// `users sign-out SUB` ends the person's sessions (how many, in JSON) and names an unknown sub.
#[test]
fn users_sign_out_ends_sessions_and_names_an_unknown_person() {
    let registry = Registry::fresh();
    let created = json(
        &registry,
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
    let sub = created["sub"].as_str().unwrap();
    let out = json(
        &registry,
        &["users", "sign-out", sub, "--reason", "lost phone", "--json"],
    );
    assert_eq!(out["sessions_ended"], 0, "{out}");
    assert_eq!(out["sub"], sub);
    let (code, _, err) = authdesk(&registry, &["users", "sign-out", "nobody"]);
    assert_ne!(code, 0);
    assert!(err.contains("no user with sub nobody"), "{err}");
}

/// `authdesk operators …` manages who uses the registry; `--operator NAME` acts as one of them:
/// the audit names them with their role and desk, and their role applies.
#[test]
fn operators_are_managed_and_named_by_the_cli() {
    use std::io::Write;
    let registry = Registry::fresh();
    let add = |name: &str, role: &str| {
        let mut child = Command::new(BIN)
            .args(registry.global())
            .args([
                "operators",
                "add",
                name,
                "--role",
                role,
                "--password-stdin",
                "--json",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "a long operator password").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let alice = add("alice", "admin");
    assert_eq!(alice["role"], "admin");
    assert_eq!(alice["disabled"], false);
    add("sam", "support");
    let (_, table, _) = authdesk(&registry, &["operators", "list"]);
    assert!(table.starts_with("USERNAME"), "{table}");
    assert!(
        table.contains("sam") && table.contains("support"),
        "{table}"
    );

    // Support may not rotate keys, from the CLI either.
    let (code, _, err) = authdesk(&registry, &["--operator", "sam", "keys", "rotate"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("sam (support) at ") && err.contains("may not rotate signing keys"),
        "{err}"
    );
    // What an operator does is audited under their name.
    let (code, _, err) = authdesk(
        &registry,
        &[
            "--operator",
            "alice",
            "operators",
            "set-role",
            "sam",
            "auditor",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let events = json(
        &registry,
        &["audit", "--action", "operator.update", "--json"],
    );
    let actor = events["events"][0]["actor"].as_str().unwrap();
    assert!(
        actor.starts_with("alice (admin) at ") && actor.ends_with(" via cli"),
        "{actor}"
    );
    // An operator who is not there is named.
    let (code, _, err) = authdesk(&registry, &["--operator", "mallory", "operators", "list"]);
    assert_ne!(code, 0);
    assert!(err.contains("no operator named mallory"), "{err}");
    // The last admin stays one.
    let (code, _, err) = authdesk(&registry, &["operators", "disable", "alice"]);
    assert_ne!(code, 0);
    assert!(err.contains("only enabled admin"), "{err}");
}
