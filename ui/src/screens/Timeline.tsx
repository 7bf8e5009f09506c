import { useEffect, useState } from "react";
import { api } from "../api";
import type { ExpiryDay } from "../bindings/ExpiryDay";
import type { GrantDetail } from "../bindings/GrantDetail";
import { formatTime } from "../lib/jwt";
import { bucket, niceStep, nothingEnds, timeScale, tokenWindows } from "../lib/timeline";
import { flattenTree } from "../lib/tree";
import { ErrorBox } from "./common";

const W = 760;

export function Timeline({ focus }: { focus: string | null }) {
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
      <Histogram perDay={perDay} days={90} size={1} title="next 90 days, per day" id="hist-90" />
      <Histogram perDay={perDay} days={364} size={7} title="next year, per week" id="hist-365" />
    </section>
  );
}

function ChainPicture({ detail }: { detail: GrantDetail }) {
  if (!detail.chain_started_at || !detail.chain_ends_at) return <p className="dim">This grant has no refresh-token chain.</p>;
  const rows = flattenTree(detail.refresh_tokens);
  const windows = tokenWindows(rows.map((r) => r.node), detail.chain_started_at, detail.chain_ends_at, W);
  const lastEnd = Math.max(Date.parse(detail.chain_ends_at), ...rows.map((r) => Date.parse(r.node.expires_at)));
  const x = timeScale(detail.chain_started_at, new Date(lastEnd).toISOString(), W);
  const cap = x(detail.chain_ends_at);
  const now = x(detail.now);
  const rowH = 18;
  const h = rows.length * rowH + 50;
  return (
    <figure className="chart" id="chain-picture">
      <svg width={W + 120} height={h} role="img" aria-label="token windows against the one-year cap">
        <g transform="translate(110,20)">
          <rect x={0} y={-8} width={cap} height={h - 30} className="chain-span" />
          <line x1={cap} x2={cap} y1={-12} y2={h - 20} className="cap" />
          <text x={cap} y={-12} className="cap-label" textAnchor="end">1-year cap {formatTime(detail.chain_ends_at).slice(0, 10)}</text>
          {rows.map((r, i) => {
            const w = windows[i];
            return (
              <g key={r.node.id} transform={`translate(0,${i * rowH})`}>
                <text x={-8} y={10} textAnchor="end" className="row-label">{r.path}</text>
                <rect x={w.x} y={0} width={Math.max(w.effectiveEnd - w.x, 1)} height={12} className={`bar bar-${r.node.state}`} />
                {w.capped && <rect x={w.effectiveEnd} y={3} width={Math.max(w.ownEnd - w.effectiveEnd, 1)} height={6} className="bar-cut" />}
              </g>
            );
          })}
          <line x1={now} x2={now} y1={-12} y2={h - 20} className="now" />
          <text x={now + 3} y={h - 22} className="now-label">now</text>
        </g>
      </svg>
      <figcaption>
        Each bar is one refresh token, from issue to its effective expiry; a thin stub shows the part of its own 90 days cut off by the cap.
        Last refresh possible: <strong>{formatTime(detail.last_refresh_possible_at)}</strong>.
      </figcaption>
    </figure>
  );
}

function Histogram({ perDay, days, size, title, id }: { perDay: ExpiryDay[]; days: number; size: number; title: string; id: string }) {
  const buckets = bucket(perDay, days, size);
  if (nothingEnds(buckets)) {
    return (
      <figure className="chart" id={id}>
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
    <figure className="chart" id={id}>
      <svg width={W + 60} height={H + 30} role="img" aria-label={title}>
        <g transform="translate(40,5)">
          {Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step).map((v) => (
            <g key={v}><line x1={0} x2={W} y1={y(v)} y2={y(v)} className="grid" /><text x={-6} y={y(v) + 4} textAnchor="end" className="axis">{v}</text></g>
          ))}
          {buckets.map((b, i) => (
            <g key={i}>
              <rect x={i * bw + 1} y={y(b.tokens)} width={Math.max(bw / 2 - 1, 1)} height={H - y(b.tokens)} className="hist-tokens"><title>{`day ${b.start}: ${b.tokens} tokens`}</title></rect>
              <rect x={i * bw + bw / 2} y={y(b.chains)} width={Math.max(bw / 2 - 1, 1)} height={H - y(b.chains)} className="hist-chains"><title>{`day ${b.start}: ${b.chains} chains end`}</title></rect>
            </g>
          ))}
          <text x={0} y={H + 18} className="axis">today</text>
          <text x={W} y={H + 18} textAnchor="end" className="axis">+{days} d</text>
        </g>
      </svg>
      <figcaption><span className="key hist-tokens" /> refresh tokens expiring <span className="key hist-chains" /> chains reaching their one-year end — {title}</figcaption>
    </figure>
  );
}
