import { useEffect, useState } from "react";
import { api } from "../api";
import type { AuditAction } from "../bindings/AuditAction";
import type { AuditRow } from "../bindings/AuditRow";
import type { ChainCheck } from "../bindings/ChainCheck";
import { ErrorBox } from "./common";

export function Audit() {
  const [action, setAction] = useState<AuditAction | "">("");
  const [actions, setActions] = useState<AuditAction[]>([]);
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [chain, setChain] = useState<ChainCheck | null>(null);
  useEffect(() => {
    api.auditActions().then(setActions, setError);
  }, []);
  useEffect(() => {
    api.audit(action || null).then(setRows, setError);
    api.auditVerify().then(setChain, setError);
  }, [action]);
  return (
    <section>
      <header className="screen-header">
        <h1>Audit</h1>
        <select id="audit-action" value={action} onChange={(e) => setAction(e.target.value as AuditAction | "")}>
          <option value="">every event</option>
          {actions.map((a) => <option key={a} value={a}>{a}</option>)}
        </select>
      </header>
      <ErrorBox error={error} />
      <ChainStatus chain={chain} />
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

/** Whether every event's hash follows from the one before (`authdesk audit verify`). */
export function ChainStatus({ chain }: { chain: ChainCheck | null }) {
  if (!chain) return null;
  if (chain.first_bad === null) {
    return <p className="chain-status ok" id="audit-chain">Hash chain intact: {chain.events} events verified.</p>;
  }
  return (
    <p className="chain-status bad" id="audit-chain">
      Hash chain broken at event {chain.first_bad}: it was changed after it was written, or an event before it was removed.
    </p>
  );
}
