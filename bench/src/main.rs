//! `authdesk-bench`: starts the release server pinned to one core, drives it over real HTTP from
//! the other, and prints throughput, latency, errors and memory next to the physical limit of
//! the server's core measured in the same run. Figures are printed, never asserted; zero errors
//! is part of every result (the exit code says whether any round had one).
//!
//! ```text
//! cargo run --release -p authdesk-bench -- --connections 1,8,32,128 --stored 0,1000000
//! cargo run --release -p authdesk-bench -- --smoke          # a few seconds, for CI
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod ceiling;
mod dbcost;
mod http;
mod load;
mod plot;
mod seed;
mod server;

use clap::Parser;
use load::{RoundResult, Scenario};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "authdesk-bench", about = "Load benchmark for `authdesk serve`")]
struct Args {
    /// The server binary (default: build and use target/release/authdesk).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Scenarios: cc, cc-ps256, refresh, refresh-openid, code-flow, introspect, jwks, and the
    /// refusals an unauthenticated caller gets: login-page, cc-wrong-secret, cc-unknown-id; and
    /// mixed, a day's shape of them at once.
    #[arg(long, value_delimiter = ',', default_value = "cc,cc-ps256,cc-dpop,refresh,refresh-openid,code-flow,introspect,jwks,login-page,cc-wrong-secret,cc-unknown-id,mixed", value_parser = Scenario::parse)]
    scenarios: Vec<Scenario>,
    /// Signing algorithms to run the scenarios under (ES256 runs only cc and jwks).
    #[arg(long, value_delimiter = ',', default_value = "RS256,ES256")]
    algs: Vec<String>,
    /// Concurrent keep-alive connections, one sweep point each.
    #[arg(long, value_delimiter = ',', default_value = "32")]
    connections: Vec<usize>,
    /// Tokens stored in the database before the server starts, one sweep point each.
    #[arg(long, value_delimiter = ',', default_value = "10000")]
    stored: Vec<u64>,
    /// Measured rounds per point; each starts right after the previous one's connections were cut.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds per round.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Requests that hang up after 0-5 ms between rounds.
    #[arg(long, default_value_t = 100)]
    hang_ups: usize,
    /// Seconds of warm-up before each point's rounds (0: none).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// The server's core (taskset); the load generator takes the other.
    #[arg(long, default_value_t = 1)]
    server_cpu: usize,
    #[arg(long, default_value_t = 0)]
    client_cpu: usize,
    /// Do not pin anything (for machines with one core). The load generator then sleeps while
    /// it waits, as with --client-sleeps.
    #[arg(long)]
    no_pin: bool,
    /// Let the load generator's core sleep while it waits for answers (the method of runs
    /// before 2026-12-02 evening): waking it then costs the server's core on loopback, up to
    /// 200 µs per answer in this VM. By default it stays awake on its own core
    /// (`load::Client`).
    #[arg(long)]
    client_sleeps: bool,
    /// Write results.json (and plots when sweeping) into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A few seconds of everything: c=4, two short rounds, nothing stored. For CI.
    #[arg(long)]
    smoke: bool,
    /// Run the server on PostgreSQL: each point on a fresh database created in the cluster this
    /// URL names (only --stored 0: stored tokens are seeded into SQLite).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// `serve` processes on the one registry (more than one needs --database); each round's
    /// connections are spread over them. All are pinned to the server core, so the figures
    /// compare at equal CPU.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Grants the refresh scenarios spread over (each minted before the server starts): each
    /// request refreshes the next one, as many customers' apps do. 1 puts every request on one
    /// grant (the method of runs before 2026-12-06), where they queue on its row.
    #[arg(long, default_value_t = 10_000)]
    grants: usize,
    /// Draw the plots of an earlier run's results.json into --out, and run nothing.
    #[arg(long, value_name = "RESULTS_JSON")]
    plot: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Point {
    alg: String,
    scenario: Scenario,
    connections: usize,
    stored: u64,
    /// `serve` processes the connections were spread over (older results: one).
    #[serde(default = "one")]
    nodes: usize,
    rounds: Vec<RoundResult>,
    idle_rss_kib: u64,
    peak_rss_kib: u64,
    server_cpu_seconds: f64,
    /// Context switches of the server's threads during the measured rounds.
    context_switches: u64,
    /// The server core's signing rates: the mean of `ceilings` (older results: measured once,
    /// right before the point's rounds).
    ceiling: ceiling::Ceiling,
    /// The measurements: right before the point, then after each round.
    #[serde(default)]
    ceilings: Vec<ceiling::Ceiling>,
    /// How the load generator waited for answers (older results: it slept).
    #[serde(default = "sleeps")]
    client: load::Client,
    /// On PostgreSQL: what the database spent during the measured rounds (`dbcost`).
    #[serde(default)]
    database: Option<dbcost::DbSample>,
}

fn sleeps() -> load::Client {
    load::Client::Sleeps
}

#[derive(Debug, Serialize, Deserialize)]
struct Report {
    ceiling_before: ceiling::Ceiling,
    ceiling_after: ceiling::Ceiling,
    points: Vec<Point>,
}

impl Point {
    /// The scenario, and the nodes when there were several.
    fn scenario_label(&self) -> String {
        match self.nodes {
            1 => self.scenario.name().to_string(),
            n => format!("{} ({n} nodes)", self.scenario.name()),
        }
    }
}

fn one() -> usize {
    1
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if let Some(results) = &args.plot {
        let report: Report = serde_json::from_str(&std::fs::read_to_string(results)?)?;
        let out = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&out)?;
        plot::write_plots(&out, &report_series(&report))?;
        summary(&report);
        return Ok(());
    }
    if args.smoke {
        args.connections = vec![4];
        args.stored = vec![0];
        args.rounds = 2;
        args.seconds = 0.5;
        args.hang_ups = 20;
        args.warmup = 0.2;
        args.grants = args.grants.min(8);
    }
    anyhow::ensure!(args.grants >= 1, "--grants counts grants: at least 1");
    anyhow::ensure!(
        args.nodes >= 1,
        "--nodes counts serve processes: at least 1"
    );
    anyhow::ensure!(
        args.nodes == 1 || args.database.is_some(),
        "--nodes {} needs --database: nodes share a registry only on PostgreSQL",
        args.nodes
    );
    let bin = server::server_bin(args.server_bin.clone())?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let (server_cpu, client_cpu) = if args.no_pin || cores < 2 {
        (None, None)
    } else {
        (Some(args.server_cpu), Some(args.client_cpu))
    };
    // Kept awake only on a core of its own: sharing the server's, it would take from it.
    let client = if args.client_sleeps || client_cpu.is_none() {
        load::Client::Sleeps
    } else {
        load::Client::Awake
    };
    let ceiling_time = Duration::from_secs_f64(if args.smoke { 0.2 } else { 1.0 });
    let ceiling_before = ceiling::measure(server_cpu, ceiling_time);
    println!(
        "server core {}: RSA-2048 {:.0} signatures/s, P-256 {:.0} signatures/s, {:.0} verifications/s (aws-lc-rs); a DPoP proof's whole check {:.1} µs",
        server_cpu.map_or("any".into(), |c| c.to_string()),
        ceiling_before.rsa2048_per_s,
        ceiling_before.p256_per_s,
        ceiling_before.p256_verify_per_s,
        1e6 / ceiling_before.dpop_check_per_s
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if let Some(c) = client_cpu {
        core_affinity::set_for_current(core_affinity::CoreId { id: c });
    }
    let mut points = Vec::new();
    for alg in &args.algs {
        let es256 = alg.eq_ignore_ascii_case("ES256");
        let scenarios: Vec<Scenario> = args
            .scenarios
            .iter()
            .copied()
            .filter(|s| !es256 || matches!(s, Scenario::ClientCredentials | Scenario::Jwks))
            .collect();
        if scenarios.is_empty() {
            continue;
        }
        for &stored in &args.stored {
            let dir = tempfile::tempdir()?;
            let target = match &args.database {
                None => server::Target::Dir(dir.path().to_path_buf()),
                Some(cluster) => {
                    anyhow::ensure!(
                        stored == 0,
                        "--database runs with --stored 0 (stored tokens are seeded into SQLite)"
                    );
                    server::Target::Postgres {
                        url: rt.block_on(seed::fresh_postgres(cluster))?,
                        logs: dir.path().to_path_buf(),
                    }
                }
            };
            let fixture = server::prepare(&bin, &target, es256)?;
            if let server::Target::Dir(d) = &target {
                rt.block_on(seed::seed(d, stored, &fixture.app_id, &fixture.sub))?;
            }
            let needs =
                |s: Scenario| scenarios.contains(&s) || scenarios.contains(&Scenario::Mixed);
            let count = |s: Scenario| if needs(s) { args.grants } else { 0 };
            let grants = rt.block_on(mint_grants(
                &target,
                &fixture,
                [
                    count(Scenario::Refresh),
                    count(Scenario::RefreshOpenid),
                    if scenarios.contains(&Scenario::Mixed) {
                        args.grants.div_ceil(10)
                    } else {
                        0
                    },
                ],
            ))?;
            let srv = server::Nodes::start(&bin, &target, server_cpu, args.nodes)?;
            let addrs = srv.addrs();
            std::thread::sleep(Duration::from_millis(300));
            let (idle_rss, _) = srv.rss_kib();
            println!(
                "\n{alg}, {stored} stored tokens: server {} (idle RSS {:.1} MiB), load generator {}",
                srv.describe(),
                idle_rss as f64 / 1024.0,
                match client {
                    load::Client::Awake => "awake on its core",
                    load::Client::Sleeps => "sleeping while it waits",
                }
            );
            let prepared = rt.block_on(load::prepare(addrs[0], &fixture, grants))?;
            let mut meter = match &args.database {
                Some(cluster) => Some(rt.block_on(dbcost::DbMeter::connect(cluster))?),
                None => None,
            };
            for &scenario in &scenarios {
                for &connections in &args.connections {
                    // The limit is measured right before the point and again after each of
                    // its rounds (the server idle): the host's speed drifts within seconds.
                    let mut ceilings = vec![ceiling::measure(server_cpu, ceiling_time)];
                    // Warm-up: connections, caches; then cut like every round.
                    if args.warmup > 0.0 {
                        rt.block_on(load::round(
                            &addrs,
                            scenario,
                            &prepared,
                            connections,
                            Duration::from_secs_f64(args.warmup),
                            client,
                        ));
                    }
                    let mut rounds = Vec::new();
                    let mut spent = meter.as_ref().map(|_| dbcost::DbSample::default());
                    let (cpu0, switches0) = (srv.cpu_seconds(), srv.context_switches());
                    let mut cut_cpu = 0.0;
                    let mut cut_switches = 0;
                    for _ in 0..args.rounds {
                        let (c, w) = (srv.cpu_seconds(), srv.context_switches());
                        rt.block_on(load::hang_ups(&addrs, scenario, &prepared, args.hang_ups));
                        cut_cpu += srv.cpu_seconds() - c;
                        cut_switches += srv.context_switches().saturating_sub(w);
                        let before = match meter.as_mut() {
                            Some(m) => Some(rt.block_on(m.sample())?),
                            None => None,
                        };
                        let r = rt.block_on(load::round(
                            &addrs,
                            scenario,
                            &prepared,
                            connections,
                            Duration::from_secs_f64(args.seconds),
                            client,
                        ));
                        rounds.push(r);
                        if let (Some(m), Some(before), Some(total)) =
                            (meter.as_mut(), before, spent.as_mut())
                        {
                            *total += rt.block_on(m.sample())? - before;
                        }
                        let (c, w) = (srv.cpu_seconds(), srv.context_switches());
                        ceilings.push(ceiling::measure(server_cpu, ceiling_time));
                        cut_cpu += srv.cpu_seconds() - c;
                        cut_switches += srv.context_switches().saturating_sub(w);
                    }
                    let (_, peak) = srv.rss_kib();
                    let p = Point {
                        alg: alg.clone(),
                        scenario,
                        connections,
                        stored,
                        nodes: args.nodes,
                        rounds,
                        idle_rss_kib: idle_rss,
                        peak_rss_kib: peak,
                        server_cpu_seconds: srv.cpu_seconds() - cpu0 - cut_cpu,
                        context_switches: srv
                            .context_switches()
                            .saturating_sub(switches0 + cut_switches),
                        ceiling: ceiling::Ceiling::mean(&ceilings),
                        ceilings,
                        client,
                        database: spent,
                    };
                    print_point(&p);
                    points.push(p);
                }
            }
            srv.stop()?;
            let failed = points
                .iter()
                .filter(|p| p.alg == *alg && p.stored == stored)
                .any(|p| p.rounds.iter().any(|r| r.errors > 0));
            if failed {
                let kept = dir.keep();
                println!(
                    "  errors: the data directory and serve.log are kept in {}",
                    kept.display()
                );
            }
        }
    }
    let ceiling_after = ceiling::measure(server_cpu, ceiling_time);
    println!(
        "\nserver core after the run: RSA-2048 {:.0}/s, P-256 {:.0}/s",
        ceiling_after.rsa2048_per_s, ceiling_after.p256_per_s
    );
    let report = Report {
        ceiling_before,
        ceiling_after,
        points,
    };
    summary(&report);
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out)?;
        std::fs::write(
            out.join("results.json"),
            serde_json::to_string_pretty(&report)?,
        )?;
        plot::write_plots(out, &report_series(&report))?;
        println!("results in {}", out.display());
    }
    let errors: u64 = report
        .points
        .iter()
        .flat_map(|p| &p.rounds)
        .map(|r| r.errors)
        .sum();
    if errors > 0 {
        eprintln!("{errors} errors: see the first error of each round above");
        std::process::exit(1);
    }
    Ok(())
}

/// Mints grants for the bench's apps, in-process on the registry before its server starts, 32
/// at a time: `counts` of the confidential app's `offline_access accounts`, its `openid profile
/// offline_access`, and the public app's `offline_access accounts`; their refresh tokens.
async fn mint_grants(
    target: &server::Target,
    fixture: &server::Fixture,
    counts: [usize; 3],
) -> anyhow::Result<[Arc<load::Grants>; 3]> {
    use authdesk_server::api::{Actor, Authdesk, Database, OpenOptions};
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    let kinds = [
        (fixture.app_id.as_str(), "offline_access accounts"),
        (fixture.app_id.as_str(), "openid profile offline_access"),
        (fixture.public_app_id.as_str(), "offline_access accounts"),
    ];
    let mut minted: [Vec<String>; 3] = Default::default();
    if counts.iter().sum::<usize>() > 0 {
        let db = match target {
            server::Target::Dir(d) => Database::Dir(d.clone()),
            server::Target::Postgres { url, .. } => Database::Postgres(url.clone()),
        };
        let started = std::time::Instant::now();
        let app = Authdesk::open_database(&db, OpenOptions::default()).await?;
        let actor = Actor::named("bench");
        for ((out, n), (client_id, scope)) in minted.iter_mut().zip(counts).zip(kinds) {
            let (app, actor) = (&app, &actor);
            *out = stream::iter(0..n)
                .map(move |_| async move {
                    let t = app
                        .mint(client_id, Some(&fixture.sub), scope, false, actor)
                        .await?;
                    t.tokens
                        .refresh_token
                        .ok_or_else(|| anyhow::anyhow!("mint gave no refresh token"))
                })
                .buffer_unordered(32)
                .try_collect::<Vec<String>>()
                .await?;
        }
        app.store().close().await;
        println!(
            "minted {} + {} + {} grants in {:.1} s",
            counts[0],
            counts[1],
            counts[2],
            started.elapsed().as_secs_f64()
        );
    }
    Ok(minted.map(|tokens| Arc::new(load::Grants::new(tokens))))
}

/// The share of the core's signing limit a scenario reached, where signing bounds it.
fn share_of_ceiling(alg: &str, s: Scenario, rps: f64, c: &ceiling::Ceiling) -> Option<String> {
    let es = alg.eq_ignore_ascii_case("ES256");
    let limit = match s {
        Scenario::ClientCredentials | Scenario::Refresh => {
            if es {
                c.p256_per_s
            } else {
                c.rsa2048_per_s
            }
        }
        Scenario::RefreshOpenid => {
            if es {
                c.p256_per_s / 2.0
            } else {
                c.rsa2048_per_s / 2.0
            }
        }
        _ => return None,
    };
    Some(format!("{:.0} %", 100.0 * rps / limit))
}

/// Server CPU time per completed request in the measured rounds (the hang-up bursts between
/// them excluded): steadier than req/s on a shared host.
fn cpu_per_request_us(p: &Point) -> f64 {
    let ok: u64 = p.rounds.iter().map(|r| r.ok).sum();
    if ok == 0 {
        return 0.0;
    }
    p.server_cpu_seconds * 1e6 / ok as f64
}

fn switches_per_request(p: &Point) -> f64 {
    let ok: u64 = p.rounds.iter().map(|r| r.ok).sum();
    p.context_switches as f64 / ok.max(1) as f64
}

/// The database's CPU time and WAL per completed request in the measured rounds.
fn database_per_request(p: &Point) -> Option<String> {
    let spent = p.database?;
    let ok = p.rounds.iter().map(|r| r.ok).sum::<u64>().max(1) as f64;
    Some(format!(
        "  database CPU {:.0} µs/req, WAL {:.0} B/req",
        spent.cpu_seconds * 1e6 / ok,
        spent.wal_bytes / ok
    ))
}

fn print_point(p: &Point) {
    let c = &p.ceiling;
    let rps = median(p.rounds.iter().map(|r| r.rps).collect());
    println!(
        "  {:<38} c={:<4} rounds req/s [{}]  p50 {:.2} ms  p99 {:.2} ms  errors {}  cut {}  server CPU {:.0} µs/req  {:.1} switches/req  peak RSS {:.1} MiB{}{}",
        format!("{} {}", p.alg, p.scenario_label()),
        p.connections,
        p.rounds
            .iter()
            .map(|r| format!("{:.0}", r.rps))
            .collect::<Vec<_>>()
            .join(" "),
        median(p.rounds.iter().map(|r| r.p50_ms).collect()),
        median(p.rounds.iter().map(|r| r.p99_ms).collect()),
        p.rounds.iter().map(|r| r.errors).sum::<u64>(),
        p.rounds.iter().map(|r| r.cut).sum::<u64>(),
        cpu_per_request_us(p),
        switches_per_request(p),
        p.peak_rss_kib as f64 / 1024.0,
        database_per_request(p).unwrap_or_default(),
        share_of_ceiling(&p.alg, p.scenario, rps, c)
            .map(|s| {
                let rsa = p.ceilings.iter().map(|c| c.rsa2048_per_s);
                let (low, high) = rsa.fold((f64::MAX, 0.0f64), |(l, h), r| (l.min(r), h.max(r)));
                format!(
                    "  = {s} of the signing limit ({:.0} RSA / {:.0} P-256 per s: the mean of {} measurements around the rounds, RSA {low:.0}–{high:.0})",
                    c.rsa2048_per_s,
                    c.p256_per_s,
                    p.ceilings.len()
                )
            })
            .unwrap_or_default(),
    );
    for r in &p.rounds {
        if let Some(e) = &r.first_error {
            println!("    first error: {e}");
        }
    }
}

fn summary(r: &Report) {
    println!(
        "\n{:<8} {:<38} {:>5} {:>9} {:>10} {:>9} {:>9} {:>7} {:>8} {:>9} {:>10}",
        "alg",
        "scenario",
        "conns",
        "stored",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "µs CPU",
        "peak MiB",
        "of limit"
    );
    let jwks: Vec<(&str, u64, usize, f64)> = r
        .points
        .iter()
        .filter(|p| p.scenario == Scenario::Jwks)
        .map(|p| {
            (
                p.alg.as_str(),
                p.stored,
                p.connections,
                median(p.rounds.iter().map(|x| x.rps).collect()),
            )
        })
        .collect();
    for p in &r.points {
        let rps = median(p.rounds.iter().map(|x| x.rps).collect());
        let mut share = share_of_ceiling(&p.alg, p.scenario, rps, &p.ceiling).unwrap_or_default();
        if p.scenario == Scenario::ClientCredentials
            && let Some((_, _, _, j)) = jwks
                .iter()
                .find(|(a, s, c, _)| *a == p.alg && *s == p.stored && *c == p.connections)
        {
            share = format!("{share} ({:.0} % of jwks)", 100.0 * rps / j);
        }
        println!(
            "{:<8} {:<38} {:>5} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>7} {:>8.0} {:>9.1} {:>10}",
            p.alg,
            p.scenario_label(),
            p.connections,
            p.stored,
            rps,
            median(p.rounds.iter().map(|x| x.p50_ms).collect()),
            median(p.rounds.iter().map(|x| x.p99_ms).collect()),
            p.rounds.iter().map(|x| x.errors).sum::<u64>(),
            cpu_per_request_us(p),
            p.peak_rss_kib as f64 / 1024.0,
            share
        );
    }
    dpop_cost(r);
}

/// What a DPoP-bound token costs the server over a bearer one: the server CPU per request of
/// `cc-dpop` less `cc`'s at the same point, in µs and in P-256 verifications of the server's
/// core (the issue's unit: at most one), next to the proof check alone measured in-process.
fn dpop_cost(r: &Report) {
    for dpop in r
        .points
        .iter()
        .filter(|p| p.scenario == Scenario::ClientCredentialsDpop)
    {
        let Some(bearer) = r.points.iter().find(|p| {
            p.scenario == Scenario::ClientCredentials
                && p.alg == dpop.alg
                && p.stored == dpop.stored
                && p.connections == dpop.connections
                && p.nodes == dpop.nodes
        }) else {
            continue;
        };
        let more = cpu_per_request_us(dpop) - cpu_per_request_us(bearer);
        let verify_us = 1e6 / dpop.ceiling.p256_verify_per_s;
        println!(
            "{} c={}: a DPoP-bound token costs the server {more:.0} µs more than a bearer one = {:.2} P-256 verifications ({verify_us:.1} µs each on an idle core; the proof's whole check, as this bench binary builds it, {:.1} µs there)",
            dpop.alg,
            dpop.connections,
            more / verify_us,
            1e6 / dpop.ceiling.dpop_check_per_s
        );
    }
}

/// Series for the plots: throughput against connections, and against stored tokens.
fn report_series(r: &Report) -> Vec<plot::Chart> {
    let mut charts = Vec::new();
    let mut by =
        |title: &str, x_label: &str, file: &str, key: &dyn Fn(&Point) -> (String, f64, bool)| {
            let mut series: Vec<plot::Series> = Vec::new();
            for p in &r.points {
                let (name, x, include) = key(p);
                if !include {
                    continue;
                }
                let y = median(p.rounds.iter().map(|x| x.rps).collect());
                match series.iter_mut().find(|s| s.name == name) {
                    Some(s) => s.points.push((x, y)),
                    None => series.push(plot::Series {
                        name,
                        points: vec![(x, y)],
                    }),
                }
            }
            series.retain(|s| s.points.len() > 1);
            if !series.is_empty() {
                charts.push(plot::Chart {
                    title: title.into(),
                    x_label: x_label.into(),
                    file: file.into(),
                    series,
                });
            }
        };
    let min_stored = r.points.iter().map(|p| p.stored).min().unwrap_or(0);
    let c32 = r
        .points
        .iter()
        .map(|p| p.connections)
        .min_by_key(|c| c.abs_diff(32))
        .unwrap_or(32);
    by(
        "Throughput against connections",
        "connections",
        "throughput-connections.svg",
        &|p| {
            (
                format!("{} {}", p.alg, p.scenario_label()),
                p.connections as f64,
                p.stored == min_stored,
            )
        },
    );
    by(
        "Throughput against stored tokens",
        "stored tokens",
        "throughput-stored.svg",
        &|p| {
            (
                format!("{} {}", p.alg, p.scenario_label()),
                p.stored.max(1) as f64,
                p.connections == c32,
            )
        },
    );
    charts
}
