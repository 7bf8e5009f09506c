//! PostgreSQL's audit sealer: the audit chain extended off the request path.
//!
//! A unit of work commits its audit events unsealed; sealing in the unit would make every unit
//! that audits (every token issued) take the chain's lock through its commit, one unit at a time
//! across all nodes. Instead one process at a time seals: the holder of the `audit_sealer`
//! lease (`leases`), taken for [`LEASE_MS`] and renewed about every second. It looks for
//! unsealed events every few milliseconds while there are some (backing off to [`IDLE_MAX`]
//! when there are none) and seals them in one transaction under the chain lock
//! (`audit::seal`). Every process runs a sealer, and the others look for the lease every
//! second: if the holder dies, another takes over once its lease lapsed, so no committed event
//! waits longer than the lease plus a second. A store closed in order seals what is left and
//! gives the lease up at once.
//!
//! The lease saves work, it does not keep the chain whole: two sealers that both believe they
//! hold it (clocks that disagree) still seal one after the other under the chain lock, each
//! seeing what the other committed.

use crate::reads::Reads;
use crate::{Conn, Result, audit, leases};
use authdesk_core::clock::Clock;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The lease's name in `leases`.
pub const LEASE: &str = "audit_sealer";
/// How long a taken or renewed lease lasts (wall clock).
pub const LEASE_MS: i64 = 5_000;
/// The holder renews once less than this remains (so about every second).
const RENEW_WITHIN_MS: i64 = 4_000;
/// How often a process without the lease looks whether it lapsed.
const LOOK_FOR_LEASE: Duration = Duration::from_secs(1);
/// How soon the holder looks again after sealing something.
const BUSY: Duration = Duration::from_millis(5);
/// How long the holder waits at most between looks when there was nothing to seal.
const IDLE_MAX: Duration = Duration::from_millis(50);

pub(crate) struct Sealer {
    /// This process's name in the lease (its pid and a random part).
    holder: String,
    stop: Arc<Notify>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Sealer {
    /// Starts the sealer of a store writing through `pool`.
    pub(crate) fn start(pool: Arc<Reads>, wall: Arc<dyn Clock>) -> Sealer {
        let mut random = [0u8; 4];
        // A name only needs to differ from other processes'; the pid alone could repeat across
        // machines.
        let _ = aws_lc_rs::rand::fill(&mut random);
        let holder = format!(
            "pid {} #{:08x}",
            std::process::id(),
            u32::from_be_bytes(random)
        );
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(run(pool, wall, holder.clone(), stop.clone()));
        Sealer {
            holder,
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    /// Stops the sealer after its current pass, seals what is left, and gives the lease up.
    pub(crate) async fn close(&self, pool: &Reads, wall: &dyn Clock) {
        self.stop.notify_one();
        let task = self.task.lock().expect("sealer task").take();
        if let Some(task) = task {
            let _ = task.await;
        }
        if let Err(e) = seal_all(pool, wall).await {
            tracing::warn!(
                "audit events left unsealed at close (another node will seal them): {e}"
            );
        }
        if let Ok(mut conn) = pool.get().await {
            let _ = leases::release(&mut conn, LEASE, &self.holder).await;
        }
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        // Stops between passes; the lease lapses on its own, as if the process had died.
        self.stop.notify_one();
    }
}

async fn run(pool: Arc<Reads>, wall: Arc<dyn Clock>, holder: String, stop: Arc<Notify>) {
    let mut held_until: Option<i64> = None;
    let mut idle = BUSY;
    loop {
        let now = wall.now().timestamp_millis();
        if held_until.is_none_or(|until| until - now < RENEW_WITHIN_MS) {
            held_until = match take_lease(&pool, &holder, now).await {
                Ok(true) => Some(now + LEASE_MS),
                Ok(false) => None,
                Err(e) => {
                    tracing::warn!("the audit sealer's lease: {e}");
                    None
                }
            };
        }
        let wait = if held_until.is_none() {
            LOOK_FOR_LEASE
        } else {
            idle = match pass(&pool, wall.as_ref()).await {
                Ok(0) => (idle * 2).min(IDLE_MAX),
                Ok(_) => BUSY,
                Err(e) => {
                    tracing::warn!("sealing the audit: {e}");
                    IDLE_MAX
                }
            };
            idle
        };
        tokio::select! {
            _ = stop.notified() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn take_lease(pool: &Reads, holder: &str, now: i64) -> Result<bool> {
    let mut conn = pool.get().await?;
    leases::take(&mut conn, LEASE, holder, now, now + LEASE_MS).await
}

/// Seals everything committed before it started (whoever holds the lease): passes until one
/// seals less than a full batch. Events other processes commit meanwhile are their sealer's;
/// waiting for none at all could last as long as their load.
pub(crate) async fn seal_all(pool: &Reads, wall: &dyn Clock) -> Result<()> {
    while pass(pool, wall).await? == audit::SEAL_BATCH as u64 {}
    Ok(())
}

/// One look, and one sealing transaction if something awaits: how many it sealed.
async fn pass(pool: &Reads, wall: &dyn Clock) -> Result<u64> {
    let mut conn = pool.get().await?;
    if !audit::any_unsealed(&mut conn).await? {
        return Ok(0);
    }
    let sealed = sealing(&mut conn, wall).await;
    if sealed.is_err() {
        // Its state is unknown: a connection that failed mid-transaction is not reused.
        conn.discard();
    }
    sealed
}

async fn sealing(conn: &mut Conn, wall: &dyn Clock) -> Result<u64> {
    conn.execute("BEGIN").await?;
    match audit::seal(conn, wall.now().timestamp()).await {
        Ok(n) => {
            conn.execute("COMMIT").await?;
            Ok(n)
        }
        Err(e) => {
            let _ = conn.execute("ROLLBACK").await;
            Err(e)
        }
    }
}
