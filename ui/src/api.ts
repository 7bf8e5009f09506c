// The one module that talks to the backend (Tauri IPC). Every call returns the generated
// binding type or throws a BackendError carrying the backend's stable code.
import { invoke } from "@tauri-apps/api/core";
import type { Alg } from "./bindings/Alg";
import type { AppListed } from "./bindings/AppListed";
import type { AuditActionLabel } from "./bindings/AuditActionLabel";
import type { AuditPage } from "./bindings/AuditPage";
import type { AuditQuery } from "./bindings/AuditQuery";
import type { ChainCheck } from "./bindings/ChainCheck";
import type { ClientCreated } from "./bindings/ClientCreated";
import type { ClientDefaults } from "./bindings/ClientDefaults";
import type { ClientDraft } from "./bindings/ClientDraft";
import type { ClientView } from "./bindings/ClientView";
import type { ClockView } from "./bindings/ClockView";
import type { ConsoleSettings } from "./bindings/ConsoleSettings";
import type { ConsoleStatus } from "./bindings/ConsoleStatus";
import type { DeskView } from "./bindings/DeskView";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { FieldError } from "./bindings/FieldError";
import type { ExpiryHistogram } from "./bindings/ExpiryHistogram";
import type { GrantDetail } from "./bindings/GrantDetail";
import type { GrantQuery } from "./bindings/GrantQuery";
import type { GrantSummary } from "./bindings/GrantSummary";
import type { Impact } from "./bindings/Impact";
import type { KeyView } from "./bindings/KeyView";
import type { OperatorView } from "./bindings/OperatorView";
import type { Overview } from "./bindings/Overview";
import type { Retention } from "./bindings/Retention";
import type { Role } from "./bindings/Role";
import type { SearchHit } from "./bindings/SearchHit";
import type { ServerSettings } from "./bindings/ServerSettings";
import type { TokenExplanation } from "./bindings/TokenExplanation";
import type { TokenResponse } from "./bindings/TokenResponse";
import type { UiError } from "./bindings/UiError";
import type { UiErrorCode } from "./bindings/UiErrorCode";
import type { UserView } from "./bindings/UserView";

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

async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
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
  status: () => call<ConsoleStatus>("status"),
  /** Who is at the desk, and what the console may offer them. */
  desk: {
    view: () => call<DeskView>("desk"),
    signIn: (username: string, password: string) => call<DeskView>("desk_sign_in", { username, password }),
    signOut: () => call<DeskView>("desk_sign_out"),
  },
  consoleSettings: () => call<ConsoleSettings>("console_settings"),
  consoleSettingsSet: (settings: ConsoleSettings) => call<ConsoleSettings>("console_settings_set", { settings }),
  operators: {
    list: () => call<OperatorView[]>("operators_list"),
    add: (username: string, displayName: string, role: Role, password: string) =>
      call<OperatorView>("operators_add", { username, displayName, role, password }),
    setRole: (username: string, role: Role) => call<OperatorView>("operators_set_role", { username, role }),
    setDisabled: (username: string, disabled: boolean) => call<OperatorView>("operators_set_disabled", { username, disabled }),
    resetPassword: (username: string, password: string) => call<OperatorView>("operators_reset_password", { username, password }),
  },
  overview: () => call<Overview>("overview"),
  /** Restarts the embedded server; the running one stays if `listen` cannot be used. */
  serverRestart: (listen: string, issuer: string | null) => call<ConsoleStatus>("server_restart", { listen, issuer }),
  registryOpen: (location: string) => call<ConsoleStatus>("registry_open", { location }),
  /** How the embedded server serves: profile, https with the sandbox CA, sandbox API. */
  serverSettings: () => call<ServerSettings>("server_settings"),
  /** Changes them and serves again at the same address. */
  serverSettingsSet: (settings: ServerSettings) => call<ConsoleStatus>("server_settings_set", { settings }),
  retention: () => call<Retention>("retention"),
  /** People, apps, grants or a pasted token matching `term`, best first. */
  search: (term: string) => call<SearchHit[]>("search", { term }),
  clients: {
    defaults: () => call<ClientDefaults>("client_defaults"),
    /** Apps whose name or partner holds `search`, with their live grants and newest grant. */
    list: (search: string) => call<AppListed[]>("clients_list", { search }),
    show: (id: string) => call<ClientView>("clients_show", { id }),
    create: (draft: ClientDraft) => call<ClientCreated>("clients_create", { draft }),
    update: (id: string, draft: ClientDraft) => call<ClientCreated>("clients_update", { id, draft }),
    setEnabled: (id: string, enabled: boolean, reason: string | null = null) => call<ClientView>("clients_set_enabled", { id, enabled, reason }),
    remove: (id: string, reason: string | null = null) => call<null>("clients_delete", { id, reason }),
    /** `overlap`: how long the old secret keeps working ("24h"), or null: it stops at once. */
    rotateSecret: (id: string, overlap: string | null, reason: string | null = null) => call<ClientCreated>("clients_rotate_secret", { id, overlap, reason }),
  },
  grants: {
    list: (query: GrantQuery) => call<GrantSummary[]>("grants_list", { query }),
    show: (id: string) => call<GrantDetail>("grants_show", { id }),
    findByToken: (token: string) => call<GrantDetail>("grants_find_by_token", { token }),
    preview: (query: GrantQuery) => call<Impact>("grants_preview", { query }),
    revoke: (query: GrantQuery, reason: string) => call<Impact>("grants_revoke", { query, reason }),
    histogram: (days: number) => call<ExpiryHistogram>("grants_histogram", { days }),
  },
  users: {
    /** People by user name, a page at a time; with a term, those whose user name, e-mail or name starts with it. */
    list: (term: string, limit: number, offset: number) => call<UserView[]>("users_list", { term: term || null, limit, offset }),
    create: (username: string, password: string, claims: Record<string, unknown>) => call<UserView>("users_create", { username, password, claims }),
    setClaims: (sub: string, claims: Record<string, unknown>) => call<UserView>("users_set_claims", { sub, claims }),
    remove: (sub: string, reason: string | null = null) => call<null>("users_delete", { sub, reason }),
    /** Ends every login session of the person (their grants stay); how many ended. */
    signOut: (sub: string, reason: string | null = null) => call<number>("users_sign_out", { sub, reason }),
  },
  sandbox: {
    mint: (clientId: string, sub: string | null, scope: string) => call<TokenResponse>("sandbox_mint", { clientId, sub, scope }),
    explain: (token: string) => call<TokenExplanation>("sandbox_explain", { token }),
    clockAdvance: (duration: string) => call<ClockView>("clock_advance", { duration }),
    clockReset: () => call<ClockView>("clock_reset"),
  },
  keys: {
    list: () => call<KeyView[]>("keys_list"),
    /** `accessTokens`: access tokens are signed with `alg` from now on. */
    rotate: (alg: Alg, accessTokens: boolean, reason: string | null = null) => call<KeyView>("keys_rotate", { alg, accessTokens, reason }),
    jwks: () => call<unknown>("keys_jwks"),
  },
  audit: {
    list: (query: AuditQuery, before: number | null) => call<AuditPage>("audit_list", { query, before }),
    /** Writes every matching event to a file; returns its path. */
    export: (query: AuditQuery, format: ExportFormat) => call<string>("audit_export", { query, format }),
  },
  /** Every action the audit records, with its words. */
  auditActions: () => call<AuditActionLabel[]>("audit_actions"),
  auditVerify: () => call<ChainCheck>("audit_verify"),
};
