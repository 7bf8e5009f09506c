import { useEffect, useState } from "react";
import { api } from "../api";
import type { AuditRow } from "../bindings/AuditRow";
import { ErrorBox } from "./common";

const ACTIONS = ["", "client.create", "client.update", "client.disable", "client.enable", "client.delete", "client.rotate_secret", "client.auth_failed", "user.create", "user.update", "user.delete", "token.issue", "token.refresh", "token.mint", "refresh.reuse_detected", "code.replayed", "grant.revoke", "access_token.revoke", "key.rotate", "clock.advance", "clock.reset"];

export function Audit() {
  const [action, setAction] = useState("");
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.audit(action || null).then(setRows, setError);
  }, [action]);
  return (
    <section>
      <header className="screen-header">
        <h1>Audit</h1>
        <select id="audit-action" value={action} onChange={(e) => setAction(e.target.value)}>
          {ACTIONS.map((a) => <option key={a} value={a}>{a || "every event"}</option>)}
        </select>
      </header>
      <ErrorBox error={error} />
      <table className="list" id="audit-list">
        <thead><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>Target</th><th>Detail</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>{new Date(r.at * 1000).toISOString().replace("T", " ").slice(0, 19)}</td>
              <td>{r.actor}</td>
              <td className="mono">{r.action}</td>
              <td className="mono">{r.target.slice(0, 12)}</td>
              <td className="mono dim">{r.detail.length > 80 ? r.detail.slice(0, 80) + "…" : r.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
