//! The units of work the writer runs, behind one object-safe trait: a typed closure with its
//! reply channel (`Store::write`), or a script that only appends rows (`Store::append`).

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
            let expected = script.len();
            let result = match script.run(conn).await {
                Ok(n) if n == expected => Ok(()),
                Ok(n) => Err(StoreError::Internal(format!(
                    "an appending write changed {n} rows, not {expected}"
                ))),
                Err(e) => Err(e),
            };
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }
    fn deliver(self: Box<Self>, fault: Option<StoreError>) {
        let answer = match (fault, self.result) {
            (_, None) => Err(StoreError::Internal("a unit of work never ran".into())),
            (Some(f), Some(Ok(()))) => Err(f),
            (_, Some(r)) => r,
        };
        let _ = self.reply.send(answer);
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
        let answer = match (fault, self.result) {
            (_, None) => Err(E::from(StoreError::Internal(
                "a unit of work never ran".into(),
            ))),
            (Some(f), Some(Ok(_))) => Err(E::from(f)),
            (_, Some(r)) => r,
        };
        let _ = self.reply.send(answer);
    }
}
