import { Fragment, useEffect, useState } from "react";
import { useCan } from "../lib/desk";
import { api } from "../api";
import type { AuditAction } from "../bindings/AuditAction";
import type { AuditActionLabel } from "../bindings/AuditActionLabel";
import type { AuditCursor } from "../bindings/AuditCursor";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { ChainCheck } from "../bindings/ChainCheck";
import type { ExportFormat } from "../bindings/ExportFormat";
import type { SearchedWindow } from "../bindings/SearchedWindow";
import {
  type AuditForm,
  type AuditTarget,
  countText,
  searchedText,
  dayOk,
  emptyForm,
  filtered,
  prettyDetail,
  realTime,
  targetOf,
  toQuery,
  utc,
} from "../lib/audit";
import { inZone, loadZone } from "../lib/zone";
import { loadFilters, saveFilters } from "../lib/theme";
import { ErrorBox, activates } from "./common";

const AUDIT_KEY = "authdesk.audit";

/** The audit as a log viewer: filters run in the store, pages of 100 ("Load more"), an
 *  event's detail on a click, and every matching event exported to CSV or JSON. */
export function Audit({ initial, onTarget }: { initial: Partial<AuditForm> | null; onTarget: (t: AuditTarget) => void }) {
  const can = useCan();
  // A link opens on what it names; the sidebar on the last filters.
  const start = initial ? { ...emptyForm, ...initial } : loadFilters<AuditForm>(AUDIT_KEY, emptyForm);
  const [form, setForm] = useState<AuditForm>(start);
  const [applied, setApplied] = useState<AuditForm>(start);
  const [actions, setActions] = useState<AuditActionLabel[]>([]);
  const [rows, setRows] = useState<AuditEntry[]>([]);
  const zone = loadZone();
  const [total, setTotal] = useState<number | null>(null);
  const [moreThan, setMoreThan] = useState(false);
  const [next, setNext] = useState<AuditCursor | null>(null);
  // A text search reads a window of events per page: how far back it has read.
  const [searched, setSearched] = useState<SearchedWindow | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [chain, setChain] = useState<ChainCheck | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.auditActions().then(setActions, setError);
    api.auditVerify().then(setChain, setError);
  }, []);
  // Typing settles for a moment before the store is asked; a choice in a list applies at once.
  useEffect(() => {
    // A day half typed is not a filter yet.
    if (!dayOk(form.fromDay) || !dayOk(form.toDay)) return;
    const t = setTimeout(() => setApplied(form), 250);
    return () => clearTimeout(t);
  }, [form]);
  useEffect(() => {
    saveFilters(AUDIT_KEY, applied);
    let stale = false;
    setBusy(true);
    api.audit.list(toQuery(applied), null).then(
      (page) => {
        if (stale) return;
        setRows(page.rows);
        setTotal(page.total);
        setMoreThan(page.more);
        setNext(page.next);
        setSearched(page.searched);
        setError(null);
        setBusy(false);
      },
      (e) => !stale && (setError(e), setBusy(false)),
    );
    return () => {
      stale = true;
    };
  }, [applied]);

  const more = () => {
    if (next === null) return;
    const opensWindow = next.floor === null && searched !== null;
    api.audit.list(toQuery(applied), next).then((page) => {
      setRows((r) => [...r, ...page.rows]);
      setNext(page.next);
      setSearched(page.searched);
      // The next window's matches join the count; a page within a window was counted.
      if (opensWindow) {
        setTotal((t) => (t ?? 0) + page.total);
        setMoreThan((m) => m || page.more);
      }
    }, setError);
  };
  const exportAs = (format: ExportFormat) => {
    setSaved(null);
    api.audit.export(toQuery(applied), format).then(setSaved, setError);
  };
  const set = (k: keyof AuditForm) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  return (
    <section>
      <header className="screen-header">
        <h1>Audit</h1>
        <span className="dim" id="audit-count">
          {total === null ? "loading…" : countText(total, filtered(applied), moreThan) + searchedText(searched, next !== null, (t) => inZone(t, zone))}
        </span>
        <span className="spacer" />
        {can("export_audit") && (
          <>
            <button id="audit-export-csv" disabled={!total} onClick={() => exportAs("csv")}>
              Export CSV
            </button>
            <button id="audit-export-json" disabled={!total} onClick={() => exportAs("json")}>
              Export JSON
            </button>
          </>
        )}
      </header>
      <div className="filters" id="audit-filters">
        <input id="audit-text" placeholder="Search actor, action, target, detail…" value={form.text} onChange={set("text")} />
        <input id="audit-actor" placeholder="Actor" value={form.actor} onChange={set("actor")} />
        <select id="audit-action" value={form.action} onChange={(e) => setForm({ ...form, action: e.target.value as AuditAction | "" })}>
          <option value="">every action</option>
          {actions.map((a) => (
            <option key={a.action} value={a.action}>
              {a.label}
            </option>
          ))}
        </select>
        <input id="audit-target" placeholder="Target id" value={form.target} onChange={set("target")} />
        <label className={`inline ${dayOk(form.fromDay) ? "" : "invalid"}`}>
          from <input id="audit-from" className="day" placeholder="YYYY-MM-DD" inputMode="numeric" value={form.fromDay} onChange={set("fromDay")} />
        </label>
        <label className={`inline ${dayOk(form.toDay) ? "" : "invalid"}`}>
          to <input id="audit-to" className="day" placeholder="YYYY-MM-DD" inputMode="numeric" value={form.toDay} onChange={set("toDay")} />
        </label>
        {filtered(form) && (
          <button id="audit-clear" onClick={() => setForm(emptyForm)}>
            Clear
          </button>
        )}
      </div>
      {saved && (
        <p className="notice" id="audit-saved">
          Saved to <span className="mono">{saved}</span>
        </p>
      )}
      <ErrorBox error={error} />
      <ChainStatus chain={chain} />
      <table className="list" id="audit-list">
        <thead>
          <tr>
            <th>When{zone === "UTC" ? " (UTC)" : ""}</th>
            <th>What happened</th>
            <th>About</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const real = realTime(r.at, r.recorded_at);
            return (
              <Fragment key={r.id}>
                <tr className={open === r.id ? "selected" : ""} aria-expanded={open === r.id} {...activates(() => setOpen(open === r.id ? null : r.id))}>
                  <td className="nowrap" title={`${utc(r.at)} UTC`}>
                    {inZone(r.at, zone)}
                    {real && (
                      <div className="dim small-text" title="The sandbox clock was moved; this is when it was written">
                        written {real}
                      </div>
                    )}
                  </td>
                  <td>
                    <div className="sentence">{r.sentence}</div>
                    <div className="dim small-text" title={`${r.action} · by ${r.actor}`}>
                      {r.label}
                    </div>
                  </td>
                  <td className="nowrap" title={r.target}>
                    <TargetLink target={targetOf(r.action, r.target, r.detail)} text={r.target_name ?? "—"} onOpen={onTarget} />
                  </td>
                </tr>
                {open === r.id && (
                  <tr className="detail-row">
                    <td colSpan={3}>
                      <div className="mono small-text">
                        event {r.id} · {r.action} · by {r.actor} · target {r.target}
                      </div>
                      <pre className="detail">{prettyDetail(r.detail)}</pre>
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {!busy && rows.length === 0 && (
        <p className="empty">
          {next !== null
            ? "No event matches among those searched so far."
            : filtered(applied)
              ? "No event matches these filters."
              : "Nothing has been recorded yet."}
        </p>
      )}
      {next !== null && (
        <p>
          <button id="audit-more" onClick={more}>
            {next.floor === null && searched !== null ? "Search older events" : moreThan ? "Load more" : `Load more (${(total ?? 0) - rows.length} older)`}
          </button>
        </p>
      )}
    </section>
  );
}

/** An event's target: a link to the object when the console can open it. */
function TargetLink({ target, text, onOpen }: { target: AuditTarget | null; text: string; onOpen: (t: AuditTarget) => void }) {
  if (!target) return <>{text}</>;
  return (
    <button
      className="link"
      title={`Open this ${target.kind === "user" ? "person's grants" : target.kind}`}
      onClick={(e) => {
        e.stopPropagation();
        onOpen(target);
      }}
    >
      {text}
    </button>
  );
}

/** Whether every event's hash follows from the one before (`authdesk audit verify`). */
export function ChainStatus({ chain }: { chain: ChainCheck | null }) {
  if (!chain) return null;
  if (chain.first_bad === null) {
    return (
      <p className="chain-status ok" id="audit-chain">
        Hash chain intact: {chain.events} events verified.
        {chain.unsealed > 0 && ` ${chain.unsealed} newer events await sealing.`}
      </p>
    );
  }
  return (
    <p className="chain-status bad" id="audit-chain">
      Hash chain broken at event {chain.first_bad}: it was changed after it was written, or an event before it was removed.
    </p>
  );
}
