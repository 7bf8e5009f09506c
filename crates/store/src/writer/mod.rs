//! The one writer. A task owns the database's write connection and is fed units of work
//! through a bounded queue; a request only waits for the answer. Whatever the request does
//! afterwards — hang up, time out, be dropped at any await — a unit of work that has started
//! runs to its end inside the writer and is committed or rolled back there; one that has not
//! started by the time its requester is gone never runs.
//!
//! **Group commit.** The writer takes every unit waiting in the queue (up to [`MAX_BATCH`]) and
//! runs them in one `BEGIN IMMEDIATE … COMMIT`, so concurrent requests share one transaction and
//! one fsync (`synchronous=FULL` is unchanged: a commit is on disk when it returns). Every answer
//! is sent only after the commit returned.
//!
//! **A unit that fails fails alone.** Units run optimistically, without a savepoint each (a
//! savepoint is one more round trip to SQLite's thread per unit, a third of the cost of a
//! client-credentials token). When one fails, the writer rolls the batch back to its start,
//! runs the units that had succeeded again — the same work on the same state, as the write
//! lock was never released — and finishes the batch with a savepoint around every unit. That
//! is why a unit of work is `Clone`: the writer keeps a copy to run it again. Units that only
//! append rows (`Store::append`) go further: consecutive ones are sent to SQLite as one script.
//! Units that decide on facts read in batches (`Store::decide`, [`crate::facts`]: a refresh
//! names its token) too: the writer reads the facts of consecutive ones in one query, lets each
//! decide, and sends their writes as one script — two round trips for a group instead of two
//! per unit. Each unit's writes say which facts they change; a unit whose facts (or a fact
//! already in the group) an earlier unit of the group changed starts the next group, read after
//! the first group's writes.
//!
//! **Batches fill by themselves.** Before taking a batch the writer lets the other ready tasks
//! run once (requests being parsed and signed), so what they submit joins it. Without that,
//! woken first by every submission, it committed batches of one under CPU-bound load.
//!
//! **Overload is an answer.** The queue is bounded ([`Limits`]): a full queue refuses at
//! once. A unit that could not start within its wait limit (the queue is long, or another process
//! holds SQLite's write lock) is refused without running. Both surface as [`StoreError::Busy`].
//! A storage fault (disk full, I/O error, read-only file) fails the whole batch with
//! [`StoreError::Unavailable`], rolls it back, and makes the writer reopen its connection for
//! the next batch, so service resumes by itself once the cause is gone.

mod job;
pub(crate) mod postgres;
pub mod sealer;

use crate::facts::{self, Facts, Key, Writes};
use crate::turnstile::Turnstile;
use crate::{Conn, Script, StoreError};
use authdesk_core::clock::Clock;
use futures_util::future::BoxFuture;
use job::{Appended, Decided, GROUP, Job, Typed};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How much may wait, and for how long, before the store says it is busy.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Units of work that may wait for the writer; one more is refused at once.
    pub queue: usize,
    /// How long a unit may wait to start (and a read for a connection) before it is refused
    /// (503 at the HTTP layer).
    pub wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            queue: 1024,
            wait: Duration::from_secs(2),
        }
    }
}

/// Units of work committed together at most.
pub const MAX_BATCH: usize = 256;

/// The requester's side: a bounded queue into the writer task.
#[derive(Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
    limits: Limits,
    page_limit: Arc<AtomicU32>,
    closed: Arc<tokio::sync::Notify>,
    stop: Arc<tokio::sync::Notify>,
}

/// `max_page_count` when no limit is set (SQLite's default).
const NO_PAGE_LIMIT: u32 = 1_073_741_823;

impl Writer {
    /// Starts the writer task on the current runtime with an open write connection.
    pub(crate) fn spawn(
        conn: Conn,
        options: SqliteConnectOptions,
        turnstile: Turnstile,
        limits: Limits,
        wall: Arc<dyn Clock>,
    ) -> Writer {
        let (queue, rx) = mpsc::channel(limits.queue.max(1));
        let page_limit = Arc::new(AtomicU32::new(NO_PAGE_LIMIT));
        let closed = Arc::new(tokio::sync::Notify::new());
        let stop = Arc::new(tokio::sync::Notify::new());
        let task = Task {
            link: Link {
                conn: Some(conn),
                options,
                page_limit: page_limit.clone(),
                applied_page_limit: NO_PAGE_LIMIT,
            },
            turnstile,
            wait: limits.wait,
            wall,
        };
        let done = closed.clone();
        let stop_rx = stop.clone();
        tokio::spawn(async move {
            task.run(rx, stop_rx).await;
            done.notify_waiters();
        });
        Writer {
            queue,
            limits,
            page_limit,
            closed,
            stop,
        }
    }

    pub(crate) async fn submit<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, E>> + Clone + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.ask(|reply, deadline| Box::new(Typed::new(work, reply, deadline)))
            .await
    }

    pub(crate) async fn decide<T, E, F>(&self, keys: Vec<Key>, decide: F) -> Result<T, E>
    where
        F: FnOnce(&Facts) -> Result<(Writes, T), E> + Clone + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.ask(|reply, deadline| Box::new(Decided::new(keys, decide, reply, deadline)))
            .await
    }

    pub(crate) async fn append(&self, script: Script) -> Result<(), StoreError> {
        self.ask(|reply, deadline| Box::new(Appended::new(script, reply, deadline)))
            .await
    }

    /// Queues the unit `make` builds around its reply channel and deadline, and waits for the
    /// answer.
    async fn ask<T, E: From<StoreError>>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, E>>, Instant) -> Box<dyn Job>,
    ) -> Result<T, E> {
        let (reply, answer) = oneshot::channel();
        self.enqueue(make(reply, Instant::now() + self.limits.wait))
            .map_err(E::from)?;
        answer
            .await
            .unwrap_or_else(|_| Err(E::from(Self::stopped())))
    }

    fn enqueue(&self, job: Box<dyn Job>) -> Result<(), StoreError> {
        match self.queue.try_send(job) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => Err(StoreError::Busy(format!(
                "{} writes are already waiting",
                self.limits.queue
            ))),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                Err(StoreError::Unavailable("the database is closed".into()))
            }
        }
    }

    fn stopped() -> StoreError {
        StoreError::Unavailable("the database writer stopped".into())
    }

    /// Units waiting in the queue now, and how many it holds.
    pub(crate) fn queue_depth(&self) -> (usize, usize) {
        let capacity = self.queue.max_capacity();
        (capacity - self.queue.capacity(), capacity)
    }

    pub(crate) fn set_page_limit(&self, pages: Option<u32>) {
        self.page_limit
            .store(pages.unwrap_or(NO_PAGE_LIMIT), Ordering::SeqCst);
    }

    /// Finishes what is queued, closes the write connection, and returns when it is closed.
    pub(crate) async fn close(&self) {
        let closed = self.closed.notified();
        self.stop.notify_one();
        if !self.queue.is_closed() {
            closed.await;
        }
    }
}

/// The writer task's side.
struct Task {
    link: Link,
    turnstile: Turnstile,
    wait: Duration,
    /// The wall clock that stamps audit events when they are sealed.
    wall: Arc<dyn Clock>,
}

/// The write connection, reopened after a storage fault.
struct Link {
    conn: Option<Conn>,
    options: SqliteConnectOptions,
    page_limit: Arc<AtomicU32>,
    applied_page_limit: u32,
}

/// A failed batch: every unit in it gets this answer.
#[derive(Clone)]
enum Fault {
    Busy(String),
    Unavailable(String),
}

impl Fault {
    fn error(&self) -> StoreError {
        match self {
            Fault::Busy(m) => StoreError::Busy(m.clone()),
            Fault::Unavailable(m) => StoreError::Unavailable(m.clone()),
        }
    }
    fn of(e: &sqlx::Error, doing: &str) -> Fault {
        Fault::of_store(StoreError::from_sqlx_ref(e), doing)
    }
    fn of_store(e: StoreError, doing: &str) -> Fault {
        match e {
            StoreError::Busy(m) => Fault::Busy(m),
            other => Fault::Unavailable(format!("{doing}: {other}")),
        }
    }
}

// The writer's own statements return boxed futures with named lifetimes: `async fn`s here
// trip the compiler's `Send` check of the writer task (higher-ranked lifetimes).
/// Seals every event the batch wrote (the chain has one writer here: it never waits).
fn seal<'c>(conn: &'c mut Conn, recorded_at: i64) -> BoxFuture<'c, Result<(), StoreError>> {
    Box::pin(async move {
        while crate::audit::seal(conn, recorded_at).await? == crate::audit::SEAL_BATCH as u64 {}
        Ok(())
    })
}

fn exec<'c>(conn: &'c mut Conn, sql: &'static str) -> BoxFuture<'c, Result<(), sqlx::Error>> {
    Box::pin(async move { conn.execute(sql).await.map(|_| ()) })
}

impl Link {
    /// Ends whatever transaction is open (after a failure; errors are beside the point).
    async fn rollback(&mut self) -> Result<(), sqlx::Error> {
        match self.conn.as_mut() {
            Some(conn) => exec(conn, "ROLLBACK").await,
            None => Ok(()),
        }
    }

    async fn connection(&mut self) -> Result<&mut Conn, Fault> {
        if self.conn.is_none() {
            let conn = self
                .options
                .connect()
                .await
                .map_err(|e| Fault::of(&e, "cannot open the database for writing"))?;
            self.conn = Some(Conn::Sqlite(conn));
            self.applied_page_limit = NO_PAGE_LIMIT;
        }
        let wanted = self.page_limit.load(Ordering::SeqCst);
        let conn = self.conn.as_mut().expect("connected above");
        if wanted != self.applied_page_limit {
            conn.execute(&format!("PRAGMA max_page_count = {wanted}"))
                .await
                .map_err(|e| Fault::of(&e, "cannot set the page limit"))?;
            self.applied_page_limit = wanted;
        }
        Ok(conn)
    }
}

impl Task {
    async fn run(mut self, mut rx: mpsc::Receiver<Box<dyn Job>>, stop: Arc<tokio::sync::Notify>) {
        let mut waiting: VecDeque<Box<dyn Job>> = VecDeque::new();
        let mut stopping = false;
        loop {
            if waiting.is_empty() {
                if stopping {
                    rx.close();
                }
                let next = tokio::select! {
                    j = rx.recv() => j,
                    _ = stop.notified(), if !stopping => { stopping = true; continue; }
                };
                match next {
                    Some(j) => waiting.push_back(j),
                    None => break,
                }
                // Let the tasks that are ready run first (requests being parsed and signed):
                // what they submit joins this batch. Woken by a send, this task would otherwise
                // run at once and commit batches of one, each with its own fsync. At low load
                // nothing else is ready and this costs nothing.
                tokio::task::yield_now().await;
            }
            while waiting.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => waiting.push_back(j),
                    Err(_) => break,
                }
            }
            let now = Instant::now();
            let mut batch = Vec::with_capacity(waiting.len());
            for j in waiting.drain(..) {
                if j.abandoned() {
                    continue;
                }
                if j.deadline() <= now {
                    j.refuse(StoreError::Busy(format!(
                        "the write could not start within {} ms",
                        self.wait.as_millis()
                    )));
                    continue;
                }
                batch.push(j);
            }
            if !batch.is_empty() {
                self.batch(batch).await;
            }
        }
        if let Some(conn) = self.link.conn.take() {
            let _ = conn.close().await;
        }
    }

    /// Refuses the units whose deadline passed; returns the rest.
    fn expire(batch: Vec<Box<dyn Job>>, why: &Fault) -> Vec<Box<dyn Job>> {
        let now = Instant::now();
        let mut keep = Vec::with_capacity(batch.len());
        for j in batch {
            if j.deadline() <= now || j.abandoned() {
                j.refuse(why.error());
            } else {
                keep.push(j);
            }
        }
        keep
    }

    /// Runs one batch. (Boxed: the borrows its future holds across awaits are beyond the
    /// `Send` check of a plain `async fn`.)
    fn batch(&mut self, mut batch: Vec<Box<dyn Job>>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let earliest = batch.iter().map(|j| j.deadline()).min().expect("non-empty");
            let Ok(_turn) = self.turnstile.enter(earliest).await else {
                let f = Fault::Busy("another process kept the database's write lock".into());
                for j in batch {
                    j.refuse(f.error());
                }
                return;
            };
            // BEGIN IMMEDIATE takes SQLite's write lock; another process may hold it for a while.
            // The savepoint marks the batch's start, to undo every unit at once if one fails.
            loop {
                let begun = match self.link.connection().await {
                    Ok(conn) => exec(conn, "BEGIN IMMEDIATE; SAVEPOINT batch")
                        .await
                        .map_err(|e| Fault::of(&e, "cannot start a write transaction")),
                    Err(f) => Err(f),
                };
                match begun {
                    Ok(()) => break,
                    Err(f @ Fault::Busy(_)) => {
                        let _ = self.link.rollback().await;
                        batch = Self::expire(batch, &f);
                        if batch.is_empty() {
                            return;
                        }
                    }
                    Err(f) => {
                        tracing::error!(error = %f.error(), "storage fault: writes are refused until it clears");
                        self.link.conn = None;
                        for j in batch {
                            j.refuse(f.error());
                        }
                        return;
                    }
                }
            }
            let conn = self.link.conn.as_mut().expect("begun above");
            let mut done: Vec<Box<dyn Job>> = Vec::with_capacity(batch.len());
            let mut failed: Vec<Box<dyn Job>> = Vec::new();
            let mut isolated = false;
            let mut fault: Option<Fault> = None;
            let mut queue: VecDeque<Box<dyn Job>> = batch.into();
            while let Some(mut job) = queue.pop_front() {
                if !isolated && job.script().is_some() {
                    // Consecutive appending units: one round trip for the group.
                    let mut group = vec![job];
                    while group.len() < GROUP && queue.front().is_some_and(|j| j.script().is_some())
                    {
                        group.push(queue.pop_front().expect("front exists"));
                    }
                    let size = 1 << group.len().ilog2();
                    for j in group.drain(size..).rev() {
                        queue.push_front(j);
                    }
                    let mut combined = Script::new();
                    for j in &group {
                        combined.extend(j.script().expect("appending"));
                    }
                    let expected = combined.len();
                    match combined.run(conn).await {
                        Ok(n) if n == expected => {
                            for mut j in group {
                                j.ran_in_group();
                                done.push(j);
                            }
                            continue;
                        }
                        _ => {
                            // One of them failed: every unit runs again on its own.
                            isolated = true;
                            if let Err(f) = start_over(conn, group, &mut done, &mut queue).await {
                                fault = Some(f);
                                break;
                            }
                            continue;
                        }
                    }
                }
                if !isolated && job.batched_keys().is_some() {
                    match decide_together(conn, job, &mut queue).await {
                        Together::Ran(decided) => {
                            for (j, ok) in decided {
                                if ok {
                                    done.push(j);
                                } else {
                                    failed.push(j);
                                }
                            }
                        }
                        Together::Missed(group) => {
                            // Cannot happen with facts read under the write lock, but if it
                            // does: every unit runs again on its own.
                            isolated = true;
                            if let Err(f) = start_over(conn, group, &mut done, &mut queue).await {
                                fault = Some(f);
                                break;
                            }
                        }
                        Together::Fault(f, group) => {
                            fault = Some(f);
                            for j in group.into_iter().rev() {
                                queue.push_front(j);
                            }
                            break;
                        }
                    }
                    continue;
                }
                if isolated && let Err(e) = exec(conn, "SAVEPOINT unit").await {
                    fault = Some(Fault::of(&e, "cannot start a savepoint"));
                    queue.push_front(job);
                    break;
                }
                if job.run(conn).await {
                    done.push(job);
                    continue;
                }
                failed.push(job);
                let undone = if isolated {
                    exec(conn, "ROLLBACK TO unit")
                        .await
                        .map_err(|e| Fault::of(&e, "cannot roll back a failed write"))
                } else {
                    // The units that succeeded run again, each in its own savepoint from now on.
                    isolated = true;
                    start_over(conn, Vec::new(), &mut done, &mut queue).await
                };
                if let Err(f) = undone {
                    fault = Some(f);
                    break;
                }
            }
            if fault.is_none() {
                // The batch's audit events join the hash chain in its own transaction.
                if let Err(e) = seal(conn, self.wall.now().timestamp()).await {
                    fault = Some(Fault::of_store(e, "cannot seal the audit events"));
                } else if let Err(e) = exec(conn, "COMMIT").await {
                    fault = Some(Fault::of(&e, "cannot commit"));
                }
            }
            if let Some(f) = &fault {
                let _ = self.link.rollback().await;
                tracing::error!(error = %f.error(), "a write batch failed and was rolled back");
                if matches!(f, Fault::Unavailable(_)) {
                    self.link.conn = None;
                }
            }
            let answer = || fault.as_ref().map(Fault::error);
            for j in done {
                j.deliver(answer());
            }
            for j in failed {
                j.deliver(None);
            }
            for j in queue {
                j.refuse(
                    answer().unwrap_or_else(|| StoreError::Internal("a unit was left out".into())),
                );
            }
        })
    }
}

/// Undoes the batch so far (`ROLLBACK TO batch`, keeping the write lock) and queues `group`
/// and every unit already done to run again, in order, ahead of the rest.
fn start_over<'c>(
    conn: &'c mut Conn,
    group: Vec<Box<dyn Job>>,
    done: &'c mut Vec<Box<dyn Job>>,
    queue: &'c mut VecDeque<Box<dyn Job>>,
) -> BoxFuture<'c, Result<(), Fault>> {
    Box::pin(async move {
        for j in group.into_iter().rev() {
            queue.push_front(j);
        }
        for j in std::mem::take(done).into_iter().rev() {
            queue.push_front(j);
        }
        exec(conn, "ROLLBACK TO batch")
            .await
            .map_err(|e| Fault::of(&e, "cannot roll back a failed write"))
    })
}

/// What came of a group of decisions.
enum Together {
    /// Decided and written: each unit, and whether it succeeded.
    Ran(Vec<(Box<dyn Job>, bool)>),
    /// A unit's writes did not change the rows they named, or failed; the group's units, to
    /// run again one by one.
    Missed(Vec<Box<dyn Job>>),
    /// A storage fault; the group's units, unanswered.
    Fault(Fault, Vec<Box<dyn Job>>),
}

/// Decides `first` and the decisions on batched facts that follow it in `queue` as one group:
/// their facts in one query, their writes in as few scripts as repeat their text (so SQLite's
/// prepared statements are reused). The units left for the next group go back to `queue`.
fn decide_together<'c>(
    conn: &'c mut Conn,
    first: Box<dyn Job>,
    queue: &'c mut VecDeque<Box<dyn Job>>,
) -> BoxFuture<'c, Together> {
    Box::pin(async move {
        let mut group = vec![first];
        while group.len() < GROUP
            && queue
                .front()
                .and_then(|j| j.batched_keys())
                .is_some_and(|keys| {
                    group.iter().all(|g| {
                        let named = g.batched_keys().unwrap_or_default();
                        keys.iter().all(|k| !named.contains(k))
                    })
                })
        {
            group.push(queue.pop_front().expect("front exists"));
        }
        let keys: Vec<&[Key]> = group
            .iter()
            .map(|j| j.batched_keys().unwrap_or_default())
            .collect();
        let found = match facts::read_batched(conn, &keys).await {
            Ok(found) => found,
            Err(e) => {
                return Together::Fault(Fault::of_store(e, "cannot read the facts"), group);
            }
        };
        // Facts a unit of this group changed: a later unit deciding on one starts the next group.
        let mut changed: Vec<Key> = Vec::new();
        let mut scripts = Vec::with_capacity(group.len());
        let mut decided = Vec::with_capacity(group.len());
        let mut next = group.into_iter().zip(found);
        let mut leftover = Vec::new();
        for (mut j, facts) in next.by_ref() {
            if facts.covers().iter().any(|k| changed.contains(k)) {
                leftover.push(j);
                break;
            }
            let ok = match j.decide(&facts) {
                Some(writes) => {
                    changed.extend(writes.changed().iter().cloned());
                    let script = writes.into_script();
                    if !script.is_empty() {
                        scripts.push(script);
                    }
                    true
                }
                None => false,
            };
            decided.push((j, ok));
        }
        leftover.extend(next.map(|(j, _)| j));
        for j in leftover.into_iter().rev() {
            queue.push_front(j);
        }
        let expected: u64 = scripts.iter().map(Script::len).sum();
        if !matches!(Script::run_in_runs(conn, &scripts).await, Ok(n) if n == expected) {
            // A unit's writes missed, or failed: each unit runs again alone, where a storage
            // fault shows as such.
            return Together::Missed(decided.into_iter().map(|(j, _)| j).collect());
        }
        Together::Ran(decided)
    })
}
