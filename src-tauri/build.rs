//! The console window may call exactly the commands the UI calls (issue 21): each gets an
//! `allow-<command>` permission from this list, and `capabilities/default.json` grants those,
//! and nothing of Tauri's core (no window, app, path, event or menu commands). The UI's unit
//! tests check that this list, the capability and the UI's own calls are the same set.

const COMMANDS: &[&str] = &[
    "status",
    "overview",
    "server_restart",
    "server_settings",
    "server_settings_set",
    "registry_open",
    "retention",
    "search",
    "client_defaults",
    "clients_list",
    "clients_show",
    "clients_create",
    "clients_update",
    "clients_set_enabled",
    "clients_delete",
    "clients_rotate_secret",
    "grants_list",
    "grants_show",
    "grants_find_by_token",
    "grants_preview",
    "grants_revoke",
    "grants_histogram",
    "users_list",
    "users_create",
    "users_set_claims",
    "users_delete",
    "users_sign_out",
    "sandbox_mint",
    "sandbox_explain",
    "clock_advance",
    "clock_reset",
    "keys_list",
    "keys_rotate",
    "keys_jwks",
    "audit_list",
    "audit_export",
    "audit_actions",
    "audit_verify",
    "desk",
    "desk_sign_in",
    "desk_sign_out",
    "console_settings",
    "console_settings_set",
    "operators_list",
    "operators_add",
    "operators_set_role",
    "operators_set_disabled",
    "operators_reset_password",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
