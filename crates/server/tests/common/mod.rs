//! The real `authdesk` binary as a process: run a command, read its `--json`, start `serve`.
#![allow(dead_code)] // each test binary uses its own part of this

use serde_json::Value;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// PostgreSQL databases for tests (shared with the store's tests).
#[path = "../../../store/tests/common/pg.rs"]
pub mod pg;

pub const BIN: &str = env!("CARGO_BIN_EXE_authdesk");

/// Where a command finds its registry: the global arguments that name it, and where its
/// server's log goes.
pub trait At {
    fn global(&self) -> [OsString; 2];
    fn logs(&self) -> PathBuf;
}

impl At for Path {
    fn global(&self) -> [OsString; 2] {
        ["--data-dir".into(), self.into()]
    }
    fn logs(&self) -> PathBuf {
        self.to_path_buf()
    }
}

impl At for PathBuf {
    fn global(&self) -> [OsString; 2] {
        self.as_path().global()
    }
    fn logs(&self) -> PathBuf {
        self.clone()
    }
}

/// A test's registry: a temporary data directory, or with `AUTHDESK_TEST_BACKEND=postgres` (the
/// test command's second pass) a fresh PostgreSQL database; either way a temporary directory
/// for logs and files.
pub struct Registry {
    pub dir: tempfile::TempDir,
    /// The PostgreSQL URL, when the registry is there.
    pub database: Option<String>,
}

pub fn on_postgres() -> bool {
    std::env::var("AUTHDESK_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

impl Registry {
    /// The backend the test run asks for.
    pub fn fresh() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let database = on_postgres().then(|| {
            // `fresh_database` is async and tests may already run on a runtime: its own thread.
            std::thread::spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(pg::fresh_database())
            })
            .join()
            .unwrap()
        });
        Registry { dir, database }
    }
}

impl At for Registry {
    fn global(&self) -> [OsString; 2] {
        match &self.database {
            Some(url) => ["--database".into(), url.into()],
            None => self.dir.path().global(),
        }
    }
    fn logs(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

pub fn authdesk<A: At + ?Sized>(at: &A, args: &[&str]) -> (i32, String, String) {
    run(Command::new(BIN).args(at.global()).args(args))
}

/// The same with `--database` (a PostgreSQL URL).
pub fn authdesk_on(database: &str, args: &[&str]) -> (i32, String, String) {
    run(Command::new(BIN).args(["--database", database]).args(args))
}

/// `--json` output of a command on a PostgreSQL database.
pub fn json_on(database: &str, args: &[&str]) -> Value {
    let (code, out, err) = authdesk_on(database, args);
    assert_eq!(code, 0, "authdesk {args:?} failed: {err}");
    serde_json::from_str(&out).expect("JSON")
}

pub fn run(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("run authdesk");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

pub fn json<A: At + ?Sized>(at: &A, args: &[&str]) -> Value {
    let (code, out, err) = authdesk(at, args);
    assert_eq!(code, 0, "authdesk {args:?} failed: {err}");
    assert_eq!(out.lines().count(), 1, "one JSON object on stdout: {out}");
    serde_json::from_str(&out).expect("JSON")
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `serve` with verbose logging into `serve.log` in the registry's logs.
    pub fn start<A: At + ?Sized>(at: &A) -> Server {
        Self::start_with(at, &[])
    }

    /// Starts `serve` with more arguments (e.g. `--issuer`).
    pub fn start_with<A: At + ?Sized>(at: &A, extra: &[&str]) -> Server {
        Self::start_with_env(at, extra, &[])
    }

    /// Starts `serve` with more arguments and environment variables.
    pub fn start_with_env<A: At + ?Sized>(at: &A, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut args = at.global().to_vec();
        args.extend(extra.iter().map(Into::into));
        Self::spawn(&args, &at.logs().join("serve.log"), env)
    }

    /// Starts a `serve` node on a PostgreSQL database, logging into `log`.
    pub fn start_on(database: &str, log: &Path, extra: &[&str]) -> Server {
        let mut at = vec![OsString::from("--database"), database.into()];
        at.extend(extra.iter().map(Into::into));
        Self::spawn(&at, log, &[])
    }

    /// Starts `serve` under `prlimit` with this soft and hard limit on open files (the
    /// usual soft limit is 1,024).
    pub fn start_with_open_files<A: At + ?Sized>(
        at: &A,
        soft: u64,
        hard: u64,
        extra: &[&str],
    ) -> Server {
        let mut args = at.global().to_vec();
        args.extend(extra.iter().map(Into::into));
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={soft}:{hard}"))
            .arg("--")
            .arg(BIN);
        Self::spawn_command(command, &args, &at.logs().join("serve.log"), &[])
    }

    fn spawn(args: &[OsString], log: &Path, env: &[(&str, &str)]) -> Server {
        Self::spawn_command(Command::new(BIN), args, log, env)
    }

    fn spawn_command(
        mut command: Command,
        args: &[OsString],
        log: &Path,
        env: &[(&str, &str)],
    ) -> Server {
        let (global, extra) = args.split_at(2);
        let log_path = log.to_path_buf();
        let log = std::fs::File::create(log).unwrap();
        let mut child = command
            .args(global)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("AUTHDESK_LOG", "debug")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn serve");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| {
                panic!(
                    "no URL in serve's first line {line:?}; its log: {}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                )
            })
            .to_string();
        Server { child, base }
    }

    pub fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Server {
    /// The server's resident memory in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
