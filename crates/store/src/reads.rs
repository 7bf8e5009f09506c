//! The read connections: a few `query_only` connections handed out one per read and taken back
//! as they are. (sqlx's own pool pings every connection it takes back — one more round trip to
//! SQLite's thread per read, a third of an introspection's cost; a read-only connection has no
//! transaction to flush.) A read dropped mid-query returns its connection at once: sqlx runs a
//! connection's commands in order, so the next read simply follows the abandoned one.

use crate::{Conn, Connector, Result, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Counts the connection-level failures seen in this process (a socket reset, the server
/// shutting down: `StoreError` bumps it, see [`lost_connection`]). A connection out of the pool
/// when it moved, or idle since before it moved, may be one the database dropped (PostgreSQL
/// restarted): it is closed rather than reused, so a restart costs the requests that were in
/// flight, not every request after it.
static LOST: AtomicU64 = AtomicU64::new(0);

/// Says a connection failed at the connection level (see [`LOST`]).
pub(crate) fn lost_connection() {
    LOST.fetch_add(1, Ordering::Relaxed);
}

fn lost() -> u64 {
    LOST.load(Ordering::Relaxed)
}

pub(crate) struct Reads {
    /// Idle connections, each with the count of lost connections when it was taken out last.
    idle: Mutex<Vec<(Conn, u64)>>,
    slots: Arc<Semaphore>,
    connector: Connector,
    wait: Duration,
}

/// A read connection, back to the pool when dropped.
pub struct ReadConn<'a> {
    conn: Option<Conn>,
    /// [`LOST`] when this connection was handed out.
    lost_then: u64,
    reads: &'a Reads,
    _slot: OwnedSemaphorePermit,
}

impl std::ops::Deref for ReadConn<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for ReadConn<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl ReadConn<'_> {
    /// Closes this connection instead of returning it to the pool (it failed, or its state is
    /// unknown).
    pub(crate) fn discard(&mut self) {
        self.conn = None;
    }
}

impl Drop for ReadConn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            // A connection was lost while this one was out: it may be this one.
            if lost() == self.lost_then {
                self.reads
                    .idle
                    .lock()
                    .expect("read pool")
                    .push((c, self.lost_then));
            }
        }
    }
}

impl Reads {
    pub(crate) fn new(connector: Connector, size: usize, wait: Duration) -> Reads {
        Reads {
            idle: Mutex::new(Vec::with_capacity(size)),
            slots: Arc::new(Semaphore::new(size)),
            connector,
            wait,
        }
    }

    /// A connection within the wait limit (`Busy` after it), opened on first need.
    pub(crate) async fn get(&self) -> Result<ReadConn<'_>> {
        let slot = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::Busy("no database connection became free in time".into()))?
            .map_err(|_| StoreError::Unavailable("the database is closed".into()))?;
        let now = lost();
        let idle = {
            let mut idle = self.idle.lock().expect("read pool");
            // Idle since before a connection was lost: perhaps dropped by the database too.
            idle.retain(|(_, then)| *then == now);
            idle.pop()
        };
        let conn = match idle {
            Some((c, _)) => c,
            None => self.connector.connect().await?,
        };
        Ok(ReadConn {
            conn: Some(conn),
            lost_then: now,
            reads: self,
            _slot: slot,
        })
    }

    /// Closes the idle connections and refuses new reads.
    pub(crate) async fn close(&self) {
        self.slots.close();
        let idle: Vec<(Conn, u64)> = std::mem::take(&mut *self.idle.lock().expect("read pool"));
        for (c, _) in idle {
            let _ = c.close().await;
        }
    }
}
