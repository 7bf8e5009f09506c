//! Shared by the store's integration tests.
#![allow(dead_code)] // each test binary uses its own part of this

pub mod pg;

use authdesk_core::client::ClientDraft;
use authdesk_store::clients::{self, ClientRow};
use authdesk_store::{Conn, StoreError};

/// Registers a plain confidential app `id` (grants and tokens need one).
pub async fn insert_app(tx: &mut Conn, id: &str) -> Result<(), StoreError> {
    let settings = ClientDraft {
        name: id.to_string(),
        redirect_uris: vec!["https://a.example/cb".into()],
        ..Default::default()
    }
    .validate()
    .expect("a valid draft");
    let row = ClientRow {
        id: id.to_string(),
        settings,
        secret_hash: None,
        secret_rotated_at: None,
        previous_secret: None,
        enabled: true,
        created_at: 0,
        updated_at: 0,
    };
    clients::insert(tx, &row).await
}
