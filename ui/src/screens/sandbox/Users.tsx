import { useEffect, useState } from "react";
import { api } from "../../api";
import type { Impact } from "../../bindings/Impact";
import type { UserView } from "../../bindings/UserView";
import { impactText } from "../../lib/impact";
import { ConfirmAction, ErrorBox, Field } from "../common";

const PAGE = 25;

/** What the claims box shows before anything is typed (an example, never a value sent). */
const CLAIMS_EXAMPLE = '{"name": "Ada Lovelace", "email": "ada@example.com"}';

function parseClaims(s: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(s.trim() || "{}");
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // said below
  }
  throw new Error("claims must be a JSON object, like " + CLAIMS_EXAMPLE);
}

/** The sandbox's people: searched by the start of a user name, e-mail or name, a page at a
 *  time; added with labelled fields; their claims edited; deleted after a preview. */
export function Users({ onGrants, canEdit }: { onGrants: (sub: string) => void; canEdit: boolean }) {
  const [users, setUsers] = useState<UserView[]>([]);
  const [term, setTerm] = useState("");
  const [offset, setOffset] = useState(0);
  const [form, setForm] = useState({ username: "", password: "", claims: "" });
  const [editing, setEditing] = useState<{ user: UserView; claims: string } | null>(null);
  const [deleting, setDeleting] = useState<{ user: UserView; impact: Impact | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => api.users.list(term.trim(), PAGE, offset).then(setUsers, setError);
  useEffect(() => {
    const t = setTimeout(reload, 120);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [term, offset]);
  const askDelete = (user: UserView) => {
    setEditing(null);
    setDeleting({ user, impact: null });
    api.grants.preview({ client_id: null, sub: user.sub, grant_id: null, limit: 1, offset: 0 }).then((impact) => setDeleting({ user, impact }), setError);
  };
  const act = (f: () => Promise<unknown>) => {
    setError(null);
    try {
      f().then(reload, setError);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="card" id="users">
      <h2>Test users</h2>
      <ErrorBox error={error} />
      <input
        id="user-search"
        type="search"
        aria-label="Find a person"
        placeholder="Find by user name, e-mail or name"
        value={term}
        onChange={(e) => {
          setTerm(e.target.value);
          setOffset(0);
        }}
      />
      <table className="list compact" id="user-list">
        <tbody>
          {users.map((u) => (
            <tr key={u.sub}>
              <td>
                <strong>{u.username}</strong>
                <div className="dim small-text">{[u.claims.name, u.claims.email].filter((v) => typeof v === "string").join(" · ")}</div>
              </td>
              <td className="row-actions">
                <button className="small" id={`user-grants-${u.username}`} onClick={() => onGrants(u.sub)}>
                  Grants
                </button>
                {canEdit && (
                  <button
                    className="small"
                    onClick={() => {
                      setDeleting(null);
                      setEditing({ user: u, claims: JSON.stringify(u.claims, null, 1) });
                    }}
                  >
                    Claims
                  </button>
                )}
                {canEdit && (
                  <button className="small danger" id={`user-delete-${u.username}`} onClick={() => askDelete(u)}>
                    Delete…
                  </button>
                )}
              </td>
            </tr>
          ))}
          {users.length === 0 && (
            <tr>
              <td className="dim">{term ? `No one's user name, e-mail or name starts with “${term}”.` : "No test users yet."}</td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="pager">
        <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Previous
        </button>
        <span className="dim" id="user-page">
          {users.length ? `${offset + 1}–${offset + users.length}` : ""}
        </span>
        <button id="user-next" disabled={users.length < PAGE} onClick={() => setOffset(offset + PAGE)}>
          Next
        </button>
      </div>
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
        <form
          className="inline-form column"
          onSubmit={(e) => {
            e.preventDefault();
            act(() => api.users.setClaims(editing.user.sub, parseClaims(editing.claims)).then(() => setEditing(null)));
          }}
        >
          <Field label={`Claims of ${editing.user.username}`} hint="a JSON object; released by scope as an ID token and userinfo would">
            <textarea id="user-claims-edit" rows={4} value={editing.claims} onChange={(e) => setEditing({ ...editing, claims: e.target.value })} />
          </Field>
          <div className="actions">
            <button className="primary" type="submit">
              Save claims
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {canEdit && (
        <form
          className="inline-form column"
          id="user-add"
          onSubmit={(e) => {
            e.preventDefault();
            act(() => api.users.create(form.username, form.password, parseClaims(form.claims)).then(() => setForm({ username: "", password: "", claims: "" })));
          }}
        >
          <h3>Add a test user</h3>
          <Field label="User name">
            <input id="user-name" autoComplete="off" value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
          </Field>
          <Field label="Password" hint="8 characters or more; typed at the login page">
            <input
              id="user-password"
              type="password"
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          </Field>
          <Field label="Claims" hint="optional JSON object: name, email, and any claim an app may ask for">
            <textarea
              id="user-claims"
              rows={2}
              placeholder={CLAIMS_EXAMPLE}
              value={form.claims}
              onChange={(e) => setForm({ ...form, claims: e.target.value })}
            />
          </Field>
          <button id="user-create" className="primary" type="submit" disabled={!form.username || !form.password}>
            Add user
          </button>
        </form>
      )}
    </div>
  );
}
