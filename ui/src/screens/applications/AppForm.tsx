import { useState } from "react";
import { BackendError } from "../../api";
import type { Alg } from "../../bindings/Alg";
import type { AuthMethod } from "../../bindings/AuthMethod";
import type { ClientDefaults } from "../../bindings/ClientDefaults";
import type { ClientDraft } from "../../bindings/ClientDraft";
import type { ClientType } from "../../bindings/ClientType";
import type { Profile } from "../../bindings/Profile";
import { byField, quickChecks, type FieldMessages } from "../../lib/validation";
import { ErrorBox, Field } from "../common";
import { ALGS, METHODS, asServiceAccount, toDraft, type Form } from "./form";

/** Create or edit an application: a standard app or a service account, its ID-token
 *  algorithm, keys (PEM/JWKS or a JWKS URI), redirect and logout URIs, claims, lifetimes. */
export function AppForm({
  initial,
  defaults,
  profile,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial: Form;
  defaults: ClientDefaults;
  profile: Profile;
  submitLabel: string;
  onSubmit: (d: ClientDraft) => Promise<void>;
  onCancel: () => void;
}) {
  const lt = defaults.lifetimes;
  const [f, setF] = useState<Form>(initial);
  const [fields, setFields] = useState<FieldMessages>({});
  const [error, setError] = useState<unknown>(null);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF({ ...f, [k]: v });
  const service = f.appType === "service_account";
  const submit = async () => {
    const draft = toDraft(f);
    const local = quickChecks({ name: draft.name, redirect_uris: draft.redirect_uris });
    setFields(byField(local));
    setError(null);
    if (local.length) return;
    try {
      await onSubmit(draft);
    } catch (e) {
      if (e instanceof BackendError && e.code === "invalid_input") setFields(byField(e.fields));
      else setError(e);
    }
  };
  const profileAlg = profile === "banno" ? "ES256" : "RS256";
  return (
    <form
      className="client-form"
      id="client-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <ErrorBox error={error} />
      <Field label="Name" errors={fields.name}>
        <input id="f-name" value={f.name} onChange={(e) => set("name", e.target.value)} />
      </Field>
      <div className="row">
        <Field label="Partner" errors={fields.partner_name}>
          <input id="f-partner" value={f.partner} onChange={(e) => set("partner", e.target.value)} />
        </Field>
        <Field label="Application type" errors={fields.app_type}>
          <select
            id="f-app-type"
            value={f.appType}
            onChange={(e) =>
              setF(
                e.target.value === "service_account"
                  ? asServiceAccount(f)
                  : {
                      ...f,
                      appType: "standard",
                      method: "client_secret_basic",
                      grants: ["authorization_code", "refresh_token"],
                      consent: true,
                      scopes: defaults.scopes.join(" "),
                    },
              )
            }
          >
            <option value="standard">standard (a person signs in)</option>
            <option value="service_account">service account (client credentials)</option>
          </select>
        </Field>
      </div>
      {service && (
        <Field
          label="Associated user (user name)"
          errors={fields.associated_user}
          hint="Its access tokens carry this person as sub; deleting them ends the tokens."
        >
          <input id="f-associated-user" value={f.associatedUser} onChange={(e) => set("associatedUser", e.target.value)} placeholder="integration-bot" />
        </Field>
      )}
      {!service && (
        <div className="row">
          <Field label="Client type" errors={fields.client_type}>
            <select
              id="f-type"
              value={f.type}
              onChange={(e) => {
                const type = e.target.value as ClientType;
                setF({ ...f, type, method: type === "public" ? "none" : "client_secret_basic" });
              }}
            >
              <option value="confidential">confidential (has a secret or key)</option>
              <option value="public">public (mobile/SPA, PKCE)</option>
            </select>
          </Field>
          <Field label="Token endpoint auth method" errors={fields.auth_method}>
            <select id="f-method" value={f.method} onChange={(e) => set("method", e.target.value as AuthMethod)}>
              {METHODS.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </Field>
        </div>
      )}
      {f.method === "private_key_jwt" && (
        <div className="row">
          <Field label="Public key (PEM or JWKS)" errors={fields.public_key}>
            <textarea id="f-key" rows={3} value={f.publicKey} onChange={(e) => set("publicKey", e.target.value)} disabled={f.jwksUri.trim() !== ""} />
          </Field>
          <Field label="…or its JWKS URI" errors={fields.jwks_uri} hint="Fetched when needed, again at most once a minute for a new kid.">
            <input
              id="f-jwks-uri"
              value={f.jwksUri}
              onChange={(e) => set("jwksUri", e.target.value)}
              placeholder="https://app.example.com/.well-known/jwks.json"
              disabled={f.publicKey.trim() !== ""}
            />
          </Field>
        </div>
      )}
      {!service && (
        <>
          <Field label="Redirect URIs (one per line, exact match)" errors={fields.redirect_uris}>
            <textarea
              id="f-redirects"
              rows={2}
              value={f.redirects}
              onChange={(e) => set("redirects", e.target.value)}
              placeholder="https://app.example.com/callback"
            />
          </Field>
          <Field label="After sign-out, back to (one per line, exact match)" errors={fields.post_logout_redirect_uris}>
            <textarea
              id="f-logout-redirects"
              rows={1}
              value={f.logoutRedirects}
              onChange={(e) => set("logoutRedirects", e.target.value)}
              placeholder="https://app.example.com/signed-out"
            />
          </Field>
        </>
      )}
      <div className="row">
        <Field label="Allowed scopes (space separated)" errors={fields.scopes}>
          <input id="f-scopes" value={f.scopes} onChange={(e) => set("scopes", e.target.value)} />
        </Field>
        {!service && (
          <Field label="ID token algorithm" errors={fields.id_token_alg}>
            <select id="f-id-alg" value={f.idTokenAlg} onChange={(e) => set("idTokenAlg", e.target.value as Alg | "")}>
              <option value="">profile default ({profileAlg})</option>
              {ALGS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </Field>
        )}
      </div>
      {!service && (
        <Field
          label="Restricted claims this app may request (one URI per line)"
          errors={fields.custom_claims}
          hint="Public claims (institution_id, …) need no entry; every custom claim must be asked for with the claims parameter."
        >
          <textarea
            id="f-claims"
            rows={2}
            value={f.claims}
            onChange={(e) => set("claims", e.target.value)}
            placeholder="https://api.banno.com/consumer/claim/customer_identifier"
          />
        </Field>
      )}
      {!service && (
        <Field label="Grant types" errors={fields.grant_types}>
          <div className="checks">
            {defaults.grant_types.map((g) => (
              <label key={g}>
                <input
                  type="checkbox"
                  id={`f-grant-${g}`}
                  checked={f.grants.includes(g)}
                  onChange={(e) => set("grants", e.target.checked ? [...f.grants, g] : f.grants.filter((x) => x !== g))}
                />{" "}
                {g}
              </label>
            ))}
          </div>
        </Field>
      )}
      {!service && (
        <div className="row">
          <Field label="Consent">
            <label className="inline">
              <input type="checkbox" id="f-consent" checked={f.consent} onChange={(e) => set("consent", e.target.checked)} /> ask the user to approve
            </label>
          </Field>
          <Field label="Resource server" errors={fields.resource_server}>
            <label className="inline">
              <input type="checkbox" id="f-resource-server" checked={f.resourceServer} onChange={(e) => set("resourceServer", e.target.checked)} /> may
              introspect other apps' access tokens
            </label>
          </Field>
        </div>
      )}
      <div className="row">
        <Field label="DPoP" errors={fields.dpop_bound_access_tokens}>
          <label className="inline">
            <input type="checkbox" id="f-dpop-bound" checked={f.dpopBound} onChange={(e) => set("dpopBound", e.target.checked)} /> every token request must
            prove a key (RFC 9449): its tokens are useless to anyone without it
          </label>
        </Field>
        <Field label="Pushed requests" errors={fields.require_pushed_authorization_requests}>
          <label className="inline">
            <input type="checkbox" id="f-require-par" checked={f.requirePar} onChange={(e) => set("requirePar", e.target.checked)} /> sign-ins start with a
            request the app pushed first (RFC 9126 PAR)
          </label>
        </Field>
      </div>
      <Field label="Shorter lifetimes (blank = the framework's maximum)" errors={fields.lifetimes}>
        <div className="row">
          <input
            id="f-access-lifetime"
            placeholder={`access token s (${lt.access_token})`}
            value={f.accessLifetime}
            onChange={(e) => set("accessLifetime", e.target.value)}
          />
          <input id="f-id-lifetime" placeholder={`ID token s (${lt.id_token})`} value={f.idLifetime} onChange={(e) => set("idLifetime", e.target.value)} />
          <input
            id="f-refresh-days"
            placeholder={`refresh token days (${lt.refresh_token / 86_400})`}
            value={f.refreshDays}
            onChange={(e) => set("refreshDays", e.target.value)}
          />
          <input id="f-chain-days" placeholder={`chain days (${lt.chain / 86_400})`} value={f.chainDays} onChange={(e) => set("chainDays", e.target.value)} />
        </div>
      </Field>
      <Field label={`DPoP-bound access tokens live (s): blank = as the access token; at most ${defaults.bound_access_token_max}`} errors={fields.lifetimes}>
        <input
          id="f-bound-lifetime"
          placeholder={`as the access token (${f.accessLifetime || lt.access_token})`}
          value={f.boundLifetime}
          onChange={(e) => set("boundLifetime", e.target.value)}
        />
      </Field>
      <div className="actions">
        <button type="submit" className="primary" id="f-submit">
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
