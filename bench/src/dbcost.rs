//! What PostgreSQL itself spends per request: the CPU time of its processes on this machine
//! (backends, WAL writer, checkpointer, autovacuum: everything named `postgres`) and the WAL it
//! writes (`pg_stat_wal`), sampled right before and after each measured round. The benchmark's
//! cluster runs beside it (`scripts/pg`), so its processes are readable in `/proc`.

use serde::{Deserialize, Serialize};
use sqlx::Connection;

/// The database's totals at one moment.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct DbSample {
    pub cpu_seconds: f64,
    pub wal_bytes: f64,
}

impl std::ops::Sub for DbSample {
    type Output = DbSample;
    fn sub(self, o: DbSample) -> DbSample {
        DbSample {
            cpu_seconds: self.cpu_seconds - o.cpu_seconds,
            wal_bytes: self.wal_bytes - o.wal_bytes,
        }
    }
}

impl std::ops::AddAssign for DbSample {
    fn add_assign(&mut self, o: DbSample) {
        self.cpu_seconds += o.cpu_seconds;
        self.wal_bytes += o.wal_bytes;
    }
}

/// Reads the samples over one connection of its own to the cluster.
pub struct DbMeter {
    conn: sqlx::PgConnection,
}

impl DbMeter {
    pub async fn connect(cluster: &str) -> anyhow::Result<DbMeter> {
        Ok(DbMeter {
            conn: sqlx::PgConnection::connect(cluster).await?,
        })
    }

    pub async fn sample(&mut self) -> anyhow::Result<DbSample> {
        let wal_bytes: f64 = sqlx::query_scalar("SELECT wal_bytes::float8 FROM pg_stat_wal")
            .fetch_one(&mut self.conn)
            .await?;
        Ok(DbSample {
            cpu_seconds: postgres_cpu_seconds(),
            wal_bytes,
        })
    }
}

/// User and system CPU seconds of every process named `postgres` (a backend that exited since
/// the last sample takes its time with it: the nodes keep their connections, so few do).
fn postgres_cpu_seconds() -> f64 {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    procs
        .flatten()
        .filter(|p| {
            p.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|p| std::fs::read_to_string(p.path().join("stat")).ok())
        .filter(|stat| stat.contains("(postgres)"))
        .map(|stat| {
            let after = stat.rsplit(')').next().unwrap_or("");
            let f: Vec<&str> = after.split_whitespace().collect();
            let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            (ticks(11) + ticks(12)) / 100.0
        })
        .sum()
}
