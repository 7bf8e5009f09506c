//! The console's use cases at a bank's size: how long each screen's first page, search and
//! filter takes with 100,000 people, about a million tokens and a million audit events.
//!
//! ```text
//! cargo run --release -p authdesk-bench --bin console -- --data-dir /tmp/scale     # SQLite
//! cargo run --release -p authdesk-bench --bin console -- --database postgres://…  # PostgreSQL
//! ```
//!
//! The registry is seeded once (`authdesk seed`'s people, apps and grants through the use
//! case, then access tokens and audit events written in bulk) and reused by later runs on the
//! same directory or database. Each use case is called as the console calls it (the `api`
//! layer, in process), `--runs` times; the median and the slowest are printed beside the
//! 200 ms a screen may take. Nothing is asserted: these are figures to watch
//! (docs/performance.md).

use anyhow::Context;
use authdesk_server::api::audit::{AuditAction, AuditQuery};
use authdesk_server::api::console::{EndingWhat, GrantEnding, GrantQuery};
use authdesk_server::api::{Actor, Authdesk, Database, OpenOptions, Page};
use authdesk_store::Conn;
use clap::Parser;
use std::future::Future;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(name = "console", about = "The console's use cases at a bank's size")]
struct Args {
    /// A data directory (SQLite), created and seeded if new.
    #[arg(long, conflicts_with = "database")]
    data_dir: Option<std::path::PathBuf>,
    /// A PostgreSQL database (created beforehand, e.g. with scripts/pg), seeded if empty.
    #[arg(long)]
    database: Option<String>,
    /// People to seed (at most 100,000: `authdesk seed`'s bound).
    #[arg(long, default_value_t = 100_000)]
    people: u32,
    /// Access tokens written per refresh token (4: about a million tokens for 100,000 people).
    #[arg(long, default_value_t = 4)]
    access_per_refresh: u32,
    /// Audit events to have (written in bulk, sealed by the next write).
    #[arg(long, default_value_t = 1_000_000)]
    audit: u64,
    /// Calls per use case.
    #[arg(long, default_value_t = 7)]
    runs: usize,
}

/// What a screen may take.
const BUDGET: Duration = Duration::from_millis(200);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = match (&args.data_dir, &args.database) {
        (Some(dir), None) => Database::Dir(dir.clone()),
        (None, Some(url)) => Database::Postgres(url.clone()),
        _ => anyhow::bail!("give --data-dir DIR or --database URL"),
    };
    let app = Authdesk::open_database(&db, OpenOptions::default()).await?;
    seed(&app, &args).await?;
    let counts = sizes(&app).await?;
    println!("registry: {counts}");
    measure(&app, args.runs).await
}

/// Rows in the tables the console reads.
async fn sizes(app: &Authdesk) -> anyhow::Result<String> {
    let mut conn = app.store().read().await?;
    let mut out = Vec::new();
    for table in [
        "users",
        "grants",
        "refresh_tokens",
        "access_tokens",
        "audit",
    ] {
        out.push(format!("{} {}", count(&mut conn, table).await?, table));
    }
    Ok(out.join(", "))
}

async fn count(conn: &mut Conn, table: &str) -> anyhow::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let n: (i64,) = match conn {
        Conn::Sqlite(c) => sqlx::query_as(&sql).fetch_one(&mut *c).await?,
        Conn::Postgres(c) => sqlx::query_as(&sql).fetch_one(&mut *c).await?,
    };
    Ok(n.0)
}

async fn seed(app: &Authdesk, args: &Args) -> anyhow::Result<()> {
    let actor = Actor::named("bench");
    let people = {
        let mut conn = app.store().read().await?;
        count(&mut conn, "users").await?
    };
    if people < i64::from(args.people) {
        let started = Instant::now();
        let report = app.sandbox_seed(args.people, &actor).await?;
        println!(
            "seeded {} people, {} grants, {} refresh tokens in {:.0?}",
            report.people,
            report.grants,
            report.refresh_tokens,
            started.elapsed()
        );
    }
    let (access, audit) = {
        let mut conn = app.store().read().await?;
        (
            count(&mut conn, "access_tokens").await?,
            count(&mut conn, "audit").await?,
        )
    };
    if access == 0 && args.access_per_refresh > 0 {
        let started = Instant::now();
        let per = args.access_per_refresh;
        // Each refresh token's access tokens, an hour apart (both dialects: `||` and a
        // UNION ALL of numbers).
        let numbers = (0..per)
            .map(|j| format!("SELECT {j} AS j"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let sql = format!(
            "INSERT INTO access_tokens (jti, client_id, sub, grant_id, refresh_token_id, scope, issued_at, expires_at)
             SELECT r.id || '-at' || k.j, g.client_id, g.sub, g.id, r.id, g.scope, r.issued_at + k.j * 3600, r.issued_at + k.j * 3600 + 600
             FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id CROSS JOIN ({numbers}) k"
        );
        bulk(app, sql).await?;
        println!("wrote access tokens in {:.0?}", started.elapsed());
    }
    if audit < args.audit as i64 {
        let started = Instant::now();
        let missing = args.audit as i64 - audit;
        // What a year of traffic leaves: refreshes, with the person and the app named.
        let sql = format!(
            "INSERT INTO audit (at, actor, action, target, detail, recorded_at)
             SELECT a.issued_at, 'app:' || a.client_id, '{}', a.grant_id,
                    '{{\"sub\":\"' || a.sub || '\",\"client_id\":\"' || a.client_id || '\"}}', a.issued_at
             FROM access_tokens a CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) AS twice
             ORDER BY a.issued_at LIMIT {missing}",
            AuditAction::TokenRefresh.as_str()
        );
        let written = bulk(app, sql).await?;
        // The next write seals them (the hash chain), as after any import.
        app.clock_reset(&actor).await?;
        // Statistics as the database keeps them in service: PostgreSQL's autovacuum analyses
        // a table within a minute of a bulk load, and until then plans a time range on a
        // million events with none (the audit's last 7 days took 756 ms, then 0.3 ms).
        bulk(app, "ANALYZE".into()).await?;
        println!(
            "wrote and sealed {written} audit events in {:.0?}",
            started.elapsed()
        );
    }
    Ok(())
}

/// One statement in one unit of work; the rows it wrote.
async fn bulk(app: &Authdesk, sql: String) -> anyhow::Result<u64> {
    app.store()
        .write(move |tx: &mut Conn| {
            Box::pin(async move {
                tx.execute(&sql)
                    .await
                    .map_err(authdesk_store::StoreError::from)
            })
        })
        .await
        .context("bulk write")
}

/// Times `f` `runs` times: (median, slowest).
async fn time<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<(Duration, Duration)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = authdesk_server::api::Result<T>>,
{
    let mut took = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await?;
        took.push(started.elapsed());
    }
    took.sort();
    Ok((took[took.len() / 2], took[took.len() - 1]))
}

async fn measure(app: &Authdesk, runs: usize) -> anyhow::Result<()> {
    let person = app
        .search("customer04242", 1)
        .await?
        .into_iter()
        .find_map(|h| match h {
            authdesk_server::api::search::SearchHit::User { sub, .. } => Some(sub),
            _ => None,
        })
        .context("customer04242 is seeded")?;
    let apps = app.client_list("", Page::default()).await?;
    let busiest = apps.first().context("the seeded apps")?.client_id.clone();
    let now = app.now().timestamp();
    let page = |q: GrantQuery| GrantQuery {
        limit: 50,
        offset: 0,
        ..q
    };
    let grants_of_person = page(GrantQuery {
        sub: Some(person.clone()),
        ..Default::default()
    });
    let one_grant = app
        .grant_list_filtered(&grants_of_person)
        .await?
        .first()
        .context("the person's grants")?
        .grant_id
        .clone();
    let audit = |q: AuditQuery| async move { app.audit_list(&q, Default::default(), 50).await };
    let grants = |q: GrantQuery| async move { app.grant_list_filtered(&q).await };

    println!(
        "\n{:<58} {:>10} {:>10}  within {} ms",
        "use case (first page of 50 unless said)",
        "median ms",
        "slowest",
        BUDGET.as_millis()
    );
    let mut over = 0;
    macro_rules! case {
        ($name:expr, $call:expr) => {{
            let (median, slowest) = time(runs, || $call).await?;
            let ok = median <= BUDGET;
            if !ok {
                over += 1;
            }
            println!(
                "{:<58} {:>10.1} {:>10.1}  {}",
                $name,
                median.as_secs_f64() * 1e3,
                slowest.as_secs_f64() * 1e3,
                if ok { "yes" } else { "NO" }
            );
        }};
    }
    case!("overview", app.overview());
    case!("chains: every grant", grants(page(GrantQuery::default())));
    case!(
        "chains: every grant, page 1000",
        grants(GrantQuery {
            offset: 50_000,
            ..page(GrantQuery::default())
        })
    );
    case!(
        "chains: a person's grants",
        grants(grants_of_person.clone())
    );
    case!(
        "chains: an app's grants",
        grants(page(GrantQuery {
            client_id: Some(busiest.clone()),
            ..Default::default()
        }))
    );
    case!(
        "chains: an app's active grants, ending first",
        grants(page(GrantQuery {
            client_id: Some(busiest.clone()),
            status: Some(authdesk_core::status::GrantStatus::Active),
            ending_first: Some(true),
            ..Default::default()
        }))
    );
    case!(
        "chains: refresh tokens ending within 7 days",
        grants(page(GrantQuery {
            ending: Some(GrantEnding {
                what: EndingWhat::RefreshToken,
                from: now,
                to: now + 7 * 86_400,
            }),
            ending_first: Some(true),
            ..Default::default()
        }))
    );
    case!(
        "chains: chains ending within 7 days",
        grants(page(GrantQuery {
            ending: Some(GrantEnding {
                what: EndingWhat::Chain,
                from: now,
                to: now + 7 * 86_400,
            }),
            ending_first: Some(true),
            ..Default::default()
        }))
    );
    case!("a grant's tree", app.grant_show(&one_grant));
    case!(
        "timeline: expiring per day, a year",
        app.expiry_histogram(366)
    );
    case!(
        "search: a user name's start",
        app.search("customer0424", 10)
    );
    case!(
        "search: an e-mail's start",
        app.search("customer04242@", 10)
    );
    case!("search: an app's name", app.search("budget", 10));
    case!(
        "sandbox: people, first page",
        app.user_list(None, Page::default())
    );
    case!(
        "sandbox: people, page 1000",
        app.user_list(
            None,
            Page {
                limit: 50,
                offset: 50_000
            }
        )
    );
    case!(
        "sandbox: people whose name starts so",
        app.user_list(Some("customer099"), Page::default())
    );
    case!(
        "applications, with live grants and newest grant",
        app.client_list_with_use("", Page::default())
    );
    case!("audit: newest events", audit(AuditQuery::default()));
    case!(
        "audit: one action (revocations)",
        audit(AuditQuery {
            action: Some(AuditAction::GrantRevoke),
            ..Default::default()
        })
    );
    case!(
        "audit: one target (a grant)",
        audit(AuditQuery {
            target: Some(one_grant.clone()),
            ..Default::default()
        })
    );
    case!(
        "audit: an actor's part",
        audit(AuditQuery {
            actor: Some("bench".into()),
            ..Default::default()
        })
    );
    case!(
        "audit: an actor's part naming a busy app",
        audit(AuditQuery {
            actor: Some(busiest[..8].to_string()),
            ..Default::default()
        })
    );
    let by_text = AuditQuery {
        text: Some(person.clone()),
        ..Default::default()
    };
    case!(
        "audit: free text (a person's sub), newest window",
        audit(by_text.clone())
    );
    let older = app.audit_list(&by_text, Default::default(), 50).await?.next;
    case!("audit: free text, the window before", async {
        app.audit_list(&by_text, older.unwrap_or_default(), 50)
            .await
    });
    case!(
        "audit: the last 7 days",
        audit(AuditQuery {
            from: Some(now - 7 * 86_400),
            ..Default::default()
        })
    );
    println!("\n{over} use case(s) over {} ms", BUDGET.as_millis());
    Ok(())
}
