//! The write path on PostgreSQL: ordinary transactions, one per unit of work, behind the same
//! interface as SQLite's single writer (`Store::write`, `decide`, `append`).
//!
//! **Cancel-safe.** Each unit runs in a task of its own that owns its connection: `BEGIN`, the
//! work, `COMMIT` (or `ROLLBACK`). The request only waits for the answer; if it
//! is dropped, the unit still ends in the task. A connection is returned to the pool only after
//! its transaction ended; one that failed at the connection level, or whose unit panicked, is
//! closed instead.
//!
//! **Races are decided by the database.** A code is used by a conditional update (`WHERE
//! used_at IS NULL`, which waits for a concurrent one and then sees its result); a refresh
//! locks its token and grant rows (`SELECT … FOR UPDATE OF r, g`) before deciding, so two
//! refreshes of one token on any nodes run one after the other and the second sees the first's
//! use (reuse detection). A unit's audit events are committed unsealed; the sealer
//! (`sealer.rs`) chains them off the request path, so units on different rows never wait for
//! each other.
//!
//! **Overload is an answer.** At most `Limits::queue` units are in flight; one more is refused
//! at once. A unit that gets no connection within `Limits::wait`, or waits for a row lock
//! longer than that (`lock_timeout`), is refused as busy: `503` at the HTTP layer.

use crate::facts::{self, Facts, Key, Writes};
use crate::reads::{ReadConn, Reads};
use crate::{Conn, Script, StoreError};
use authdesk_core::clock::Clock;
use futures_util::future::{BoxFuture, FutureExt};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{Semaphore, oneshot};

use super::Limits;

pub(crate) struct PgWriter {
    pool: Arc<Reads>,
    in_flight: Arc<Semaphore>,
    limits: Limits,
    wall: Arc<dyn Clock>,
    sealer: super::sealer::Sealer,
}

/// How a unit ended, for its connection's sake.
enum Ending {
    /// The transaction ended (committed or rolled back): the connection can be reused.
    Clean,
    /// The connection failed, or the unit panicked: close it.
    Broken,
}

fn broken(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::PoolClosed
    )
}

impl PgWriter {
    pub(crate) fn new(pool: Arc<Reads>, limits: Limits, wall: Arc<dyn Clock>) -> Self {
        PgWriter {
            sealer: super::sealer::Sealer::start(pool.clone(), wall.clone()),
            pool,
            in_flight: Arc::new(Semaphore::new(limits.queue.max(1))),
            limits,
            wall,
        }
    }

    /// Runs `work` in a transaction of its own, in a task of its own (see the module).
    pub(crate) async fn submit<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let permit = self.in_flight.clone().try_acquire_owned().map_err(|_| {
            E::from(StoreError::Busy(format!(
                "{} writes are already in progress",
                self.limits.queue
            )))
        })?;
        let (reply, answer) = oneshot::channel();
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let result = match pool.get().await {
                Err(e) => Err(E::from(e)),
                Ok(mut conn) => {
                    let (result, ending) = transaction(&mut conn, work).await;
                    if let Ending::Broken = ending {
                        conn.discard();
                    }
                    result
                }
            };
            let _ = reply.send(result);
        });
        answer.await.unwrap_or_else(|_| {
            Err(E::from(StoreError::Unavailable(
                "the database write stopped".into(),
            )))
        })
    }

    pub(crate) async fn decide<T, E, F>(&self, keys: Vec<Key>, decide: F) -> Result<T, E>
    where
        F: FnOnce(&Facts) -> Result<(Writes, T), E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.submit(move |conn| {
            Box::pin(async move {
                let facts = facts::read(conn, &keys).await.map_err(E::from)?;
                let (answer, writes) = super::job::decided(decide, &facts);
                let answer = answer?;
                let writes = writes.expect("a decision that succeeded has writes");
                super::job::run_exactly(conn, writes.into_script())
                    .await
                    .map_err(E::from)?;
                Ok(answer)
            })
        })
        .await
    }

    pub(crate) async fn append(&self, script: Script) -> Result<(), StoreError> {
        self.submit(move |conn| Box::pin(super::job::run_exactly(conn, script)))
            .await
    }

    /// Units in flight now, and how many may be.
    pub(crate) fn queue_depth(&self) -> (usize, usize) {
        let capacity = self.limits.queue.max(1);
        (capacity - self.in_flight.available_permits(), capacity)
    }

    /// Seals every committed audit event now (whoever holds the sealer's lease).
    pub(crate) async fn seal_all(&self) -> Result<(), StoreError> {
        super::sealer::seal_all(&self.pool, self.wall.as_ref()).await
    }

    /// Waits for the units in flight, then refuses new ones, seals what they wrote, gives the
    /// sealer's lease up and closes the connections.
    pub(crate) async fn close(&self) {
        let all = u32::try_from(self.limits.queue.max(1)).unwrap_or(u32::MAX);
        if let Ok(permits) = self.in_flight.acquire_many(all).await {
            permits.forget();
        }
        self.in_flight.close();
        self.sealer.close(&self.pool, self.wall.as_ref()).await;
        self.pool.close().await;
    }
}

/// `BEGIN`, the work, `COMMIT`; `ROLLBACK` on any failure.
async fn transaction<T, E, F>(conn: &mut ReadConn<'_>, work: F) -> (Result<T, E>, Ending)
where
    F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, E>>,
    E: From<StoreError>,
{
    let fail = |e: sqlx::Error| {
        let ending = if broken(&e) {
            Ending::Broken
        } else {
            Ending::Clean
        };
        (Err(E::from(StoreError::from(e))), ending)
    };
    if let Err(e) = conn.execute("BEGIN").await {
        return fail(e);
    }
    let ran = AssertUnwindSafe(work(conn)).catch_unwind().await;
    let value = match ran {
        Err(_) => {
            let _ = conn.execute("ROLLBACK").await;
            return (
                Err(E::from(StoreError::Internal(
                    "a unit of work panicked".into(),
                ))),
                Ending::Broken,
            );
        }
        Ok(Err(e)) => {
            return match conn.execute("ROLLBACK").await {
                Ok(_) => (Err(e), Ending::Clean),
                Err(_) => (Err(e), Ending::Broken),
            };
        }
        Ok(Ok(v)) => v,
    };
    match conn.execute("COMMIT").await {
        Ok(_) => (Ok(value), Ending::Clean),
        Err(e) => {
            let _ = conn.execute("ROLLBACK").await;
            fail(e)
        }
    }
}
