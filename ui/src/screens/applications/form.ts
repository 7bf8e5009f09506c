// The application form's state and how it maps to and from the backend's registration
// (`ClientDraft`) and view (`ClientView`): kept apart from the React components so it can be
// tested alone.
import type { Alg } from "../../bindings/Alg";
import type { AppType } from "../../bindings/AppType";
import type { AuthMethod } from "../../bindings/AuthMethod";
import type { ClientDefaults } from "../../bindings/ClientDefaults";
import type { ClientDraft } from "../../bindings/ClientDraft";
import type { ClientType } from "../../bindings/ClientType";
import type { ClientView } from "../../bindings/ClientView";
import type { GrantType } from "../../bindings/GrantType";
import { lines } from "../../lib/validation";

export const METHODS: AuthMethod[] = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];
export const ALGS: Alg[] = ["RS256", "PS256", "ES256"];

export interface Form {
  name: string;
  partner: string;
  appType: AppType;
  /** A service account's user, by user name. */
  associatedUser: string;
  type: ClientType;
  method: AuthMethod;
  redirects: string;
  logoutRedirects: string;
  scopes: string;
  claims: string;
  grants: GrantType[];
  consent: boolean;
  resourceServer: boolean;
  dpopBound: boolean;
  requirePar: boolean;
  publicKey: string;
  jwksUri: string;
  /** Blank: the profile's default (ES256 in the Banno profile, else RS256). */
  idTokenAlg: Alg | "";
  /** Blank keeps the framework default; a value may only shorten it. */
  accessLifetime: string;
  idLifetime: string;
  refreshDays: string;
  chainDays: string;
  /** DPoP-bound access tokens' seconds: blank lives as the access token. */
  boundLifetime: string;
}

export const emptyForm = (d: ClientDefaults): Form => ({
  name: "",
  partner: "",
  appType: "standard",
  associatedUser: "",
  type: "confidential",
  method: "client_secret_basic",
  redirects: "",
  logoutRedirects: "",
  scopes: d.scopes.join(" "),
  claims: "",
  grants: ["authorization_code", "refresh_token"],
  consent: true,
  resourceServer: false,
  dpopBound: false,
  requirePar: false,
  publicKey: "",
  jwksUri: "",
  idTokenAlg: "",
  accessLifetime: "",
  idLifetime: "",
  refreshDays: "",
  chainDays: "",
  boundLifetime: "",
});

/** What a service account is: client credentials with its key, as its user, no consent. */
export function asServiceAccount(f: Form): Form {
  return {
    ...f,
    appType: "service_account",
    type: "confidential",
    method: "private_key_jwt",
    grants: ["client_credentials"],
    consent: false,
    redirects: "",
    scopes: "openid",
  };
}

const num = (v: string, scale = 1): number | null => (v.trim() === "" ? null : Number(v) * scale);
const shown = (v: number, dflt: number, scale = 1): string => (v === dflt ? "" : String(v / scale));

export function toDraft(f: Form): ClientDraft {
  const keyed = f.method === "private_key_jwt";
  return {
    name: f.name,
    partner_name: f.partner || null,
    client_type: f.type,
    auth_method: f.method,
    redirect_uris: lines(f.redirects),
    scopes: lines(f.scopes, true),
    custom_claims: lines(f.claims),
    grant_types: f.grants,
    public_key: keyed && f.publicKey.trim() ? f.publicKey : null,
    consent_required: f.consent,
    resource_server: f.resourceServer,
    dpop_bound_access_tokens: f.dpopBound,
    require_pushed_authorization_requests: f.requirePar,
    lifetimes: {
      access_token: num(f.accessLifetime),
      id_token: num(f.idLifetime),
      refresh_token: num(f.refreshDays, 86_400),
      chain: num(f.chainDays, 86_400),
      bound_access_token: num(f.boundLifetime),
    },
    app_type: f.appType,
    associated_user: f.appType === "service_account" ? f.associatedUser.trim() || null : null,
    id_token_alg: f.idTokenAlg || null,
    jwks_uri: keyed && f.jwksUri.trim() ? f.jwksUri.trim() : null,
    post_logout_redirect_uris: lines(f.logoutRedirects),
  };
}

/** The form for editing an app; `username` names its associated user (its `sub` otherwise). */
export function fromView(c: ClientView, d: ClientDefaults, username?: string): Form {
  return {
    name: c.name,
    partner: c.partner_name ?? "",
    appType: c.app_type,
    associatedUser: username ?? c.associated_user ?? "",
    type: c.client_type,
    method: c.token_endpoint_auth_method,
    redirects: c.redirect_uris.join("\n"),
    logoutRedirects: c.post_logout_redirect_uris.join("\n"),
    scopes: c.scopes.join(" "),
    claims: c.custom_claims.join("\n"),
    grants: c.grant_types,
    consent: c.consent_required,
    resourceServer: c.resource_server,
    dpopBound: c.dpop_bound_access_tokens,
    requirePar: c.require_pushed_authorization_requests,
    publicKey: c.public_key ?? "",
    jwksUri: c.jwks_uri ?? "",
    idTokenAlg: c.id_token_alg,
    accessLifetime: shown(c.lifetimes.access_token, d.lifetimes.access_token),
    idLifetime: shown(c.lifetimes.id_token, d.lifetimes.id_token),
    refreshDays: shown(c.lifetimes.refresh_token, d.lifetimes.refresh_token, 86_400),
    chainDays: shown(c.lifetimes.chain, d.lifetimes.chain, 86_400),
    boundLifetime: shown(c.lifetimes.bound_access_token, c.lifetimes.access_token),
  };
}
