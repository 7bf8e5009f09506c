import { useCallback, useEffect, useState } from "react";
import { api, BackendError } from "../api";
import type { AuthMethod } from "../bindings/AuthMethod";
import type { ClientCreated } from "../bindings/ClientCreated";
import type { ClientDefaults } from "../bindings/ClientDefaults";
import type { ClientDraft } from "../bindings/ClientDraft";
import type { ClientType } from "../bindings/ClientType";
import type { ClientView } from "../bindings/ClientView";
import type { ConsoleStatus } from "../bindings/ConsoleStatus";
import type { GrantType } from "../bindings/GrantType";
import { byField, lines, quickChecks, type FieldMessages } from "../lib/validation";
import { formatTime, relative } from "../lib/jwt";
import { ConfirmAction, Copy, ErrorBox, Field, useNotify } from "./common";
import { impactText } from "../lib/impact";
import { stepList } from "../lib/search";
import type { Impact } from "../bindings/Impact";

const GRANTS: GrantType[] = ["authorization_code", "refresh_token", "client_credentials"];
const METHODS: AuthMethod[] = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];

interface Form {
  name: string;
  partner: string;
  type: ClientType;
  method: AuthMethod;
  redirects: string;
  scopes: string;
  claims: string;
  grants: GrantType[];
  consent: boolean;
  resourceServer: boolean;
  publicKey: string;
  /** Blank keeps the framework default; a value may only shorten it. */
  accessLifetime: string;
  idLifetime: string;
  refreshDays: string;
  chainDays: string;
}

const emptyForm = (d: ClientDefaults): Form => ({
  name: "",
  partner: "",
  type: "confidential",
  method: "client_secret_basic",
  redirects: "",
  scopes: d.scopes.join(" "),
  claims: "",
  grants: ["authorization_code", "refresh_token"],
  consent: true,
  resourceServer: false,
  publicKey: "",
  accessLifetime: "",
  idLifetime: "",
  refreshDays: "",
  chainDays: "",
});

const num = (v: string, scale = 1): number | null => (v.trim() === "" ? null : Number(v) * scale);
const shown = (v: number, dflt: number, scale = 1): string => (v === dflt ? "" : String(v / scale));

function toDraft(f: Form): ClientDraft {
  return {
    name: f.name,
    partner_name: f.partner || null,
    client_type: f.type,
    auth_method: f.method,
    redirect_uris: lines(f.redirects),
    scopes: lines(f.scopes, true),
    custom_claims: lines(f.claims),
    grant_types: f.grants,
    public_key: f.publicKey || null,
    consent_required: f.consent,
    resource_server: f.resourceServer,
    lifetimes: {
      access_token: num(f.accessLifetime),
      id_token: num(f.idLifetime),
      refresh_token: num(f.refreshDays, 86_400),
      chain: num(f.chainDays, 86_400),
    },
  };
}

function fromView(c: ClientView, d: ClientDefaults): Form {
  return {
    name: c.name,
    partner: c.partner_name ?? "",
    type: c.client_type,
    method: c.token_endpoint_auth_method,
    redirects: c.redirect_uris.join("\n"),
    scopes: c.scopes.join(" "),
    claims: c.custom_claims.join("\n"),
    grants: c.grant_types,
    consent: c.consent_required,
    resourceServer: c.resource_server,
    publicKey: c.public_key ?? "",
    accessLifetime: shown(c.lifetimes.access_token, d.lifetimes.access_token),
    idLifetime: shown(c.lifetimes.id_token, d.lifetimes.id_token),
    refreshDays: shown(c.lifetimes.refresh_token, d.lifetimes.refresh_token, 86_400),
    chainDays: shown(c.lifetimes.chain, d.lifetimes.chain, 86_400),
  };
}

export function Applications({ status, focus, onGrants }: { status: ConsoleStatus | null; focus: string | null; onGrants: (clientId: string) => void }) {
  const [search, setSearch] = useState("");
  const [list, setList] = useState<ClientView[]>([]);
  const [selected, setSelected] = useState<ClientView | null>(null);
  const [editing, setEditing] = useState<"new" | "edit" | null>(null);
  const [secret, setSecret] = useState<ClientCreated | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [defaults, setDefaults] = useState<ClientDefaults | null>(null);
  const reload = useCallback(() => api.clients.list(search).then(setList, setError), [search]);
  useEffect(() => {
    api.clients.defaults().then(setDefaults, setError);
  }, []);
  // Opened from the search on one app: show it.
  useEffect(() => {
    if (focus) api.clients.show(focus).then(setSelected, setError);
  }, [focus]);
  useEffect(() => {
    reload();
  }, [reload]);

  // The detail comes from the store with why the app's calls may fail (the list has no why).
  const select = (id: string) => api.clients.show(id).then(setSelected, setError);
  const notify = useNotify();
  const act = async (f: () => Promise<unknown>, reselect = true, done?: string) => {
    setError(null);
    try {
      await f();
      if (done) notify(done);
      await reload();
      if (reselect && selected) await select(selected.client_id);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section>
      <header className="screen-header">
        <h1>Applications</h1>
        <input id="app-search" placeholder="Search by name or client id" value={search} onChange={(e) => setSearch(e.target.value)} />
        <button id="app-new" className="primary" onClick={() => { setEditing("new"); setSelected(null); setSecret(null); }}>
          New application
        </button>
      </header>
      <ErrorBox error={error} />
      {secret && <SecretOnce created={secret} onDone={() => setSecret(null)} />}
      <div className="split">
        <table
          className="list"
          id="app-list"
          tabIndex={0}
          title="↑ ↓ move through the applications"
          onKeyDown={(e) => {
            const next = stepList(e.key, list, (c) => c.client_id === selected?.client_id);
            if (!next) return;
            e.preventDefault();
            select(next.client_id);
            setEditing(null);
          }}
        >
          <thead>
            <tr><th>Name</th><th>Type</th><th>Auth method</th><th>State</th></tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.client_id} className={selected?.client_id === c.client_id ? "selected" : ""} onClick={() => { select(c.client_id); setEditing(null); }}>
                <td><strong>{c.name}</strong><div className="mono dim nowrap" title={c.client_id}>{c.client_id.slice(0, 8)}…</div></td>
                <td>{c.client_type}</td>
                <td>{c.token_endpoint_auth_method}</td>
                <td>{c.enabled ? <span className="state state-active">enabled</span> : <span className="state state-revoked">disabled</span>}</td>
              </tr>
            ))}
            {list.length === 0 && <tr><td colSpan={4} className="dim">No applications yet. Create one to get a client id and secret.</td></tr>}
          </tbody>
        </table>
        <div className="panel">
          {editing && defaults && (
            <ClientForm
              key={editing + (selected?.client_id ?? "")}
              initial={editing === "edit" && selected ? fromView(selected, defaults) : emptyForm(defaults)}
              defaults={defaults}
              submitLabel={editing === "new" ? "Create application" : "Save changes"}
              onCancel={() => setEditing(null)}
              onSubmit={async (draft) => {
                const r = editing === "new" ? await api.clients.create(draft) : await api.clients.update(selected!.client_id, draft);
                setEditing(null);
                setSelected(r);
                if (r.client_secret) setSecret(r);
                await reload();
              }}
            />
          )}
          {!editing && selected && (
            <ClientDetail
              client={selected}
              issuer={status?.issuer ?? ""}
              onEdit={() => setEditing("edit")}
              onToggle={(reason) => act(async () => setSelected(await api.clients.setEnabled(selected.client_id, !selected.enabled, reason)), true, `${selected.name} ${selected.enabled ? "disabled" : "enabled again"}`)}
              now={status?.clock.now ?? null}
              onRotate={(overlap, reason) => act(async () => { const r = await api.clients.rotateSecret(selected.client_id, overlap, reason); setSelected(r); setSecret(r); }, true, `New secret for ${selected.name}`)}
              onDelete={(reason) => act(async () => { await api.clients.remove(selected.client_id, reason); setSelected(null); }, false, `${selected.name} deleted`)}
              onGrants={() => onGrants(selected.client_id)}
            />
          )}
          {!editing && !selected && <p className="dim">Select an application, or create a new one.</p>}
        </div>
      </div>
    </section>
  );
}

function SecretOnce({ created, onDone }: { created: ClientCreated; onDone: () => void }) {
  return (
    <div className="secret-once" id="secret-once">
      <h2>Client secret for {created.name}</h2>
      <p className="warning">This is the only time the secret is shown. Copy it now and store it safely; Authdesk keeps only a hash and cannot show it again.</p>
      <div className="secret-row">
        <code id="secret-value">{created.client_secret}</code>
        <Copy text={created.client_secret ?? ""} id="secret-copy" />
      </div>
      <div className="secret-row"><span className="dim">client_id</span> <code id="secret-client-id">{created.client_id}</code></div>
      <button id="secret-done" onClick={onDone}>I have stored it</button>
    </div>
  );
}

function ClientForm({ initial, defaults, submitLabel, onSubmit, onCancel }: { initial: Form; defaults: ClientDefaults; submitLabel: string; onSubmit: (d: ClientDraft) => Promise<void>; onCancel: () => void }) {
  const lt = defaults.lifetimes;
  const [f, setF] = useState<Form>(initial);
  const [fields, setFields] = useState<FieldMessages>({});
  const [error, setError] = useState<unknown>(null);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF({ ...f, [k]: v });
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
  return (
    <form className="client-form" id="client-form" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <ErrorBox error={error} />
      <Field label="Name" errors={fields.name}><input id="f-name" value={f.name} onChange={(e) => set("name", e.target.value)} /></Field>
      <Field label="Partner" errors={fields.partner_name}><input id="f-partner" value={f.partner} onChange={(e) => set("partner", e.target.value)} /></Field>
      <div className="row">
        <Field label="Client type" errors={fields.client_type}>
          <select id="f-type" value={f.type} onChange={(e) => { const type = e.target.value as ClientType; setF({ ...f, type, method: type === "public" ? "none" : "client_secret_basic" }); }}>
            <option value="confidential">confidential (has a secret or key)</option>
            <option value="public">public (mobile/SPA, PKCE)</option>
          </select>
        </Field>
        <Field label="Token endpoint auth method" errors={fields.auth_method}>
          <select id="f-method" value={f.method} onChange={(e) => set("method", e.target.value as AuthMethod)}>
            {METHODS.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </Field>
      </div>
      <Field label="Redirect URIs (one per line, exact match)" errors={fields.redirect_uris}>
        <textarea id="f-redirects" rows={3} value={f.redirects} onChange={(e) => set("redirects", e.target.value)} placeholder="https://app.example.com/callback" />
      </Field>
      <Field label="Allowed scopes (space separated)" errors={fields.scopes}><input id="f-scopes" value={f.scopes} onChange={(e) => set("scopes", e.target.value)} /></Field>
      <Field label="Custom claims the app may receive (one URI per line)" errors={fields.custom_claims}>
        <textarea id="f-claims" rows={2} value={f.claims} onChange={(e) => set("claims", e.target.value)} placeholder="https://api.banno.com/consumer/claim/institution_id" />
      </Field>
      <Field label="Grant types" errors={fields.grant_types}>
        <div className="checks">
          {GRANTS.map((g) => (
            <label key={g}>
              <input type="checkbox" id={`f-grant-${g}`} checked={f.grants.includes(g)} onChange={(e) => set("grants", e.target.checked ? [...f.grants, g] : f.grants.filter((x) => x !== g))} /> {g}
            </label>
          ))}
        </div>
      </Field>
      {f.method === "private_key_jwt" && (
        <Field label="Public key (PEM or JWKS)" errors={fields.public_key}>
          <textarea id="f-key" rows={4} value={f.publicKey} onChange={(e) => set("publicKey", e.target.value)} />
        </Field>
      )}
      <div className="row">
        <Field label="Consent">
          <label className="inline"><input type="checkbox" id="f-consent" checked={f.consent} onChange={(e) => set("consent", e.target.checked)} /> ask the user to approve</label>
        </Field>
        <Field label="Resource server" errors={fields.resource_server}>
          <label className="inline"><input type="checkbox" id="f-resource-server" checked={f.resourceServer} onChange={(e) => set("resourceServer", e.target.checked)} /> may introspect other apps' access tokens</label>
        </Field>
      </div>
      <Field label="Shorter lifetimes (blank = the framework's maximum)" errors={fields.lifetimes}>
        <div className="row">
          <input id="f-access-lifetime" placeholder={`access token s (${lt.access_token})`} value={f.accessLifetime} onChange={(e) => set("accessLifetime", e.target.value)} />
          <input id="f-id-lifetime" placeholder={`ID token s (${lt.id_token})`} value={f.idLifetime} onChange={(e) => set("idLifetime", e.target.value)} />
          <input id="f-refresh-days" placeholder={`refresh token days (${lt.refresh_token / 86_400})`} value={f.refreshDays} onChange={(e) => set("refreshDays", e.target.value)} />
          <input id="f-chain-days" placeholder={`chain days (${lt.chain / 86_400})`} value={f.chainDays} onChange={(e) => set("chainDays", e.target.value)} />
        </div>
      </Field>
      <div className="actions">
        <button type="submit" className="primary" id="f-submit">{submitLabel}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

function ClientDetail({ client, issuer, now, onEdit, onToggle, onRotate, onDelete, onGrants }: { client: ClientView; issuer: string; now: string | null; onEdit: () => void; onToggle: (reason: string | null) => void; onRotate: (overlap: string | null, reason: string | null) => void; onDelete: (reason: string) => void; onGrants: () => void }) {
  const [asking, setAsking] = useState<"disable-app" | "delete-app" | null>(null);
  const [impact, setImpact] = useState<Impact | null>(null);
  const [rotating, setRotating] = useState(false);
  const [overlap, setOverlap] = useState("");
  const [rotateReason, setRotateReason] = useState("");
  // Before a disable or delete: what it touches, from the store.
  const ask = (what: "disable-app" | "delete-app") => {
    setImpact(null);
    setAsking(what);
    api.grants.preview({ client_id: client.client_id, sub: null, grant_id: null, limit: 1, offset: 0 }).then(setImpact, () => setImpact({ grants: 0, refresh_tokens: 0, access_tokens: 0 }));
  };
  const oldUntil = client.previous_secret_until;
  const oldWorks = oldUntil !== null && now !== null && Date.parse(oldUntil) > Date.parse(now);
  const flow = client.grant_types.includes("authorization_code")
    ? `${issuer}/authorize?response_type=code&client_id=${client.client_id}&redirect_uri=${encodeURIComponent(client.redirect_uris[0] ?? "")}&scope=${encodeURIComponent(client.scopes.join(" "))}&state=RANDOM&code_challenge=S256_OF_VERIFIER&code_challenge_method=S256`
    : `curl -u ${client.client_id}:$CLIENT_SECRET -d grant_type=client_credentials ${issuer}/token`;
  return (
    <div className="detail" id="app-detail">
      <h2>{client.name} {!client.enabled && <span className="state state-revoked">disabled</span>}</h2>
      {client.trouble.map((line) => <p className="why" key={line} data-why="app">{line}</p>)}
      <dl>
        <dt>client_id</dt><dd className="mono">{client.client_id} <Copy text={client.client_id} /></dd>
        <dt>type</dt><dd>{client.client_type}, {client.token_endpoint_auth_method}</dd>
        <dt>redirect URIs</dt><dd className="mono">{client.redirect_uris.join("\n") || "—"}</dd>
        <dt>scopes</dt><dd className="mono">{client.scopes.join(" ")}</dd>
        <dt>grant types</dt><dd>{client.grant_types.join(", ")}</dd>
        <dt>consent</dt><dd>{client.consent_required ? "required" : "not asked"}</dd>
        <dt>introspection</dt><dd>{client.resource_server ? "other apps' tokens too (resource server)" : "its own tokens only"}</dd>
        <dt>issuer</dt><dd className="mono">{issuer}</dd>
        <dt>discovery</dt><dd className="mono">{issuer}/.well-known/openid-configuration</dd>
        {oldWorks && (
          <>
            <dt>old secret</dt>
            <dd id="app-old-secret">still works until {formatTime(oldUntil)} ({relative(oldUntil!, now!)}), then only the new one</dd>
          </>
        )}
      </dl>
      <h3>Example</h3>
      <pre className="example">{flow}</pre>
      <div className="actions">
        <button onClick={onEdit} id="app-edit">Edit</button>
        <button onClick={onGrants} id="app-grants">Its grants</button>
        {client.token_endpoint_auth_method.startsWith("client_secret") && !rotating && <button onClick={() => setRotating(true)} id="app-rotate">Rotate secret</button>}
        {client.enabled
          ? <button onClick={() => ask("disable-app")} id="app-toggle">Disable…</button>
          : <button onClick={() => onToggle(null)} id="app-toggle" title="Undo the disable">Enable again</button>}
        <button className="danger" onClick={() => ask("delete-app")} id="app-delete">Delete…</button>
      </div>
      {asking && (
        <ConfirmAction
          key={asking}
          id={asking === "disable-app" ? "disable-confirm" : "delete-confirm"}
          title={asking === "disable-app" ? `Disable ${client.name}?` : `Delete ${client.name} for good?`}
          impact={impact && impactText(asking, impact)}
          confirmLabel={asking === "disable-app" ? "Disable" : "Delete for good"}
          onCancel={() => setAsking(null)}
          onConfirm={(reason) => {
            setAsking(null);
            if (asking === "disable-app") onToggle(reason);
            else onDelete(reason);
          }}
        />
      )}
      {rotating && (
        <div className="confirm-panel" id="rotate-confirm">
          <label className="inline">
            A new secret for {client.name}; the old one{" "}
            <select id="rotate-overlap" value={overlap} onChange={(e) => setOverlap(e.target.value)}>
              <option value="">stops working now</option>
              <option value="1h">keeps working 1 hour</option>
              <option value="24h">keeps working 24 hours</option>
              <option value="7d">keeps working 7 days</option>
            </select>
          </label>
          <input id="rotate-reason" className="reason" placeholder="reason (kept in the audit log)" value={rotateReason} onChange={(e) => setRotateReason(e.target.value)} />
          <p className="dim" id="rotate-impact">
            {overlap === "" ? "The app fails until it is redeployed with the new secret." : "Time to redeploy the app with the new secret; after that only the new one works."}
          </p>
          <div className="actions">
            <button className="primary" onClick={() => { setRotating(false); onRotate(overlap || null, rotateReason || null); }} id="rotate-go">Rotate secret</button>
            <button onClick={() => setRotating(false)}>Cancel</button>
          </div>
        </div>
      )}
    </div>
  );
}
