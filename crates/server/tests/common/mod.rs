//! The real `authdesk` binary as a process: run a command, read its `--json`, start `serve`.
#![allow(dead_code)] // each test binary uses its own part of this

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_authdesk");

pub fn authdesk(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    run(Command::new(BIN).arg("--data-dir").arg(dir).args(args))
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

fn run(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("run authdesk");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

pub fn json(dir: &std::path::Path, args: &[&str]) -> Value {
    let (code, out, err) = authdesk(dir, args);
    assert_eq!(code, 0, "authdesk {args:?} failed: {err}");
    assert_eq!(out.lines().count(), 1, "one JSON object on stdout: {out}");
    serde_json::from_str(&out).expect("JSON")
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `serve` with verbose logging into `dir/serve.log`.
    pub fn start(dir: &std::path::Path) -> Server {
        Self::start_with(dir, &[])
    }

    /// Starts `serve` with more arguments (e.g. `--issuer`).
    pub fn start_with(dir: &std::path::Path, extra: &[&str]) -> Server {
        Self::start_with_env(dir, extra, &[])
    }

    /// Starts `serve` with more arguments and environment variables.
    pub fn start_with_env(dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut at = vec![std::ffi::OsString::from("--data-dir"), dir.into()];
        at.extend(extra.iter().map(Into::into));
        Self::spawn(&at, &dir.join("serve.log"), env)
    }

    /// Starts a `serve` node on a PostgreSQL database, logging into `log`.
    pub fn start_on(database: &str, log: &std::path::Path, extra: &[&str]) -> Server {
        let mut at = vec![std::ffi::OsString::from("--database"), database.into()];
        at.extend(extra.iter().map(Into::into));
        Self::spawn(&at, log, &[])
    }

    fn spawn(args: &[std::ffi::OsString], log: &std::path::Path, env: &[(&str, &str)]) -> Server {
        let (global, extra) = args.split_at(2);
        let log = std::fs::File::create(log).unwrap();
        let mut child = Command::new(BIN)
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
            .find(|w| w.starts_with("http://"))
            .expect("URL in the log line")
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

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
