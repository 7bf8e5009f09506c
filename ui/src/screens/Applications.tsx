import { useCallback, useContext, useEffect, useState } from "react";
import { useCan } from "../lib/desk";
import { LeaveGuardContext } from "../lib/leave";
import { api } from "../api";
import type { ClientCreated } from "../bindings/ClientCreated";
import type { ClientDefaults } from "../bindings/ClientDefaults";
import type { AppListed } from "../bindings/AppListed";
import type { ClientView } from "../bindings/ClientView";
import { day } from "../lib/names";
import type { ConsoleStatus } from "../bindings/ConsoleStatus";
import { Copy, ErrorBox, useNotify } from "./common";
import { stepList } from "../lib/search";
import { AppDetail } from "./applications/AppDetail";
import { AppForm } from "./applications/AppForm";
import { emptyForm, fromView } from "./applications/form";

export function Applications({ status, focus, onGrants }: { status: ConsoleStatus | null; focus: string | null; onGrants: (clientId: string) => void }) {
  const [search, setSearch] = useState("");
  const [list, setList] = useState<AppListed[]>([]);
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
  const can = useCan();
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
        <input
          id="app-search"
          aria-label="Find an application"
          placeholder="Search by name, partner or client id"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        {can("manage_apps") && (
          <button
            id="app-new"
            className="primary"
            onClick={() => {
              setEditing("new");
              setSelected(null);
              setSecret(null);
            }}
          >
            New application
          </button>
        )}
      </header>
      <ErrorBox error={error} />
      {secret && <SecretOnce created={secret} onDone={() => setSecret(null)} />}
      <div className="split apps">
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
            <tr>
              <th className="col-name">Name</th>
              <th className="col-partner">Partner</th>
              <th className="num col-grants">Live grants</th>
              <th className="col-last">Last grant</th>
              <th className="col-state">State</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr
                key={c.client_id}
                className={selected?.client_id === c.client_id ? "selected" : ""}
                onClick={() => {
                  select(c.client_id);
                  setEditing(null);
                }}
              >
                <td className="app-name">
                  <strong>{c.name}</strong>
                  <div className="dim small-text" title={`client id ${c.client_id} · ${c.token_endpoint_auth_method}`}>
                    {c.app_type === "service_account" ? "service account" : c.client_type}
                  </div>
                </td>
                <td>{c.partner_name ?? <span className="dim">—</span>}</td>
                <td className="num">{c.live_grants.toLocaleString("en")}</td>
                <td className="nowrap" title={c.last_grant_at ?? "no grant yet"}>
                  {c.last_grant_at ? day(c.last_grant_at) : <span className="dim">never</span>}
                </td>
                <td>{c.enabled ? <span className="state state-active">enabled</span> : <span className="state state-revoked">disabled</span>}</td>
              </tr>
            ))}
            {list.length === 0 && (
              <tr>
                <td colSpan={5} className="dim">
                  No applications yet. Create one to get a client id and secret.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        <div className="panel">
          {editing && defaults && (
            <AppForm
              key={editing + (selected?.client_id ?? "")}
              initial={editing === "edit" && selected ? fromView(selected, defaults) : emptyForm(defaults)}
              defaults={defaults}
              profile={status?.profile ?? "default"}
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
            <AppDetail
              client={selected}
              issuers={status?.issuers ?? []}
              onEdit={() => setEditing("edit")}
              onToggle={(reason) =>
                act(
                  async () => setSelected(await api.clients.setEnabled(selected.client_id, !selected.enabled, reason)),
                  true,
                  `${selected.name} ${selected.enabled ? "disabled" : "enabled again"}`,
                )
              }
              now={status?.clock.now ?? null}
              onRotate={(overlap, reason) =>
                act(
                  async () => {
                    const r = await api.clients.rotateSecret(selected.client_id, overlap, reason);
                    setSelected(r);
                    setSecret(r);
                  },
                  true,
                  `New secret for ${selected.name}`,
                )
              }
              onDelete={(reason) =>
                act(
                  async () => {
                    await api.clients.remove(selected.client_id, reason);
                    setSelected(null);
                  },
                  false,
                  `${selected.name} deleted`,
                )
              }
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
  const [revealed, setRevealed] = useState(false);
  const [copied, setCopied] = useState(false);
  const guard = useContext(LeaveGuardContext);
  // Until it is copied, leaving the screen asks first: the secret cannot be shown again.
  useEffect(() => {
    guard(copied ? null : `The new secret for ${created.name} is shown only now, and you have not copied it.`);
    return () => guard(null);
  }, [copied, created.name, guard]);
  const secret = created.client_secret ?? "";
  return (
    <div className="secret-once" id="secret-once">
      <h2>Client secret for {created.name}</h2>
      <p className="warning">
        This is the only time the secret is shown. Copy it now and store it safely; Authdesk keeps only a hash and cannot show it again.
      </p>
      <div className="secret-row">
        <code id="secret-value" className={revealed ? "" : "masked"}>
          {revealed ? secret : "•".repeat(Math.min(secret.length, 32))}
        </code>
        <button className="small" id="secret-reveal" onClick={() => setRevealed(!revealed)}>
          {revealed ? "Hide" : "Reveal"}
        </button>
        <Copy text={secret} id="secret-copy" onCopied={() => setCopied(true)} />
      </div>
      <div className="secret-row">
        <span className="dim">client_id</span> <code id="secret-client-id">{created.client_id}</code>
      </div>
      <button id="secret-done" onClick={onDone}>
        I have stored it
      </button>
    </div>
  );
}
