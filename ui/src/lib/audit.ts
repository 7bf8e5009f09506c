import type { SearchedWindow } from "../bindings/SearchedWindow";
// The audit viewer's pure parts: the filter form as a store query, and how times are shown.
import type { AuditAction } from "../bindings/AuditAction";
import type { AuditQuery } from "../bindings/AuditQuery";

/** What the filter form holds: strings as typed, days as `YYYY-MM-DD`. */
export interface AuditForm {
  actor: string;
  action: AuditAction | "";
  target: string;
  fromDay: string;
  toDay: string;
  text: string;
}

export const emptyForm: AuditForm = { actor: "", action: "", target: "", fromDay: "", toDay: "", text: "" };

/** The start of a `YYYY-MM-DD` day in UTC, as Unix seconds; null for anything else. */
export function dayStart(day: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(t) ? null : t / 1000;
}

const text = (s: string) => (s.trim() === "" ? null : s.trim());

/** The query the store runs: empty fields are no filter; the "to" day is included whole. */
export function toQuery(f: AuditForm): AuditQuery {
  const to = dayStart(f.toDay.trim());
  return {
    actor: text(f.actor),
    action: f.action === "" ? null : f.action,
    target: text(f.target),
    from: dayStart(f.fromDay.trim()),
    to: to === null ? null : to + 86_400,
    text: text(f.text),
  };
}

/** Whether any filter is set. */
export function filtered(f: AuditForm): boolean {
  return Object.values(f).some((v) => v !== "");
}

/** The UTC day (`YYYY-MM-DD`) a Unix time falls on: what the form's day fields hold. */
export function utcDay(unix: number): string {
  return new Date(unix * 1000).toISOString().slice(0, 10);
}

/** `2026-12-02 08:00:00` (UTC). */
export function utc(unix: number): string {
  return new Date(unix * 1000).toISOString().replace("T", " ").slice(0, 19);
}

/** The wall-clock time to show beside an event's sandbox time, when the sandbox clock was
 *  moved (they differ by more than a minute); null otherwise or when it was not recorded. */
export function realTime(at: number, recordedAt: number | null): string | null {
  if (recordedAt === null || Math.abs(at - recordedAt) < 60) return null;
  return utc(recordedAt);
}

/** A value without its null (and emptied) members, all the way down. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const kept = withoutNulls(x);
      if (kept !== null && kept !== undefined) out[k] = kept;
    }
    return out;
  }
  return v;
}

/** An event's detail, indented, without nulls; as stored when it is not JSON. */
export function prettyDetail(detail: string): string {
  try {
    return JSON.stringify(withoutNulls(JSON.parse(detail)), null, 2);
  } catch {
    return detail;
  }
}

/** Whether a typed day is empty or an ISO day (`YYYY-MM-DD`) that exists. */
export function dayOk(day: string): boolean {
  return day.trim() === "" || dayStart(day.trim()) !== null;
}

/** "1 event", "1,200 events"; with filters set, "1 event matches", "3 events match". */
export function countText(total: number, withFilters: boolean, more = false): string {
  // Past the store's cap the count stopped: "more than 10,000 events".
  const n = `${more ? "more than " : ""}${total.toLocaleString("en")} event${total === 1 && !more ? "" : "s"}`;
  return withFilters ? `${n} ${total === 1 && !more ? "matches" : "match"}` : n;
}

/** What a text search has read so far, after the count: "· searched events back to
 *  2026-11-27 09:00:00 UTC" (a text search reads a window of events per page: it cannot skip
 *  any), or nothing when it read them all. */
export function searchedText(window: SearchedWindow | null, older: boolean, when: (unix: number) => string): string {
  if (!window || !older || window.back_to === null) return "";
  return ` · searched events back to ${when(window.back_to)}`;
}

/** The object an event is about, when the console can open it. */
export type AuditTarget = { kind: "app" | "grant" | "user"; id: string };

/** Where an event's target leads: apps for client events, the grant for token events, the
 *  person for user events; a revocation names what it selected in its detail. */
export function targetOf(action: string, target: string, detail: string): AuditTarget | null {
  if (action.startsWith("client.")) return { kind: "app", id: target };
  if (["user.create", "user.update", "user.delete"].includes(action)) return { kind: "user", id: target };
  if (["token.issue", "token.refresh", "token.mint", "refresh.reuse_detected"].includes(action)) return { kind: "grant", id: target };
  if (action === "grant.revoke") {
    try {
      const d = JSON.parse(detail) as { grant_id?: string | null; sub?: string | null; client_id?: string | null };
      if (d.grant_id) return { kind: "grant", id: d.grant_id };
      if (d.sub) return { kind: "user", id: d.sub };
      if (d.client_id) return { kind: "app", id: d.client_id };
    } catch {
      return null;
    }
  }
  return null;
}
