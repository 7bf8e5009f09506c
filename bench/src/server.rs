//! The server under test: the release `authdesk` binary as its own process, pinned to one core,
//! over a fresh data directory prepared with the same CLI a user would use.

use anyhow::{Context, bail};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REDIRECT: &str = "http://127.0.0.1:9/cb";
pub const PASSWORD: &str = "bench password 1";

/// Where the server under test keeps its registry: a fresh data directory, or a fresh
/// PostgreSQL database (with a directory for the logs).
pub enum Target {
    Dir(PathBuf),
    Postgres { url: String, logs: PathBuf },
}

impl Target {
    /// The global arguments that name it to every `authdesk` command.
    fn global(&self) -> [std::ffi::OsString; 2] {
        match self {
            Target::Dir(d) => ["--data-dir".into(), d.into()],
            Target::Postgres { url, .. } => ["--database".into(), url.into()],
        }
    }

    pub fn logs(&self) -> &Path {
        match self {
            Target::Dir(d) => d,
            Target::Postgres { logs, .. } => logs,
        }
    }
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
}

/// Runs an `authdesk` CLI command on `target` and returns its `--json` output.
pub fn cli(bin: &Path, target: &Target, args: &[&str]) -> anyhow::Result<Value> {
    let out = Command::new(bin)
        .args(target.global())
        .args(args)
        .arg("--json")
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "authdesk {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(serde_json::from_str(text.trim()).unwrap_or(Value::Null))
}

/// The registrations every scenario uses.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// Confidential, every grant type, client_secret_basic, consent required.
    pub app_id: String,
    pub app_secret: String,
    pub sub: String,
    pub username: String,
    /// A client-credentials app authenticating with `private_key_jwt` (its JWKS registered),
    /// and its RSA private key (PKCS#8 DER) to sign PS256 assertions as Jack Henry's helper.
    pub assertion_app_id: String,
    pub assertion_key: Vec<u8>,
    /// A public client (code and refresh, tokens rotate): the mixed scenario's public refreshes.
    pub public_app_id: String,
}

pub fn prepare(bin: &Path, target: &Target, es256: bool) -> anyhow::Result<Fixture> {
    let app = cli(
        bin,
        target,
        &[
            "clients",
            "create",
            "--name",
            "Bench app",
            "--redirect-uri",
            REDIRECT,
            "--scope",
            "openid",
            "--scope",
            "profile",
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
            "--consent-required",
            "true",
        ],
    )?;
    let public_app = cli(
        bin,
        target,
        &[
            "clients",
            "create",
            "--name",
            "Bench mobile app",
            "--type",
            "public",
            "--redirect-uri",
            REDIRECT,
            "--scope",
            "offline_access",
            "--scope",
            "accounts",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
        ],
    )?;
    let user = cli(
        bin,
        target,
        &[
            "users",
            "create",
            "--username",
            "bench",
            "--password",
            PASSWORD,
            "--claim",
            "name=Bench User",
        ],
    )?;
    let (assertion_key, jwks) = assertion_key()?;
    let jwks_file = target.logs().join("assertion-app.jwks");
    std::fs::write(&jwks_file, jwks.to_string())?;
    let assertion_app = cli(
        bin,
        target,
        &[
            "clients",
            "create",
            "--name",
            "Bench assertion app",
            "--auth-method",
            "private_key_jwt",
            "--jwks-file",
            jwks_file.to_str().context("a UTF-8 path")?,
            "--grant-type",
            "client_credentials",
            "--scope",
            "accounts",
        ],
    )?;
    if es256 {
        let out = Command::new(bin)
            .args(target.global())
            .args(["keys", "rotate", "--alg", "ES256", "--access-tokens"])
            .output()?;
        if !out.status.success() {
            bail!("keys rotate failed");
        }
    }
    let s = |v: &Value, k: &str| -> anyhow::Result<String> {
        v[k].as_str()
            .map(String::from)
            .with_context(|| format!("no {k} in {v}"))
    };
    Ok(Fixture {
        app_id: s(&app, "client_id")?,
        app_secret: s(&app, "client_secret")?,
        sub: s(&user, "sub")?,
        username: "bench".into(),
        assertion_app_id: s(&assertion_app, "client_id")?,
        assertion_key,
        public_app_id: s(&public_app, "client_id")?,
    })
}

/// An RSA key for PS256 assertions: its PKCS#8 DER, and the JWKS to register (no `kid`, as
/// Jack Henry's helper signs without one).
fn assertion_key() -> anyhow::Result<(Vec<u8>, Value)> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::KeyPair;
    use base64::Engine;
    let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|e| anyhow::anyhow!("RSA key: {e}"))?;
    let der = kp
        .as_der()
        .map_err(|e| anyhow::anyhow!("RSA key: {e}"))?
        .as_ref()
        .to_vec();
    let pk = kp.public_key();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let jwks = serde_json::json!({"keys": [{
        "kty": "RSA", "alg": "PS256", "use": "sig",
        "n": b64.encode(pk.modulus().big_endian_without_leading_zero()),
        "e": b64.encode(pk.exponent().big_endian_without_leading_zero()),
    }]});
    Ok((der, jwks))
}

impl Server {
    /// Starts `serve` pinned to `cpu` (taskset), logging to `log` in the target's logs.
    fn start_logging(
        bin: &Path,
        target: &Target,
        cpu: Option<usize>,
        log: &str,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let dir = target.logs();
        let log = std::fs::File::create(dir.join(log))?;
        let mut cmd = match cpu {
            Some(c) => {
                let mut t = Command::new("taskset");
                t.args(["-c", &c.to_string()]).arg(bin);
                t
            }
            None => Command::new(bin),
        };
        let mut child = cmd
            .args(target.global())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .context("starting the server")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .with_context(|| format!("no URL in {line:?} (see the logs in {})", dir.display()))?;
        let addr: SocketAddr = url.trim_start_matches("http://").parse()?;
        let pid = child.id();
        Ok(Server { child, addr, pid })
    }

    /// (current RSS, peak RSS) in KiB, from /proc.
    pub fn rss_kib(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Context switches of the server's live threads so far (voluntary and not). A thread that
    /// ended (tokio's blocking pool lets idle ones go) takes its count with it, so a difference
    /// may undercount; it is never negative.
    pub fn context_switches(&self) -> u64 {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else {
            return 0;
        };
        tasks
            .flatten()
            .map(|t| {
                std::fs::read_to_string(t.path().join("status"))
                    .unwrap_or_default()
                    .lines()
                    .filter(|l| l.contains("ctxt_switches"))
                    .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                    .sum::<u64>()
            })
            .sum()
    }

    /// CPU seconds the server process has used (user + system).
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // fields 14 and 15 of /proc/PID/stat, counted after the ")"
        (ticks(11) + ticks(12)) / 100.0
    }

    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("the server did not stop within 10 s of SIGTERM: killed");
        self.child.kill()?;
        Ok(())
    }
}

/// One or more `serve` processes on the same registry (several only on PostgreSQL); what the
/// benchmark reads of "the server" is the sum over them.
pub struct Nodes(Vec<Server>);

/// The one issuer several nodes serve as, as behind a load balancer: a token one node issued
/// names it, and every other node accepts it.
const NODES_ISSUER: &str = "http://auth.bench.test";

impl Nodes {
    pub fn start(
        bin: &Path,
        target: &Target,
        cpu: Option<usize>,
        n: usize,
    ) -> anyhow::Result<Nodes> {
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let (log, extra) = match n {
                1 => ("serve.log".to_string(), &[][..]),
                _ => (format!("serve-{i}.log"), &["--issuer", NODES_ISSUER][..]),
            };
            nodes.push(Server::start_logging(bin, target, cpu, &log, extra)?);
        }
        Ok(Nodes(nodes))
    }

    /// Where each node listens; connection `i` of a round goes to `addrs[i % n]`.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.0.iter().map(|s| s.addr).collect()
    }

    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|s| format!("pid {} on {}", s.pid, s.addr))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn rss_kib(&self) -> (u64, u64) {
        self.0
            .iter()
            .map(Server::rss_kib)
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    }

    pub fn context_switches(&self) -> u64 {
        self.0.iter().map(Server::context_switches).sum()
    }

    pub fn cpu_seconds(&self) -> f64 {
        self.0.iter().map(Server::cpu_seconds).sum()
    }

    pub fn stop(self) -> anyhow::Result<()> {
        for s in self.0 {
            s.stop()?;
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release binary: `--server-bin`, else built with cargo next to this benchmark.
pub fn server_bin(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(b) = given {
        return Ok(b);
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--locked", "--bin", "authdesk"])
        .status()
        .context("cargo build --release --bin authdesk")?;
    if !status.success() {
        bail!("building the server failed");
    }
    let exe = std::env::current_exe()?;
    let bin = exe.parent().context("exe dir")?.join("authdesk");
    if !bin.exists() {
        bail!("{} not found; pass --server-bin", bin.display());
    }
    Ok(bin)
}
