//! Placeholder for the Tauri desktop shell. The console (its own issue) replaces this with the
//! Tauri builder; it will only wire Tauri commands to `authdesk_server::api`.
fn main() {
    eprintln!("the Authdesk desktop console is not built yet; use the `authdesk` CLI");
    std::process::exit(2);
}
