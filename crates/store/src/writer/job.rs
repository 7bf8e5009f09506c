//! The units of work the writer runs, behind one object-safe trait: a typed closure with its
//! reply channel (`Store::write`), a script that only appends rows (`Store::append`), or a
//! decision on named facts with the writes it implies (`Store::decide`, `crate::facts`).

use crate::facts::{self, Facts, Key, Writes};
use crate::{Conn, Script, StoreError};
use futures_util::future::{BoxFuture, FutureExt};
use std::panic::AssertUnwindSafe;
use std::time::Instant;
use tokio::sync::oneshot;

/// A queued unit of work with its reply channel, its type erased.
pub(super) trait Job: Send {
    fn deadline(&self) -> Instant;
    /// Nobody waits for the answer any more (the request was dropped).
    fn abandoned(&self) -> bool;
    /// Answers without running.
    fn refuse(self: Box<Self>, e: StoreError);
    /// Runs (a fresh copy of) the work and keeps its result; says whether it succeeded.
    fn run<'c>(&'c mut self, conn: &'c mut Conn) -> BoxFuture<'c, bool>;
    /// Sends the kept result, or `fault` instead of a success the batch could not commit.
    fn deliver(self: Box<Self>, fault: Option<StoreError>);
    /// An appending unit's statements, which the writer may send together with others'.
    fn script(&self) -> Option<&Script> {
        None
    }
    /// The unit's script ran, with others', and changed what it should.
    fn ran_in_group(&mut self) {}
    /// A decision on facts the writer reads for many units at once ([`Key::batched`]): their
    /// keys, which the writer reads together with other such units' before asking each to
    /// [`Job::decide`].
    fn batched_keys(&self) -> Option<&[Key]> {
        None
    }
    /// Decides on the facts read for it and keeps the answer; returns the writes to run with
    /// the group's, or `None` if the unit failed (it wrote nothing).
    fn decide(&mut self, _facts: &Facts) -> Option<Writes> {
        None
    }
}

/// What a unit's requester is told: its own result, or the batch's fault instead of a success
/// the batch could not commit.
fn answer<T, E: From<StoreError>>(
    fault: Option<StoreError>,
    result: Option<Result<T, E>>,
) -> Result<T, E> {
    match (fault, result) {
        (_, None) => Err(E::from(StoreError::Internal(
            "a unit of work never ran".into(),
        ))),
        (Some(f), Some(Ok(_))) => Err(E::from(f)),
        (_, Some(r)) => r,
    }
}

/// Runs a unit's writes, each of which must change exactly one row.
pub(super) async fn run_exactly(conn: &mut Conn, script: Script) -> Result<(), StoreError> {
    let expected = script.len();
    match script.run(conn).await {
        Ok(n) if n == expected => Ok(()),
        Ok(n) => Err(StoreError::Missed(format!(
            "a unit's writes changed {n} rows, not {expected}"
        ))),
        Err(e) => Err(e),
    }
}

/// A unit that only appends rows (`Store::append`): each of its statements changes one row.
pub(super) struct Appended {
    script: Script,
    result: Option<Result<(), StoreError>>,
    reply: oneshot::Sender<Result<(), StoreError>>,
    deadline: Instant,
}

impl Appended {
    pub(super) fn new(
        script: Script,
        reply: oneshot::Sender<Result<(), StoreError>>,
        deadline: Instant,
    ) -> Self {
        Appended {
            script,
            result: None,
            reply,
            deadline,
        }
    }
}

impl Job for Appended {
    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn abandoned(&self) -> bool {
        self.reply.is_closed()
    }
    fn refuse(self: Box<Self>, e: StoreError) {
        let _ = self.reply.send(Err(e));
    }
    fn run<'c>(&'c mut self, conn: &'c mut Conn) -> BoxFuture<'c, bool> {
        let script = self.script.clone();
        Box::pin(async move {
            let result = run_exactly(conn, script).await;
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }
    fn deliver(self: Box<Self>, fault: Option<StoreError>) {
        let _ = self.reply.send(answer(fault, self.result));
    }
    fn script(&self) -> Option<&Script> {
        Some(&self.script)
    }
    fn ran_in_group(&mut self) {
        self.result = Some(Ok(()));
    }
}

/// Appending units sent to SQLite together, at most; groups are 16, 8, 4, 2 or 1 units, so
/// the combined statements' text repeats and SQLite's prepared statements are reused.
pub(super) const GROUP: usize = 16;

pub(super) struct Typed<F, T, E> {
    work: F,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
    deadline: Instant,
}

impl<F, T, E> Typed<F, T, E> {
    pub(super) fn new(work: F, reply: oneshot::Sender<Result<T, E>>, deadline: Instant) -> Self {
        Typed {
            work,
            result: None,
            reply,
            deadline,
        }
    }
}

impl<F, T, E> Job for Typed<F, T, E>
where
    F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, E>> + Clone + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn abandoned(&self) -> bool {
        self.reply.is_closed()
    }
    fn refuse(self: Box<Self>, e: StoreError) {
        let _ = self.reply.send(Err(E::from(e)));
    }
    fn run<'c>(&'c mut self, conn: &'c mut Conn) -> BoxFuture<'c, bool> {
        let work = self.work.clone();
        Box::pin(async move {
            let result = match AssertUnwindSafe(work(conn)).catch_unwind().await {
                Ok(r) => r,
                Err(_) => Err(E::from(StoreError::Internal(
                    "a unit of work panicked; it was rolled back".into(),
                ))),
            };
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }
    fn deliver(self: Box<Self>, fault: Option<StoreError>) {
        let _ = self.reply.send(answer(fault, self.result));
    }
}

/// A unit that decides on the facts it names (`Store::decide`). `decide` is pure: it returns
/// the writes its decision implies (each changing exactly one row) and the answer, and may run
/// more than once on the same facts.
pub(super) struct Decided<F, T, E> {
    keys: Vec<Key>,
    decide: F,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
    deadline: Instant,
}

impl<F, T, E> Decided<F, T, E> {
    pub(super) fn new(
        keys: Vec<Key>,
        decide: F,
        reply: oneshot::Sender<Result<T, E>>,
        deadline: Instant,
    ) -> Self {
        Decided {
            keys,
            decide,
            result: None,
            reply,
            deadline,
        }
    }
}

impl<F, T, E> Job for Decided<F, T, E>
where
    F: FnOnce(&Facts) -> Result<(Writes, T), E> + Clone + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    fn deadline(&self) -> Instant {
        self.deadline
    }
    fn abandoned(&self) -> bool {
        self.reply.is_closed()
    }
    fn refuse(self: Box<Self>, e: StoreError) {
        let _ = self.reply.send(Err(E::from(e)));
    }
    fn run<'c>(&'c mut self, conn: &'c mut Conn) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let facts = match facts::read(conn, &self.keys).await {
                Ok(f) => f,
                Err(e) => {
                    self.result = Some(Err(E::from(e)));
                    return false;
                }
            };
            let Some(writes) = self.decide(&facts) else {
                return false;
            };
            if let Err(e) = run_exactly(conn, writes.into_script()).await {
                self.result = Some(Err(E::from(e)));
                return false;
            }
            true
        })
    }
    fn deliver(self: Box<Self>, fault: Option<StoreError>) {
        let _ = self.reply.send(answer(fault, self.result));
    }
    fn batched_keys(&self) -> Option<&[Key]> {
        self.keys
            .iter()
            .all(Key::batched)
            .then_some(self.keys.as_slice())
    }
    fn decide(&mut self, facts: &Facts) -> Option<Writes> {
        let (result, writes) = decided(self.decide.clone(), facts);
        self.result = Some(result);
        writes
    }
}

/// Runs a pure decision, a panic in it included: the answer, and the writes if it succeeded.
pub(super) fn decided<F, T, E>(decide: F, facts: &Facts) -> (Result<T, E>, Option<Writes>)
where
    F: FnOnce(&Facts) -> Result<(Writes, T), E>,
    E: From<StoreError>,
{
    match std::panic::catch_unwind(AssertUnwindSafe(|| decide(facts))) {
        Ok(Ok((writes, answer))) => (Ok(answer), Some(writes)),
        Ok(Err(e)) => (Err(e), None),
        Err(_) => (
            Err(E::from(StoreError::Internal(
                "a unit of work panicked; nothing of it was written".into(),
            ))),
            None,
        ),
    }
}
