import { describe, expect, it } from "vitest";
import type { ClientDefaults } from "../../bindings/ClientDefaults";
import type { ClientView } from "../../bindings/ClientView";
import type { IssuerInfo } from "../../bindings/IssuerInfo";
import { asServiceAccount, emptyForm, fromView, toDraft } from "./form";
import { example, issuersFor } from "./AppDetail";

const defaults: ClientDefaults = {
  scopes: ["openid", "profile", "email", "offline_access"],
  lifetimes: { access_token: 600, id_token: 3600, refresh_token: 7_776_000, chain: 31_536_000, authorization_code: 60, bound_access_token: 600 },
  grant_types: ["authorization_code", "client_credentials", "refresh_token"],
  bound_access_token_max: 3600,
};

const issuers: IssuerInfo[] = [
  {
    kind: "consumer",
    issuer: "https://bank/a/consumer/api/v0/oidc",
    discovery: "https://bank/a/consumer/api/v0/oidc/.well-known/openid-configuration",
    authorization_endpoint: "https://bank/a/consumer/api/v0/oidc/auth",
    token_endpoint: "https://bank/a/consumer/api/v0/oidc/token",
  },
  {
    kind: "enterprise",
    issuer: "https://bank/a/oidc-provider/api/v0",
    discovery: "https://bank/a/oidc-provider/api/v0/.well-known/openid-configuration",
    authorization_endpoint: "https://bank/a/oidc-provider/api/v0/auth",
    token_endpoint: "https://bank/a/oidc-provider/api/v0/token",
  },
];

describe("the application form", () => {
  it("makes a service account a client-credentials app with its key and user", () => {
    const f = {
      ...asServiceAccount({ ...emptyForm(defaults), name: "Sync", redirects: "https://x/cb" }),
      associatedUser: " bot ",
      jwksUri: "https://app/jwks",
    };
    const d = toDraft(f);
    expect(d.app_type).toBe("service_account");
    expect(d.auth_method).toBe("private_key_jwt");
    expect(d.grant_types).toEqual(["client_credentials"]);
    expect(d.associated_user).toBe("bot");
    expect(d.jwks_uri).toBe("https://app/jwks");
    expect(d.public_key).toBeNull();
    expect(d.redirect_uris).toEqual([]);
    expect(d.consent_required).toBe(false);
  });

  it("leaves the ID-token algorithm to the profile unless chosen, and keeps logout URIs", () => {
    const f = { ...emptyForm(defaults), name: "App", redirects: "https://a/cb", logoutRedirects: "https://a/bye\n\nhttps://a/bye2" };
    expect(toDraft(f).id_token_alg).toBeNull();
    expect(toDraft({ ...f, idTokenAlg: "PS256" }).id_token_alg).toBe("PS256");
    expect(toDraft(f).post_logout_redirect_uris).toEqual(["https://a/bye", "https://a/bye2"]);
    // Keys only travel with private_key_jwt.
    expect(toDraft({ ...f, jwksUri: "https://a/jwks" }).jwks_uri).toBeNull();
  });

  it("edits an app as it is", () => {
    const view = {
      client_id: "c1",
      name: "App",
      partner_name: null,
      client_type: "confidential",
      token_endpoint_auth_method: "client_secret_post",
      redirect_uris: ["https://a/cb"],
      scopes: ["openid"],
      custom_claims: [],
      grant_types: ["authorization_code"],
      consent_required: false,
      resource_server: false,
      dpop_bound_access_tokens: false,
      require_pushed_authorization_requests: false,
      enabled: true,
      has_public_key: false,
      public_key: null,
      lifetimes: defaults.lifetimes,
      secret_rotated_at: null,
      previous_secret_until: null,
      app_type: "standard",
      associated_user: null,
      id_token_alg: "ES256",
      jwks_uri: null,
      post_logout_redirect_uris: ["https://a/bye"],
      trouble: [],
      created_at: "",
      updated_at: "",
    } as ClientView;
    const f = fromView(view, defaults);
    expect(f.idTokenAlg).toBe("ES256");
    const d = toDraft(f);
    expect(d.id_token_alg).toBe("ES256");
    expect(d.post_logout_redirect_uris).toEqual(["https://a/bye"]);
    expect(d.auth_method).toBe("client_secret_post");
    // Bound tokens living as the access token leave the field blank; a longer life shows.
    expect(f.boundLifetime).toBe("");
    expect(d.lifetimes.bound_access_token).toBeNull();
    const longer = fromView({ ...view, lifetimes: { ...defaults.lifetimes, bound_access_token: 1800 } }, defaults);
    expect(longer.boundLifetime).toBe("1800");
    expect(toDraft(longer).lifetimes.bound_access_token).toBe(1800);
  });
});

describe("where an app is used", () => {
  const standard = {
    client_id: "c1",
    app_type: "standard",
    grant_types: ["authorization_code"],
    redirect_uris: ["https://a/cb"],
    scopes: ["openid"],
  } as unknown as ClientView;
  const service = { ...standard, app_type: "service_account", grant_types: ["client_credentials"] } as ClientView;
  it("shows a service account the enterprise issuer, other apps every issuer", () => {
    expect(issuersFor(service, issuers).map((i) => i.kind)).toEqual(["enterprise"]);
    expect(issuersFor(standard, issuers).map((i) => i.kind)).toEqual(["consumer", "enterprise"]);
  });
  it("gives the profile's endpoint names in the example", () => {
    expect(example(standard, issuers[0])).toMatch(/^https:\/\/bank\/a\/consumer\/api\/v0\/oidc\/auth\?response_type=code/);
    expect(example(service, issuers[1])).toContain("https://bank/a/oidc-provider/api/v0/token");
    expect(example(service, issuers[1])).toContain('"alg":"PS256"');
  });
});
