//! The data directory is the owner's alone: created 0700 with its database, WAL, shared-memory
//! and lock files 0600; wider modes found on open are narrowed.
#![cfg(unix)]

use authdesk_store::{Role, Store, StoreError};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn files(dir: &Path) -> Vec<PathBuf> {
    [
        "authdesk.db",
        "authdesk.db-wal",
        "authdesk.db-shm",
        "authdesk.writers",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect()
}

async fn write_something(store: &Store) {
    store
        .write(|tx| {
            Box::pin(async move {
                authdesk_store::settings::set(tx, "k", "v").await?;
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_new_data_directory_and_its_files_are_owner_only() {
    let root = tempfile::tempdir().unwrap();
    // A umask that would leave everything world-readable is not what decides.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = root.path().join("nested").join("data");
    let store = Store::open(&dir, Role::Serving).await.unwrap();
    write_something(&store).await;
    assert_eq!(mode(&dir), 0o700, "data directory");
    for f in files(&dir) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    store.close().await;
}

#[tokio::test]
async fn wider_modes_are_narrowed_when_opened() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let store = Store::open(&dir, Role::Serving).await.unwrap();
    write_something(&store).await;
    store.close().await;
    // As an older version (or a careless copy) left them.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for f in files(&dir).iter().filter(|f| f.exists()) {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let store = Store::open(&dir, Role::Serving).await.unwrap();
    write_something(&store).await;
    assert_eq!(mode(&dir), 0o700);
    for f in files(&dir) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    store.close().await;
}
