import { useEffect, useState } from "react";
import { useCan } from "../lib/desk";
import { api } from "../api";
import type { ClockView } from "../bindings/ClockView";
import type { ClientView } from "../bindings/ClientView";
import type { TokenResponse } from "../bindings/TokenResponse";
import type { UserView } from "../bindings/UserView";
import { decodeJwt, timeClaims } from "../lib/jwt";
import type { Impact } from "../bindings/Impact";
import { impactText } from "../lib/impact";
import { ConfirmAction, ErrorBox, Copy } from "./common";

export function Sandbox({ onClockChange, onGrants, onChain }: { onClockChange: () => void; onGrants: (sub: string) => void; onChain: (grantId: string) => void }) {
  const can = useCan();
  return (
    <section>
      <header className="screen-header"><h1>Sandbox</h1></header>
      <div className="grid2">
        <Users onGrants={onGrants} canEdit={can("manage_people")} />
        {can("sandbox_tools") && <Clock onChange={onClockChange} />}
        {can("sandbox_tools") && <Mint onChain={onChain} />}
      </div>
    </section>
  );
}

function Users({ onGrants, canEdit }: { onGrants: (sub: string) => void; canEdit: boolean }) {
  const [users, setUsers] = useState<UserView[]>([]);
  const [form, setForm] = useState({ username: "", password: "", claims: '{"name": "Ada Lovelace", "email": "ada@example.com"}' });
  const [editing, setEditing] = useState<{ sub: string; claims: string } | null>(null);
  const [deleting, setDeleting] = useState<{ user: UserView; impact: Impact | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const askDelete = (user: UserView) => {
    setDeleting({ user, impact: null });
    api.grants.preview({ client_id: null, sub: user.sub, grant_id: null, limit: 1, offset: 0 }).then(
      (impact) => setDeleting({ user, impact }),
      setError,
    );
  };
  const reload = () => api.users.list().then(setUsers, setError);
  useEffect(() => {
    reload();
  }, []);
  const parse = (s: string) => {
    try {
      return JSON.parse(s || "{}");
    } catch {
      throw new Error("claims must be a JSON object");
    }
  };
  return (
    <div className="card">
      <h2>Test users</h2>
      <ErrorBox error={error} />
      <table className="list compact" id="user-list">
        <tbody>
          {users.map((u) => (
            <tr key={u.sub}>
              <td><strong>{u.username}</strong><div className="mono dim">{u.sub}</div></td>
              <td className="mono dim">{Object.keys(u.claims).join(", ")}</td>
              <td>
                <button className="small" id={`user-grants-${u.username}`} onClick={() => onGrants(u.sub)}>Grants</button>
                {canEdit && <button className="small" onClick={() => setEditing({ sub: u.sub, claims: JSON.stringify(u.claims, null, 1) })}>Claims</button>}
                {canEdit && <button className="small danger" id={`user-delete-${u.username}`} onClick={() => askDelete(u)}>Delete…</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {deleting && (
        <ConfirmAction
          id="user-delete"
          title={`Delete ${deleting.user.username}?`}
          impact={deleting.impact && impactText("delete-user", deleting.impact)}
          confirmLabel="Delete"
          onCancel={() => setDeleting(null)}
          onConfirm={(reason) => {
            setDeleting(null);
            api.users.remove(deleting.user.sub, reason).then(reload, setError);
          }}
        />
      )}
      {editing && (
        <div className="inline-form">
          <textarea rows={4} value={editing.claims} onChange={(e) => setEditing({ ...editing, claims: e.target.value })} />
          <button onClick={() => { try { api.users.setClaims(editing.sub, parse(editing.claims)).then(() => { setEditing(null); reload(); }, setError); } catch (e) { setError(e); } }}>Save claims</button>
        </div>
      )}
      {canEdit && <div className="inline-form">
        <input id="user-name" placeholder="user name" value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
        <input id="user-password" placeholder="password (8+ characters)" type="password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
        <textarea id="user-claims" rows={2} value={form.claims} onChange={(e) => setForm({ ...form, claims: e.target.value })} />
        <button id="user-create" onClick={() => { try { api.users.create(form.username, form.password, parse(form.claims)).then(() => { setForm({ ...form, username: "", password: "" }); reload(); }, setError); } catch (e) { setError(e); } }}>Add user</button>
      </div>}
    </div>
  );
}

/** The moments the token rules turn on: an access token's 10 minutes, a refresh token's 90
 *  days, a chain's year. */
const PRESETS: [string, string][] = [
  ["+10 min", "10m"],
  ["+90 days", "90d"],
  ["+1 year", "1y"],
];

function Clock({ onChange }: { onChange: () => void }) {
  const [duration, setDuration] = useState("91d");
  const [shown, setShown] = useState<string>("");
  const [error, setError] = useState<unknown>(null);
  const done = (v: ClockView) => {
    setShown(`now ${v.now.slice(0, 19).replace("T", " ")} UTC (offset ${Math.round(v.offset_seconds / 86400)} d)`);
    onChange();
  };
  return (
    <div className="card">
      <h2>Sandbox clock</h2>
      <p className="dim">Moves the time every token rule sees, here and in the running server: 10m, 90d, 1y…</p>
      <ErrorBox error={error} />
      <div className="inline-form">
        <input id="clock-duration" value={duration} onChange={(e) => setDuration(e.target.value)} />
        <button id="clock-advance" onClick={() => api.sandbox.clockAdvance(duration).then(done, setError)}>Advance</button>
        <button id="clock-reset" onClick={() => api.sandbox.clockReset().then(done, setError)}>Reset</button>
      </div>
      <div className="actions" aria-label="presets">
        {PRESETS.map(([label, by]) => (
          <button key={by} id={`clock-preset-${by}`} className="small" onClick={() => api.sandbox.clockAdvance(by).then(done, setError)}>
            {label}
          </button>
        ))}
      </div>
      {shown && <p id="clock-shown">{shown}</p>}
    </div>
  );
}

function Mint({ onChain }: { onChain: (grantId: string) => void }) {
  const [clients, setClients] = useState<ClientView[]>([]);
  const [users, setUsers] = useState<UserView[]>([]);
  const [clientId, setClientId] = useState("");
  const [sub, setSub] = useState("");
  const [scope, setScope] = useState("openid profile offline_access");
  const [result, setResult] = useState<TokenResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.clients.list("").then(setClients, setError);
    api.users.list().then(setUsers, setError);
  }, []);
  return (
    <div className="card wide">
      <h2>Mint tokens without a browser</h2>
      <ErrorBox error={error} />
      <div className="inline-form">
        <select id="mint-client" value={clientId} onChange={(e) => setClientId(e.target.value)}>
          <option value="">application…</option>
          {clients.map((c) => <option key={c.client_id} value={c.client_id}>{c.name}</option>)}
        </select>
        <select id="mint-user" value={sub} onChange={(e) => setSub(e.target.value)}>
          <option value="">no user (client credentials)</option>
          {users.map((u) => <option key={u.sub} value={u.sub}>{u.username}</option>)}
        </select>
        <input id="mint-scope" value={scope} onChange={(e) => setScope(e.target.value)} />
        <button id="mint-go" className="primary" onClick={() => { setError(null); api.sandbox.mint(clientId, sub || null, scope).then(setResult, setError); }}>Mint</button>
      </div>
      {result && (
        <div className="tokens">
          <p>expires_in {result.expires_in} s · scope <code>{result.scope}</code></p>
          {(["access_token", "id_token"] as const).map((k) => {
            const t = result[k];
            const d = t ? decodeJwt(t) : null;
            return t && d ? (
              <details key={k} open>
                <summary>{k} <Copy text={t} id={`copy-${k}`} /></summary>
                <p className="dim" id={`times-${k}`}>{timeClaims(d.payload).map(([c, at]) => `${c} ${at}`).join(" · ")}</p>
                <pre className="example">{JSON.stringify(d.header)}{"\n"}{JSON.stringify(d.payload, null, 2)}</pre>
              </details>
            ) : null;
          })}
          {result.refresh_token && (
            <p>
              refresh_token <code className="mono">{result.refresh_token}</code> <Copy text={result.refresh_token} id="copy-refresh_token" />{" "}
              <button className="small" id="mint-chain" onClick={() => api.grants.findByToken(result.refresh_token!).then((g) => onChain(g.grant_id), setError)}>Its chain</button>
            </p>
          )}
        </div>
      )}
    </div>
  );
}
