//! One thin command per console action: parse, call `authdesk_server::api`, map the result.

use crate::Console;
use authdesk_core::client::{ClientDefaults, ClientDraft};
use authdesk_core::clock::{Clock, SystemClock, parse_duration};
use authdesk_core::roles::{Power, Role};
use authdesk_server::api::audit::{
    AuditAction, AuditActionLabel, AuditCursor, AuditPage, AuditQuery, ExportFormat,
};
use authdesk_server::api::clients::{AppListed, ClientCreated, ClientView};
use authdesk_server::api::console::{ConsoleStatus, GrantQuery, ServerSettings, UiError};
use authdesk_server::api::desk::{ConsoleSettings, DeskView};
use authdesk_server::api::explain::TokenExplanation;
use authdesk_server::api::grants::{ExpiryHistogram, GrantDetail, GrantSummary};
use authdesk_server::api::keys::KeyView;
use authdesk_server::api::operators::OperatorView;
use authdesk_server::api::overview::Overview;
use authdesk_server::api::prune::Retention;
use authdesk_server::api::search::SearchHit;
use authdesk_server::api::tokens::Minted;
use authdesk_server::api::users::UserView;
use authdesk_server::api::{ApiError, ClockView, Page};
use authdesk_server::signing::Alg;
use authdesk_store::audit::ChainCheck;
use authdesk_store::grants::Impact;
use serde_json::{Map, Value};
use std::sync::Arc;
use tauri::State;

type R<T> = Result<T, UiError>;
type S<'a> = State<'a, Arc<Console>>;

fn invalid(field: &'static str, message: String) -> UiError {
    ApiError::invalid(field, message).into()
}

#[tauri::command]
fn status(c: S<'_>) -> ConsoleStatus {
    let s = c.server.lock().expect("server state").clone();
    c.app()
        .console_status(s.listen, s.running, s.error, s.serving)
}

/// Restarts the embedded server on `listen` with `issuer` (blank: from the address); the
/// running one keeps serving if the new address cannot be used.
#[tauri::command]
async fn server_restart(c: S<'_>, listen: String, issuer: Option<String>) -> R<ConsoleStatus> {
    c.actor().await?.may(Power::ManageSettings)?;
    let console = c.inner().clone();
    console
        .start_server(&listen, issuer.as_deref())
        .await
        .map_err(|e| UiError::from(ApiError::Refused(e)))?;
    Ok(status(c))
}

/// How the embedded server serves this registry (Settings).
#[tauri::command]
async fn server_settings(c: S<'_>) -> R<ServerSettings> {
    c.actor().await?;
    Ok(c.app().server_settings().await?)
}

/// Changes the profile, https with the sandbox CA and the sandbox API, and serves again.
#[tauri::command]
async fn server_settings_set(c: S<'_>, settings: ServerSettings) -> R<ConsoleStatus> {
    let actor = c.actor().await?;
    let console = c.inner().clone();
    console.apply_server_settings(settings, &actor).await?;
    Ok(status(c))
}

/// Opens another registry (a data directory's full path or a PostgreSQL URL) and serves it;
/// nothing changes if it cannot be opened.
#[tauri::command]
async fn registry_open(c: S<'_>, location: String) -> R<ConsoleStatus> {
    c.actor().await?;
    let console = c.inner().clone();
    console
        .open_registry(&location)
        .await
        .map_err(|e| UiError::from(ApiError::Refused(e)))?;
    Ok(status(c))
}

/// How long ended chains and audit events are kept (Settings shows it).
#[tauri::command]
async fn retention(c: S<'_>) -> R<Retention> {
    c.actor().await?;
    Ok(c.app().retention().await?)
}

/// The home screen's counts.
#[tauri::command]
async fn overview(c: S<'_>) -> R<Overview> {
    c.actor().await?;
    Ok(c.app().overview().await?)
}

#[tauri::command]
async fn clients_show(c: S<'_>, id: String) -> R<ClientView> {
    c.actor().await?;
    Ok(c.app().client_show(&id).await?)
}

/// The search box (Ctrl+K): people, apps, grants or a pasted token, best first.
#[tauri::command]
async fn search(c: S<'_>, term: String) -> R<Vec<SearchHit>> {
    c.actor().await?;
    Ok(c.app().search(&term, 12).await?)
}

#[tauri::command]
async fn clients_list(c: S<'_>, search: String) -> R<Vec<AppListed>> {
    c.actor().await?;
    Ok(c.app()
        .client_list_with_use(
            &search,
            Page {
                limit: 1000,
                offset: 0,
            },
        )
        .await?)
}

#[tauri::command]
async fn clients_create(c: S<'_>, draft: ClientDraft) -> R<ClientCreated> {
    Ok(c.app().client_create(&draft, &c.actor().await?).await?)
}

#[tauri::command]
async fn clients_update(c: S<'_>, id: String, draft: ClientDraft) -> R<ClientCreated> {
    Ok(c.app()
        .client_update(&id, &draft, &c.actor().await?)
        .await?)
}

#[tauri::command]
async fn clients_set_enabled(
    c: S<'_>,
    id: String,
    enabled: bool,
    reason: Option<String>,
) -> R<ClientView> {
    let actor = c.actor().await?.because(reason.as_deref());
    Ok(c.app().client_set_enabled(&id, enabled, &actor).await?)
}

#[tauri::command]
async fn clients_delete(c: S<'_>, id: String, reason: Option<String>) -> R<()> {
    let actor = c.actor().await?.because(reason.as_deref());
    Ok(c.app().client_delete(&id, &actor).await?)
}

#[tauri::command]
async fn clients_rotate_secret(
    c: S<'_>,
    id: String,
    overlap: Option<String>,
    reason: Option<String>,
) -> R<ClientCreated> {
    let overlap = overlap
        .filter(|o| !o.trim().is_empty())
        .map(|o| parse_duration(&o).map_err(|e| invalid("overlap", e)))
        .transpose()?;
    let actor = c.actor().await?.because(reason.as_deref());
    Ok(c.app().client_rotate_secret(&id, overlap, &actor).await?)
}

#[tauri::command]
async fn grants_list(c: S<'_>, query: GrantQuery) -> R<Vec<GrantSummary>> {
    c.actor().await?;
    Ok(c.app().grant_list_filtered(&query).await?)
}

#[tauri::command]
async fn grants_show(c: S<'_>, id: String) -> R<GrantDetail> {
    c.actor().await?;
    Ok(c.app().grant_show(&id).await?)
}

#[tauri::command]
async fn grants_find_by_token(c: S<'_>, token: String) -> R<GrantDetail> {
    c.actor().await?;
    Ok(c.app().grant_find_by_token(&token).await?)
}

#[tauri::command]
async fn grants_preview(c: S<'_>, query: GrantQuery) -> R<Impact> {
    c.actor().await?;
    Ok(c.app().grant_preview(&query.required_selector()?).await?)
}

#[tauri::command]
async fn grants_revoke(c: S<'_>, query: GrantQuery, reason: String) -> R<Impact> {
    Ok(c.app()
        .grant_revoke(&query.required_selector()?, &c.actor().await?, &reason)
        .await?)
}

#[tauri::command]
async fn grants_histogram(c: S<'_>, days: i64) -> R<ExpiryHistogram> {
    c.actor().await?;
    Ok(c.app().expiry_histogram(days).await?)
}

#[tauri::command]
async fn users_list(c: S<'_>, term: Option<String>, limit: i64, offset: i64) -> R<Vec<UserView>> {
    c.actor().await?;
    Ok(c.app()
        .user_list(term.as_deref(), Page { limit, offset })
        .await?)
}

#[tauri::command]
async fn users_create(
    c: S<'_>,
    username: String,
    password: String,
    claims: Map<String, Value>,
) -> R<UserView> {
    Ok(c.app()
        .user_create(&username, &password, claims, &c.actor().await?)
        .await?)
}

#[tauri::command]
async fn users_set_claims(c: S<'_>, sub: String, claims: Map<String, Value>) -> R<UserView> {
    Ok(c.app()
        .user_set_claims(&sub, claims, &c.actor().await?)
        .await?)
}

#[tauri::command]
async fn users_delete(c: S<'_>, sub: String, reason: Option<String>) -> R<()> {
    let actor = c.actor().await?.because(reason.as_deref());
    Ok(c.app().user_delete(&sub, &actor).await?)
}

/// Signs a person out everywhere: their login sessions end (grants stay).
#[tauri::command]
async fn users_sign_out(c: S<'_>, sub: String, reason: Option<String>) -> R<u64> {
    let actor = c.actor().await?.because(reason.as_deref());
    Ok(c.app().user_sign_out(&sub, &actor).await?)
}

#[tauri::command]
async fn sandbox_mint(
    c: S<'_>,
    client_id: String,
    sub: Option<String>,
    scope: String,
    dpop: bool,
) -> R<Minted> {
    Ok(c.app()
        .mint(&client_id, sub.as_deref(), &scope, dpop, &c.actor().await?)
        .await?)
}

#[tauri::command]
async fn sandbox_explain(c: S<'_>, token: String, dpop: Option<String>) -> R<TokenExplanation> {
    c.actor().await?;
    Ok(c.app().token_explain(&token, dpop.as_deref()).await?)
}

#[tauri::command]
async fn clock_advance(c: S<'_>, duration: String) -> R<ClockView> {
    let d = parse_duration(&duration).map_err(|e| invalid("duration", e))?;
    Ok(c.app().clock_advance(d, &c.actor().await?).await?)
}

#[tauri::command]
async fn clock_reset(c: S<'_>) -> R<ClockView> {
    Ok(c.app().clock_reset(&c.actor().await?).await?)
}

#[tauri::command]
async fn keys_list(c: S<'_>) -> R<Vec<KeyView>> {
    c.actor().await?;
    Ok(c.app().key_list())
}

#[tauri::command]
async fn keys_rotate(
    c: S<'_>,
    alg: Alg,
    access_tokens: bool,
    reason: Option<String>,
) -> R<KeyView> {
    let actor = c.actor().await?.because(reason.as_deref());
    Ok(c.app().key_rotate(alg, access_tokens, &actor).await?)
}

#[tauri::command]
async fn keys_jwks(c: S<'_>) -> R<Value> {
    c.actor().await?;
    Ok(c.app().jwks())
}

/// One page of the audit matching `query`, newest first, below `cursor` (none: the newest).
#[tauri::command]
async fn audit_list(c: S<'_>, query: AuditQuery, cursor: Option<AuditCursor>) -> R<AuditPage> {
    c.actor().await?;
    Ok(c.app()
        .audit_list(&query, cursor.unwrap_or_default(), 100)
        .await?)
}

/// Writes every event matching `query` to a file in the export folder (`AUTHDESK_EXPORT_DIR`,
/// else the user's Downloads folder, else their home) and returns its path.
#[tauri::command]
async fn audit_export(
    app: tauri::AppHandle,
    c: S<'_>,
    query: AuditQuery,
    format: ExportFormat,
) -> R<String> {
    use tauri::Manager;
    let dir = std::env::var_os("AUTHDESK_EXPORT_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| app.path().download_dir().ok())
        .or_else(|| app.path().home_dir().ok())
        .ok_or_else(|| UiError::from(ApiError::Refused("no folder to export into".into())))?;
    let cannot = |e: std::io::Error| {
        UiError::from(ApiError::Refused(format!(
            "cannot write into {}: {e}",
            dir.display()
        )))
    };
    std::fs::create_dir_all(&dir).map_err(cannot)?;
    let name = format!(
        "authdesk-audit-{}.{}",
        SystemClock.now().format("%Y%m%d-%H%M%S"),
        format.extension()
    );
    let path = dir.join(name);
    // The audit names people and apps: the file is the desk user's alone, as the CLI's.
    let file = authdesk_store::files::create_owner_only(&path)
        .map_err(|e| UiError::from(ApiError::Refused(e.to_string())))?;
    let mut out = std::io::BufWriter::new(file);
    c.app()
        .audit_export(&query, format, &mut out, &c.actor().await?)
        .await?;
    Ok(path.display().to_string())
}

/// Every action the audit records, for the filter.
#[tauri::command]
fn audit_actions() -> Vec<AuditActionLabel> {
    AuditAction::labelled()
}

/// What a registration gets for the fields it leaves empty.
#[tauri::command]
fn client_defaults() -> ClientDefaults {
    ClientDefaults::get()
}

#[tauri::command]
async fn audit_verify(c: S<'_>) -> R<ChainCheck> {
    c.actor().await?;
    Ok(c.app().audit_verify().await?)
}

/// Who is at this desk: the signed-in operator and what the console may offer them.
#[tauri::command]
async fn desk(c: S<'_>) -> R<DeskView> {
    Ok(c.app().desk_view(&c.desk).await?)
}

#[tauri::command]
async fn desk_sign_in(c: S<'_>, username: String, password: String) -> R<DeskView> {
    Ok(c.app().desk_sign_in(&c.desk, &username, &password).await?)
}

#[tauri::command]
async fn desk_sign_out(c: S<'_>) -> R<DeskView> {
    Ok(c.app().desk_sign_out(&c.desk).await?)
}

#[tauri::command]
async fn console_settings(c: S<'_>) -> R<ConsoleSettings> {
    c.actor().await?;
    Ok(c.app().console_settings().await?)
}

#[tauri::command]
async fn console_settings_set(c: S<'_>, settings: ConsoleSettings) -> R<ConsoleSettings> {
    let app = c.app();
    app.set_console_settings(&settings, &c.actor().await?)
        .await?;
    Ok(app.console_settings().await?)
}

#[tauri::command]
async fn operators_list(c: S<'_>) -> R<Vec<OperatorView>> {
    c.actor().await?;
    Ok(c.app().operator_list().await?)
}

#[tauri::command]
async fn operators_add(
    c: S<'_>,
    username: String,
    display_name: String,
    role: Role,
    password: String,
) -> R<OperatorView> {
    Ok(c.app()
        .operator_add(&username, &display_name, role, &password, &c.actor().await?)
        .await?)
}

#[tauri::command]
async fn operators_set_role(c: S<'_>, username: String, role: Role) -> R<OperatorView> {
    Ok(c.app()
        .operator_set_role(&username, role, &c.actor().await?)
        .await?)
}

#[tauri::command]
async fn operators_set_disabled(c: S<'_>, username: String, disabled: bool) -> R<OperatorView> {
    Ok(c.app()
        .operator_set_disabled(&username, disabled, &c.actor().await?)
        .await?)
}

#[tauri::command]
async fn operators_reset_password(c: S<'_>, username: String, password: String) -> R<OperatorView> {
    Ok(c.app()
        .operator_reset_password(&username, &password, &c.actor().await?)
        .await?)
}

pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        status,
        clients_list,
        clients_create,
        clients_update,
        clients_set_enabled,
        clients_delete,
        clients_rotate_secret,
        grants_list,
        grants_show,
        grants_find_by_token,
        grants_preview,
        grants_revoke,
        grants_histogram,
        users_list,
        users_create,
        users_set_claims,
        users_delete,
        users_sign_out,
        sandbox_mint,
        sandbox_explain,
        clock_advance,
        clock_reset,
        keys_list,
        keys_rotate,
        keys_jwks,
        audit_list,
        clients_show,
        server_restart,
        server_settings,
        server_settings_set,
        registry_open,
        retention,
        overview,
        search,
        audit_export,
        audit_actions,
        audit_verify,
        client_defaults,
        desk,
        desk_sign_in,
        desk_sign_out,
        console_settings,
        console_settings_set,
        operators_list,
        operators_add,
        operators_set_role,
        operators_set_disabled,
        operators_reset_password
    ]
}
