//! The data directory's files are the owner's alone: the database holds the signing private
//! keys and the key every stored secret is hashed with. A new directory is created `0700` and
//! the database `0600` before SQLite opens it (SQLite gives its `-wal` and `-shm` files the
//! database's mode). An existing directory or file that other users may read is narrowed to
//! the owner's bits, with a warning; if that is not possible, opening is refused.

use crate::{DB_FILE, StoreError};
use std::path::Path;

/// Creates `dir` (owner-only) if missing, and the empty database file (owner-only) if missing;
/// narrows wider modes of what exists. Returns a description of each repair made.
pub fn prepare(dir: &Path) -> Result<Vec<String>, StoreError> {
    imp::prepare(dir)
}

/// The lock every process with the data directory open holds shared for as long as it has it
/// open; `restore` takes it exclusively, so it never swaps the database under a running server,
/// console or command. The lock dies with its process.
pub const OPEN_LOCK: &str = "authdesk.open";

/// Holds the open lock (shared) while alive.
#[derive(Debug)]
pub struct OpenLock(#[allow(dead_code)] std::fs::File);

fn open_lock_file(dir: &Path) -> Result<std::fs::File, StoreError> {
    let path = dir.join(OPEN_LOCK);
    // A lock needs no write access: an existing file is opened for reading (so a read-only
    // directory gets as far as the database's own, clearer, refusal).
    if let Ok(file) = std::fs::File::open(&path) {
        return Ok(file);
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path).map_err(|e| {
        StoreError::Unusable(format!(
            "cannot write to {}: {e}. The data directory and its files must be writable by this user.",
            path.display()
        ))
    })
}

/// Takes the open lock shared (waits while a restore runs).
pub fn open_shared(dir: &Path) -> Result<OpenLock, StoreError> {
    let file = open_lock_file(dir)?;
    file.lock_shared()
        .map_err(|e| StoreError::Unusable(format!("cannot lock {}: {e}", dir.display())))?;
    Ok(OpenLock(file))
}

/// Takes the open lock exclusively, or says who holds it.
pub fn open_exclusive(dir: &Path) -> Result<OpenLock, StoreError> {
    let file = open_lock_file(dir)?;
    match file.try_lock() {
        Ok(()) => Ok(OpenLock(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Unusable(format!(
            "{} is in use by a running server, console or command: stop it, then restore",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Unusable(format!(
            "cannot lock {}: {e}",
            dir.display()
        ))),
    }
}

/// Creates an empty file only the owner can read, never replacing one (a backup or an export
/// is written into it).
pub fn create_owner_only(path: &Path) -> Result<std::fs::File, StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| StoreError::Unusable(format!("cannot create {}: {e}", path.display())))
}

/// The files SQLite keeps beside the database, and the writers' lock file.
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

#[cfg(unix)]
mod imp {
    use super::*;
    use std::fs::{self, DirBuilder, OpenOptions, Permissions};
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    use std::path::PathBuf;

    pub fn prepare(dir: &Path) -> Result<Vec<String>, StoreError> {
        let unusable = |what: &Path, e: std::io::Error| {
            StoreError::Unusable(format!("cannot prepare {}: {e}", what.display()))
        };
        if !dir.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| unusable(dir, e))?;
        }
        let db = dir.join(DB_FILE);
        if !db.exists() {
            // SQLite treats an empty file as a new database.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&db)
                .map_err(|e| unusable(&db, e))?;
        }
        let mut paths: Vec<PathBuf> = vec![dir.to_path_buf(), db.clone()];
        for suffix in COMPANIONS {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            paths.push(name.into());
        }
        paths.push(dir.join(crate::turnstile::FILE));
        let mut repairs = Vec::new();
        for path in paths {
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 == 0 {
                continue;
            }
            let narrowed = mode & 0o700;
            fs::set_permissions(&path, Permissions::from_mode(narrowed)).map_err(|e| {
                StoreError::Unusable(format!(
                    "{} can be read by other users (mode {mode:04o}) and its mode cannot be \
                     changed ({e}). It holds signing keys and secrets: make it owner-only \
                     (chmod {} {}) and start again.",
                    path.display(),
                    if meta.is_dir() { "700" } else { "600" },
                    path.display()
                ))
            })?;
            repairs.push(format!(
                "{} was readable by other users (mode {mode:04o}); now {narrowed:04o}",
                path.display()
            ));
        }
        Ok(repairs)
    }
}

#[cfg(not(unix))]
mod imp {
    use super::*;

    pub fn prepare(dir: &Path) -> Result<Vec<String>, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unusable(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Vec::new())
    }
}
