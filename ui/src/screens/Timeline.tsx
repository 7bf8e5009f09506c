import { useEffect, useState } from "react";
import { api } from "../api";
import type { ExpiryDay } from "../bindings/ExpiryDay";
import type { GrantDetail } from "../bindings/GrantDetail";
import { formatTime } from "../lib/jwt";
import { bucket, dayLabel, dayTicks, niceStep, nothingEnds, timeScale, tokenWindows } from "../lib/timeline";
import { useWidth } from "../lib/useWidth";
import { flattenTree } from "../lib/tree";
import { ErrorBox } from "./common";

/** The charts' plot width before the page has been measured. */
const FALLBACK_WIDTH = 760;

export function Timeline({ focus, now }: { focus: string | null; now: string | null }) {
  const [detail, setDetail] = useState<GrantDetail | null>(null);
  const [grantId, setGrantId] = useState(focus ?? "");
  const [perDay, setPerDay] = useState<ExpiryDay[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.grants.histogram(366).then(setPerDay, setError);
  }, []);
  useEffect(() => {
    if (focus) api.grants.show(focus).then(setDetail, setError);
  }, [focus]);
  return (
    <section>
      <header className="screen-header">
        <h1>Timeline</h1>
        <input id="timeline-grant" placeholder="grant id" value={grantId} onChange={(e) => setGrantId(e.target.value)} />
        <button onClick={() => api.grants.show(grantId.trim()).then(setDetail, setError)}>Show chain</button>
      </header>
      <ErrorBox error={error} />
      {detail ? <ChainPicture detail={detail} /> : <p className="dim">Pick a grant (or use “Show on timeline” in Chains) to see its tokens against the one-year cap.</p>}
      <h2>Expiring across the system</h2>
      <Histogram perDay={perDay} now={now ?? detail?.now ?? new Date().toISOString()} days={90} size={1} title="next 90 days, per day" id="hist-90" />
      <Histogram perDay={perDay} now={now ?? detail?.now ?? new Date().toISOString()} days={364} size={7} title="next year, per week" id="hist-365" />
    </section>
  );
}

function ChainPicture({ detail }: { detail: GrantDetail }) {
  const [ref, width] = useWidth<HTMLElement>(FALLBACK_WIDTH + 160);
  const W = width - 160;
  if (!detail.chain_started_at || !detail.chain_ends_at) return <p className="dim">This grant has no refresh-token chain.</p>;
  const rows = flattenTree(detail.refresh_tokens);
  const windows = tokenWindows(rows.map((r) => r.node), detail.chain_started_at, detail.chain_ends_at, W);
  const lastEnd = Math.max(Date.parse(detail.chain_ends_at), ...rows.map((r) => Date.parse(r.node.expires_at)));
  const x = timeScale(detail.chain_started_at, new Date(lastEnd).toISOString(), W);
  const cap = x(detail.chain_ends_at);
  const now = x(detail.now);
  const lastRefresh = detail.last_refresh_possible_at ? x(detail.last_refresh_possible_at) : null;
  const rowH = 18;
  const h = rows.length * rowH + 50;
  return (
    <figure className="chart" id="chain-picture" ref={ref}>
      <svg width={W + 140} height={h} role="img" aria-label="token windows against the one-year cap">
        <g transform="translate(120,20)">
          <rect x={0} y={-8} width={cap} height={h - 30} className="chain-span" />
          <line x1={cap} x2={cap} y1={-12} y2={h - 20} className="cap" />
          <text x={cap} y={-12} className="cap-label" textAnchor="end">1-year cap {formatTime(detail.chain_ends_at).slice(0, 10)}</text>
          {rows.map((r, i) => {
            const w = windows[i];
            return (
              <g key={r.node.id} transform={`translate(0,${i * rowH})`}>
                <text x={-8} y={10} textAnchor="end" className="row-label">{r.path} {r.node.id.slice(0, 6)}</text>
                <rect x={w.x} y={0} width={Math.max(w.effectiveEnd - w.x, 1)} height={12} className={`bar bar-${r.node.state}`}>
                  <title>{`token ${r.path}: issued ${formatTime(r.node.issued_at)}, ends ${formatTime(r.node.effective_expires_at)} (${r.node.state})`}</title>
                </rect>
                {w.capped && <rect x={w.effectiveEnd} y={3} width={Math.max(w.ownEnd - w.effectiveEnd, 1)} height={6} className="bar-cut" />}
              </g>
            );
          })}
          <line x1={now} x2={now} y1={-12} y2={h - 20} className="now" />
          <text x={now + 3} y={h - 22} className="now-label">now</text>
          {lastRefresh !== null && (
            <g id="last-refresh-mark">
              <line x1={lastRefresh} x2={lastRefresh} y1={-12} y2={h - 20} className="last-refresh" />
              <text x={lastRefresh - 3} y={h - 22} textAnchor="end" className="last-refresh-label">last refresh possible</text>
            </g>
          )}
        </g>
      </svg>
      <figcaption>
        Each bar is one refresh token, from issue to its effective expiry; a thin stub shows the part of its own 90 days cut off by the cap.
        Last refresh possible: <strong>{formatTime(detail.last_refresh_possible_at)}</strong>.
      </figcaption>
    </figure>
  );
}

function Histogram({ perDay, now, days, size, title, id }: { perDay: ExpiryDay[]; now: string; days: number; size: number; title: string; id: string }) {
  const [ref, width] = useWidth<HTMLElement>(FALLBACK_WIDTH + 70);
  const W = width - 70;
  const buckets = bucket(perDay, days, size);
  if (nothingEnds(buckets)) {
    return (
      <figure className="chart" id={id} ref={ref}>
        <p className="dim empty-chart">Nothing expires in this period: no refresh token and no chain ends in the {title.replace(/,.*/, "")}.</p>
      </figure>
    );
  }
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.tokens, b.chains)));
  const step = niceStep(max);
  const H = 120;
  const bw = W / buckets.length;
  const y = (v: number) => H - (v / max) * H;
  return (
    <figure className="chart" id={id} ref={ref}>
      <svg width={W + 60} height={H + 30} role="img" aria-label={title}>
        <g transform="translate(40,5)">
          {Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step).map((v) => (
            <g key={v}><line x1={0} x2={W} y1={y(v)} y2={y(v)} className="grid" /><text x={-6} y={y(v) + 4} textAnchor="end" className="axis">{v}</text></g>
          ))}
          {buckets.map((b, i) => (
            <g key={i}>
              <rect x={i * bw + 1} y={y(b.tokens)} width={Math.max(bw / 2 - 1, 1)} height={H - y(b.tokens)} className="hist-tokens"><title>{`${size === 1 ? dayLabel(now, b.start) : `week of ${dayLabel(now, b.start)}`}: ${b.tokens} refresh token${b.tokens === 1 ? "" : "s"} expire`}</title></rect>
              <rect x={i * bw + bw / 2} y={y(b.chains)} width={Math.max(bw / 2 - 1, 1)} height={H - y(b.chains)} className="hist-chains"><title>{`${size === 1 ? dayLabel(now, b.start) : `week of ${dayLabel(now, b.start)}`}: ${b.chains} chain${b.chains === 1 ? "" : "s"} reach their one-year end`}</title></rect>
            </g>
          ))}
          {dayTicks(now, days).map((t) => (
            <text key={t.day} x={(t.day / days) * W} y={H + 18} textAnchor={t.day === 0 ? "start" : "middle"} className="axis">{t.label}</text>
          ))}
        </g>
      </svg>
      <figcaption><span className="key hist-tokens" /> refresh tokens expiring <span className="key hist-chains" /> chains reaching their one-year end — {title}</figcaption>
    </figure>
  );
}
