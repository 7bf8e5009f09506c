import type { ExpiryDay } from "../bindings/ExpiryDay";
// Scales for the timeline pictures: a chain's token windows against its one-year cap, and the
// system-wide expiry histogram.

export const DAY_MS = 86_400_000;

/** Maps a time range onto [0, width] pixels. */
export function timeScale(startIso: string, endIso: string, width: number) {
  const start = Date.parse(startIso);
  const end = Date.parse(endIso);
  const span = Math.max(end - start, 1);
  return (iso: string): number => {
    const x = ((Date.parse(iso) - start) / span) * width;
    return Math.min(Math.max(x, 0), width);
  };
}

/** Date ticks for an axis from `startIso` to `endIso`: the first of each month (every second or
 *  third month when the span is long), labelled "Jan 2027" at a year's start else "Feb". */
export function monthTicks(startIso: string, endIso: string, most = 8): { iso: string; label: string }[] {
  const start = new Date(startIso);
  const end = Date.parse(endIso);
  const months: Date[] = [];
  for (
    let m = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    m.getTime() <= end;
    m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))
  )
    months.push(m);
  const every = Math.max(1, Math.ceil(months.length / most));
  return months
    .filter((_, i) => i % every === 0)
    .map((m, i) => ({
      iso: m.toISOString(),
      label: m.toLocaleDateString("en-US", { month: "short", year: i === 0 || m.getUTCMonth() < every ? "numeric" : undefined, timeZone: "UTC" }),
    }));
}

export interface Window {
  id: string;
  x: number;
  ownEnd: number;
  effectiveEnd: number;
  capped: boolean;
}

/** Each token's bar: from issue to its own 90-day expiry, with the part past the cap marked. */
export function tokenWindows(
  tokens: { id: string; issued_at: string; expires_at: string; effective_expires_at: string }[],
  chainStart: string,
  chainEnd: string,
  width: number,
): Window[] {
  // Draw a little past the cap so a token whose own expiry overshoots it is visible as such.
  const drawEnd = new Date(Math.max(Date.parse(chainEnd), ...tokens.map((t) => Date.parse(t.expires_at)))).toISOString();
  const x = timeScale(chainStart, drawEnd, width);
  return tokens.map((t) => ({
    id: t.id,
    x: x(t.issued_at),
    ownEnd: x(t.expires_at),
    effectiveEnd: x(t.effective_expires_at),
    capped: Date.parse(t.effective_expires_at) < Date.parse(t.expires_at),
  }));
}

/** Sums per-day counts into buckets of `size` days over `days` days. */
export function bucket(perDay: ExpiryDay[], days: number, size: number): { start: number; tokens: number; chains: number }[] {
  const n = Math.ceil(days / size);
  const out = Array.from({ length: n }, (_, i) => ({ start: i * size, tokens: 0, chains: 0 }));
  for (const { day, refresh_tokens: tokens, chains } of perDay) {
    if (day < 0 || day >= days) continue;
    const b = out[Math.floor(day / size)];
    b.tokens += tokens;
    b.chains += chains;
  }
  return out;
}

/** Rounded-up tick step so an axis gets about `ticks` labels. */
export function niceStep(max: number, ticks = 4): number {
  // Counts are whole: never a tick at 0.5.
  if (max <= ticks) return 1;
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

/** Whether nothing at all ends in these buckets (the chart then says so instead of an empty axis). */
export function nothingEnds(buckets: { tokens: number; chains: number }[]): boolean {
  return buckets.every((b) => b.tokens === 0 && b.chains === 0);
}

/** The UTC day `day` days after `nowIso`, as "Jan 5" (with the year when it is not `nowIso`'s). */
export function dayLabel(nowIso: string, day: number): string {
  const now = new Date(nowIso);
  const d = new Date(Date.parse(nowIso) + day * DAY_MS);
  const label = d.toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
  return d.getUTCFullYear() === now.getUTCFullYear() ? label : `${label} ${d.getUTCFullYear()}`;
}

/** Axis ticks for `days` days from now: about `count` evenly spaced days, each labelled. */
export function dayTicks(nowIso: string, days: number, count = 6): { day: number; label: string }[] {
  const step = Math.max(1, Math.round(days / count));
  const out = [];
  for (let day = 0; day <= days; day += step) out.push({ day, label: day === 0 ? "today" : dayLabel(nowIso, day) });
  return out;
}
