//! A PostgreSQL database for a test. The cluster is the one `AUTHDESK_TEST_POSTGRES_URL`
//! names (the test command starts one with `scripts/pg`); without it, this process starts a
//! throwaway cluster with `scripts/pg` on first need and stops it when the process exits. Every
//! call makes a fresh, empty database on it.

use sqlx::Connection;
use std::path::PathBuf;
use std::sync::OnceLock;

static CLUSTER: OnceLock<String> = OnceLock::new();

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg")
}

/// Stops the cluster in `dir` once this process has exited (a watcher process: tests have no
/// hook at exit).
fn stop_after_exit(dir: &std::path::Path) {
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"while kill -0 "$0" 2>/dev/null; do sleep 0.5; done; "$1" stop "$2"; rm -rf "$2""#)
        .arg(std::process::id().to_string())
        .arg(script())
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// The cluster's URL (its `postgres` database).
pub fn cluster() -> String {
    CLUSTER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("AUTHDESK_TEST_POSTGRES_URL") {
                return url;
            }
            let dir = std::env::temp_dir().join(format!("authdesk-pg-{}", std::process::id()));
            let out = std::process::Command::new(script())
                .arg("start")
                .arg(&dir)
                .output()
                .expect("run scripts/pg");
            assert!(
                out.status.success(),
                "could not start a PostgreSQL cluster for the tests (scripts/pg start): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            stop_after_exit(&dir);
            String::from_utf8(out.stdout)
                .expect("a URL")
                .trim()
                .to_string()
        })
        .clone()
}

/// A fresh, empty database on the cluster; its URL.
pub async fn fresh_database() -> String {
    fresh_database_with("").await
}

/// The same, created with more options (`CREATE DATABASE name {options}`).
pub async fn fresh_database_with(options: &str) -> String {
    let base = cluster();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to the test cluster");
    sqlx::query(&format!("CREATE DATABASE {name} {options}"))
        .execute(&mut admin)
        .await
        .expect("create a database");
    let _ = admin.close().await;
    let mut url = url::Url::parse(&base).expect("a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A cluster of a test's own, to stop and start under load (the shared one serves every other
/// test). Stopped and removed when dropped.
pub struct OwnCluster {
    dir: PathBuf,
    /// Its `postgres` database.
    pub url: String,
}

impl OwnCluster {
    pub fn start() -> OwnCluster {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("authdesk-own-pg-{}-{n}", std::process::id()));
        let url = Self::pg("start", &dir);
        stop_after_exit(&dir);
        OwnCluster { dir, url }
    }

    /// Stops it (`pg_ctl stop -m fast`: sessions are ended, committed work is kept).
    pub fn stop(&self) {
        Self::pg("stop", &self.dir);
    }

    /// Starts it again, as it was.
    pub fn start_again(&self) {
        Self::pg("start", &self.dir);
    }

    fn pg(command: &str, dir: &std::path::Path) -> String {
        let out = std::process::Command::new(script())
            .arg(command)
            .arg(dir)
            .output()
            .expect("run scripts/pg");
        assert!(
            out.status.success(),
            "scripts/pg {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("a URL")
            .trim()
            .to_string()
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(script())
            .arg("stop")
            .arg(&self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
