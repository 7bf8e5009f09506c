// What people see instead of ids. Ids here are UUIDv7: their first characters are a timestamp,
// so every grant made within a minute shares them; their last characters are random. A grant
// is shown as "Budget App · ada · since 2 Dec 2026", a token by its place in the tree, and an
// id, when asked, by its random tail.

import type { GrantEnding } from "../bindings/GrantEnding";

/** A date as people write it: "2 Dec 2026" (in the desk's time zone). */
export function day(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone });
}

/** What an "ending soon" list holds, in words: "refresh tokens ending 6 Dec 2026 – 12 Dec 2026"
 *  (the window's end is exclusive, so the last day shown is the one before it). */
export function endingLabel(e: GrantEnding, timeZone?: string): string {
  const what = e.what === "chain" ? "chains reaching their one-year end" : "refresh tokens ending";
  const first = day(new Date(e.from * 1000).toISOString(), timeZone);
  const last = day(new Date((e.to - 1) * 1000).toISOString(), timeZone);
  return first === last ? `${what} on ${first}` : `${what} ${first} – ${last}`;
}

/** The random end of an id (its last 8 hex digits): what tells two ids apart. */
export function idTail(id: string): string {
  return id.replace(/-/g, "").slice(-8);
}

export interface GrantNames {
  client_name: string | null;
  username: string | null;
  created_at: string;
}

/** "Budget App · ada · since 2 Dec 2026". */
export function grantLabel(g: GrantNames, timeZone?: string): string {
  return `${g.client_name ?? "deleted app"} · ${g.username ?? "deleted user"} · since ${day(g.created_at, timeZone)}`;
}

/** Labels that still read the same get `more` added. */
function apart<T extends { grant_id: string }>(grants: T[], labels: Map<string, string>, more: (g: T) => string): Map<string, string> {
  const count = new Map<string, number>();
  for (const l of labels.values()) count.set(l, (count.get(l) ?? 0) + 1);
  return new Map(
    grants.map((g) => {
      const l = labels.get(g.grant_id)!;
      return [g.grant_id, (count.get(l) ?? 0) < 2 ? l : `${l}${more(g)}`];
    }),
  );
}

/** Grants that would read the same (same app, person and day) get their time of day too,
 *  and if that is the same second, the random tail of their id. */
export function grantLabels(grants: (GrantNames & { grant_id: string })[], timeZone?: string): Map<string, string> {
  const base = new Map(grants.map((g) => [g.grant_id, grantLabel(g, timeZone)]));
  const timed = apart(
    grants,
    base,
    (g) => `, ${new Date(g.created_at).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone })}`,
  );
  return apart(grants, timed, (g) => ` · …${idTail(g.grant_id)}`);
}
