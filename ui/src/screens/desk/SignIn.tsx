import { useState } from "react";
import { api } from "../../api";
import type { DeskView } from "../../bindings/DeskView";
import { ErrorBox } from "../common";

/** A production registry's console shows nothing until an operator signs in. */
export function SignIn({ desk, onSignedIn }: { desk: DeskView; onSignedIn: (d: DeskView) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    api.desk
      .signIn(username, password)
      .then(onSignedIn, (err) => {
        setError(err);
        setPassword("");
      })
      .finally(() => setBusy(false));
  };
  return (
    <div className="sign-in" id="sign-in">
      <form className="panel" onSubmit={submit}>
        <h1>Sign in to Authdesk</h1>
        <p className="dim">This is a production registry: every action is recorded under your name.</p>
        {desk.locked && (
          <p className="warn-note" id="sign-in-locked">
            {desk.locked[0].toUpperCase() + desk.locked.slice(1)}.
          </p>
        )}
        {!desk.has_operators && (
          <p className="notice" id="sign-in-first">
            No operator exists yet. Create the first administrator on this computer: <code>authdesk operators add NAME --role admin --password-stdin</code>
          </p>
        )}
        <label htmlFor="sign-in-username">User name</label>
        <input id="sign-in-username" autoFocus autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="sign-in-password">Password</label>
        <input id="sign-in-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <ErrorBox error={error} />
        <button className="primary" id="sign-in-go" type="submit" disabled={busy || !username || !password}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="dim small-text">
          Desk: {desk.desk} · locks after {desk.idle_lock_minutes} minutes idle
        </p>
      </form>
    </div>
  );
}
