//! Lets an occasional writer (a CLI command) in while a server keeps the database busy.
//!
//! SQLite's write lock is not fair: a server committing batch after batch re-takes it within
//! microseconds, while another process waiting on it only retries on a timer, and may wait
//! forever. So every writer also takes an advisory lock on `authdesk.writers` before a batch:
//! a serving process a *shared* lock it releases at once (a check: "is an admin writing?"), an
//! admin process an *exclusive* lock it keeps for its batch. While the admin holds it the server
//! starts no new batch; the admin's `BEGIN IMMEDIATE` gets SQLite's lock as soon as the server's
//! current batch commits. The lock dies with its process, so a killed CLI cannot block anyone.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

pub const FILE: &str = "authdesk.writers";

/// Which side of the turnstile a store's writer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A long-running server: yields to admin writers between batches.
    Serving,
    /// A short-lived admin process (the CLI): goes first.
    Admin,
}

pub(crate) struct Turnstile {
    file: File,
    role: Role,
}

/// Held for an admin's batch; releases the exclusive lock when dropped.
pub(crate) struct Turn<'a>(Option<&'a File>);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Some(f) = self.0 {
            let _ = f.unlock();
        }
    }
}

impl Turnstile {
    pub(crate) fn open(dir: &Path, role: Role) -> std::io::Result<Turnstile> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(dir.join(FILE))?;
        Ok(Turnstile { file, role })
    }

    /// Waits for this writer's turn until `deadline`; `Err` if it did not come.
    pub(crate) fn enter(
        &self,
        deadline: Instant,
    ) -> futures_util::future::BoxFuture<'_, Result<Turn<'_>, ()>> {
        Box::pin(async move { self.wait(deadline).await })
    }

    async fn wait(&self, deadline: Instant) -> Result<Turn<'_>, ()> {
        loop {
            let attempt = match self.role {
                Role::Admin => self.file.try_lock(),
                Role::Serving => self.file.try_lock_shared(),
            };
            match attempt {
                Ok(()) => {
                    return Ok(match self.role {
                        Role::Admin => Turn(Some(&self.file)),
                        Role::Serving => {
                            let _ = self.file.unlock();
                            Turn(None)
                        }
                    });
                }
                Err(TryLockError::WouldBlock) => {}
                // A file system without advisory locks: no turnstile, SQLite's lock still orders.
                Err(TryLockError::Error(_)) => return Ok(Turn(None)),
            }
            if Instant::now() >= deadline {
                return Err(());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
