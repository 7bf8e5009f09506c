// The one module that talks to the backend (Tauri IPC). Every call returns the generated
// binding type or throws a BackendError carrying the backend's stable code.
import { invoke } from "@tauri-apps/api/core";
import type { Alg } from "./bindings/Alg";
import type { Commands } from "./bindings/commands";
import type { AuditCursor } from "./bindings/AuditCursor";
import type { AuditQuery } from "./bindings/AuditQuery";
import type { ClientDraft } from "./bindings/ClientDraft";
import type { ConsoleSettings } from "./bindings/ConsoleSettings";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { FieldError } from "./bindings/FieldError";
import type { GrantQuery } from "./bindings/GrantQuery";
import type { Role } from "./bindings/Role";
import type { ServerSettings } from "./bindings/ServerSettings";
import type { UiError } from "./bindings/UiError";
import type { UiErrorCode } from "./bindings/UiErrorCode";

export class BackendError extends Error {
  readonly code: UiErrorCode;
  readonly fields: FieldError[];
  constructor(e: UiError) {
    super(e.message);
    this.code = e.code;
    this.fields = e.fields;
  }
}

/** Fired when a command finds the desk needs a sign-in (production, or locked when idle). */
export const SIGN_IN_REQUIRED = "authdesk:sign-in-required";

/** Calls one of the window's commands: its name, arguments and result are checked against
 *  `bindings/commands.ts`, which `cargo test` generates from the Rust commands (tests/ipc). */
async function call<K extends keyof Commands>(
  command: K,
  ...given: Commands[K]["args"] extends Record<string, never> ? [] : [Commands[K]["args"]]
): Promise<Commands[K]["result"]> {
  const args = ((given as unknown[])[0] ?? {}) as Record<string, unknown>;
  try {
    return await invoke<Commands[K]["result"]>(command, args);
  } catch (e) {
    if (e && typeof e === "object" && "code" in e) {
      const error = new BackendError(e as UiError);
      if (error.code === "sign_in_required") window.dispatchEvent(new Event(SIGN_IN_REQUIRED));
      throw error;
    }
    throw new BackendError({ code: "internal", message: String(e), fields: [], oauth_error: null });
  }
}

export const api = {
  status: () => call("status"),
  /** Who is at the desk, and what the console may offer them. */
  desk: {
    view: () => call("desk"),
    signIn: (username: string, password: string) => call("desk_sign_in", { username, password }),
    signOut: () => call("desk_sign_out"),
  },
  consoleSettings: () => call("console_settings"),
  consoleSettingsSet: (settings: ConsoleSettings) => call("console_settings_set", { settings }),
  operators: {
    list: () => call("operators_list"),
    add: (username: string, displayName: string, role: Role, password: string) => call("operators_add", { username, displayName, role, password }),
    setRole: (username: string, role: Role) => call("operators_set_role", { username, role }),
    setDisabled: (username: string, disabled: boolean) => call("operators_set_disabled", { username, disabled }),
    resetPassword: (username: string, password: string) => call("operators_reset_password", { username, password }),
  },
  overview: () => call("overview"),
  /** Restarts the embedded server; the running one stays if `listen` cannot be used. */
  serverRestart: (listen: string, issuer: string | null) => call("server_restart", { listen, issuer }),
  registryOpen: (location: string) => call("registry_open", { location }),
  /** How the embedded server serves: profile, https with the sandbox CA, sandbox API. */
  serverSettings: () => call("server_settings"),
  /** Changes them and serves again at the same address. */
  serverSettingsSet: (settings: ServerSettings) => call("server_settings_set", { settings }),
  retention: () => call("retention"),
  /** People, apps, grants or a pasted token matching `term`, best first. */
  search: (term: string) => call("search", { term }),
  clients: {
    defaults: () => call("client_defaults"),
    /** Apps whose name or partner holds `search`, with their live grants and newest grant. */
    list: (search: string) => call("clients_list", { search }),
    show: (id: string) => call("clients_show", { id }),
    create: (draft: ClientDraft) => call("clients_create", { draft }),
    update: (id: string, draft: ClientDraft) => call("clients_update", { id, draft }),
    setEnabled: (id: string, enabled: boolean, reason: string | null = null) => call("clients_set_enabled", { id, enabled, reason }),
    remove: (id: string, reason: string | null = null) => call("clients_delete", { id, reason }),
    /** `overlap`: how long the old secret keeps working ("24h"), or null: it stops at once. */
    rotateSecret: (id: string, overlap: string | null, reason: string | null = null) => call("clients_rotate_secret", { id, overlap, reason }),
  },
  grants: {
    list: (query: GrantQuery) => call("grants_list", { query }),
    show: (id: string) => call("grants_show", { id }),
    findByToken: (token: string) => call("grants_find_by_token", { token }),
    preview: (query: GrantQuery) => call("grants_preview", { query }),
    revoke: (query: GrantQuery, reason: string) => call("grants_revoke", { query, reason }),
    histogram: (days: number) => call("grants_histogram", { days }),
  },
  users: {
    /** People by user name, a page at a time; with a term, those whose user name, e-mail or name starts with it. */
    list: (term: string, limit: number, offset: number) => call("users_list", { term: term || null, limit, offset }),
    create: (username: string, password: string, claims: Record<string, unknown>) => call("users_create", { username, password, claims }),
    setClaims: (sub: string, claims: Record<string, unknown>) => call("users_set_claims", { sub, claims }),
    remove: (sub: string, reason: string | null = null) => call("users_delete", { sub, reason }),
    /** Ends every login session of the person (their grants stay); how many ended. */
    signOut: (sub: string, reason: string | null = null) => call("users_sign_out", { sub, reason }),
  },
  sandbox: {
    mint: (clientId: string, sub: string | null, scope: string, dpop: boolean) => call("sandbox_mint", { clientId, sub, scope, dpop }),
    explain: (token: string, dpop: string | null = null) => call("sandbox_explain", { token, dpop }),
    clockAdvance: (duration: string) => call("clock_advance", { duration }),
    clockReset: () => call("clock_reset"),
  },
  keys: {
    list: () => call("keys_list"),
    /** `accessTokens`: access tokens are signed with `alg` from now on. */
    rotate: (alg: Alg, accessTokens: boolean, reason: string | null = null) => call("keys_rotate", { alg, accessTokens, reason }),
    jwks: () => call("keys_jwks"),
  },
  audit: {
    list: (query: AuditQuery, cursor: AuditCursor | null) => call("audit_list", { query, cursor }),
    /** Writes every matching event to a file; returns its path. */
    export: (query: AuditQuery, format: ExportFormat) => call("audit_export", { query, format }),
  },
  /** Every action the audit records, with its words. */
  auditActions: () => call("audit_actions"),
  auditVerify: () => call("audit_verify"),
};
