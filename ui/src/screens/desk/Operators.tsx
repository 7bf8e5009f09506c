import { useCallback, useEffect, useState } from "react";
import { api, BackendError } from "../../api";
import type { OperatorView } from "../../bindings/OperatorView";
import type { Role } from "../../bindings/Role";
import { ErrorBox, Field, useNotify } from "../common";

const ROLES: { role: Role; says: string }[] = [
  { role: "admin", says: "everything: applications, keys, settings, people, operators" },
  { role: "support", says: "finds people and grants, explains, revokes, signs people out" },
  { role: "auditor", says: "reads everything and exports the audit; changes nothing" },
];

/** Admins manage who may use this registry, and with which role. */
export function Operators() {
  const [list, setList] = useState<OperatorView[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [form, setForm] = useState({ username: "", displayName: "", role: "support" as Role, password: "" });
  const [resetting, setResetting] = useState<{ username: string; password: string } | null>(null);
  const notify = useNotify();
  const reload = useCallback(() => {
    api.operators.list().then(setList, setError);
  }, []);
  useEffect(reload, [reload]);
  const fieldErrors = (field: string) => (error instanceof BackendError ? error.fields.filter((f) => f.field === field).map((f) => f.message) : []);
  const act = (p: Promise<OperatorView>, said: (o: OperatorView) => string) =>
    p.then((o) => {
      setError(null);
      notify(said(o));
      reload();
    }, setError);

  return (
    <section id="operators">
      <header className="screen-header">
        <h1>Operators</h1>
      </header>
      <p className="dim">Who may use this registry from a console or the CLI. Each role is enforced by Authdesk itself, not only by what the console shows.</p>
      <table className="list" id="operator-list">
        <thead>
          <tr>
            <th>User name</th>
            <th>Name</th>
            <th>Role</th>
            <th>State</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {list.map((o) => (
            <tr key={o.username}>
              <td>{o.username}</td>
              <td>{o.display_name}</td>
              <td>
                <select
                  aria-label={`Role of ${o.username}`}
                  id={`operator-role-${o.username}`}
                  value={o.role}
                  onChange={(e) => act(api.operators.setRole(o.username, e.target.value as Role), (v) => `${v.username} is now ${v.role}`)}
                >
                  {ROLES.map((r) => (
                    <option key={r.role} value={r.role}>
                      {r.role}
                    </option>
                  ))}
                </select>
              </td>
              <td>{o.disabled ? <span className="state state-revoked">disabled</span> : <span className="state state-active">enabled</span>}</td>
              <td className="row-actions">
                <button
                  className="small"
                  onClick={() => act(api.operators.setDisabled(o.username, !o.disabled), (v) => `${v.username} ${v.disabled ? "disabled" : "enabled"}`)}
                >
                  {o.disabled ? "Enable" : "Disable"}
                </button>
                <button className="small" onClick={() => setResetting({ username: o.username, password: "" })}>
                  New password…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {resetting && (
        <form
          className="panel"
          onSubmit={(e) => {
            e.preventDefault();
            act(api.operators.resetPassword(resetting.username, resetting.password), (v) => `New password set for ${v.username}`).then(() =>
              setResetting(null),
            );
          }}
        >
          <Field label={`New password for ${resetting.username}`} errors={fieldErrors("password")} hint="at least 12 characters; tell it to them in person">
            <input
              type="password"
              autoComplete="new-password"
              value={resetting.password}
              onChange={(e) => setResetting({ ...resetting, password: e.target.value })}
            />
          </Field>
          <div className="actions">
            <button className="primary" type="submit">
              Set password
            </button>
            <button type="button" onClick={() => setResetting(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <form
        className="panel"
        id="operator-add"
        onSubmit={(e) => {
          e.preventDefault();
          act(api.operators.add(form.username, form.displayName, form.role, form.password), (v) => `${v.username} added as ${v.role}`).then(() =>
            setForm({ ...form, username: "", displayName: "", password: "" }),
          );
        }}
      >
        <h2>Add an operator</h2>
        <Field label="User name" errors={fieldErrors("username")}>
          <input id="operator-username" value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
        </Field>
        <Field label="Display name" errors={fieldErrors("display_name")} hint="as the audit and the status bar show them (default: the user name)">
          <input id="operator-display-name" value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} />
        </Field>
        <Field label="Role" hint={ROLES.find((r) => r.role === form.role)?.says}>
          <select id="operator-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r.role} value={r.role}>
                {r.role}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Password" errors={fieldErrors("password")} hint="at least 12 characters">
          <input
            id="operator-password"
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.target.value })}
          />
        </Field>
        <ErrorBox error={error} />
        <button className="primary" id="operator-add-go" type="submit" disabled={!form.username || !form.password}>
          Add operator
        </button>
      </form>
    </section>
  );
}
