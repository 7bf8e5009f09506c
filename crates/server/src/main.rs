#![cfg_attr(not(test), deny(clippy::unwrap_used))]
use clap::Parser;
use std::io::IsTerminal;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = authdesk_server::cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("AUTHDESK_LOG")
        .unwrap_or_else(|_| "authdesk=info,authdesk_server=info,warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // AUTHDESK_LOG_FORMAT=json: one JSON object per line, for a log collector.
    if std::env::var("AUTHDESK_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().with_current_span(false).init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
    match authdesk_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(authdesk_server::cli::Failure(msg)) => {
            eprintln!("error: {msg}");
            std::process::ExitCode::FAILURE
        }
    }
}
