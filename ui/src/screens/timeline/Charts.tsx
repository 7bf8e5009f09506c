import type { EndingWhat } from "../../bindings/EndingWhat";
import type { ExpiryHistogram } from "../../bindings/ExpiryHistogram";
import type { GrantDetail } from "../../bindings/GrantDetail";
import type { GrantEnding } from "../../bindings/GrantEnding";
import type { TokenStatus } from "../../bindings/TokenStatus";
import { formatTime } from "../../lib/jwt";
import { bucket, dayLabel, dayTicks, monthTicks, niceStep, nothingEnds, timeScale, tokenWindows } from "../../lib/timeline";
import { flattenTree } from "../../lib/tree";
import { useWidth } from "../../lib/useWidth";
import { activates } from "../common";

/** The charts' plot width before the page has been measured. */
const FALLBACK_WIDTH = 760;

/** The legend's words for a token's state (only the states drawn are listed). */
const STATE_WORDS: Record<TokenStatus, string> = {
  active: "usable",
  consumed: "used (rotated)",
  expired: "expired",
  chain_ended: "chain ended",
  revoked: "revoked",
};

/** One chain's refresh tokens against its one-year cap, with "now", a month axis and a legend. */
export function ChainPicture({ detail }: { detail: GrantDetail }) {
  const [ref, width] = useWidth<HTMLElement>(FALLBACK_WIDTH + 160);
  const W = width - 160;
  if (!detail.chain_started_at || !detail.chain_ends_at) return <p className="dim">This grant has no refresh-token chain.</p>;
  const rows = flattenTree(detail.refresh_tokens);
  const windows = tokenWindows(
    rows.map((r) => r.node),
    detail.chain_started_at,
    detail.chain_ends_at,
    W,
  );
  const lastEnd = Math.max(Date.parse(detail.chain_ends_at), ...rows.map((r) => Date.parse(r.node.expires_at)));
  const x = timeScale(detail.chain_started_at, new Date(lastEnd).toISOString(), W);
  const cap = x(detail.chain_ends_at);
  const now = x(detail.now);
  const lastRefresh = detail.last_refresh_possible_at ? x(detail.last_refresh_possible_at) : null;
  const rowH = 18;
  const h = rows.length * rowH + 50;
  const states = [...new Set(rows.map((r) => r.node.state))];
  const ticks = monthTicks(detail.chain_started_at, new Date(lastEnd).toISOString());
  return (
    <figure className="chart" id="chain-picture" ref={ref}>
      <svg width={W + 140} height={h + 18} role="img" aria-label="token windows against the one-year cap">
        <g transform="translate(120,20)">
          <rect x={0} y={-8} width={cap} height={h - 30} className="chain-span" />
          <line x1={cap} x2={cap} y1={-12} y2={h - 20} className="cap" />
          <text x={cap} y={-12} className="cap-label" textAnchor="end">
            1-year cap {formatTime(detail.chain_ends_at).slice(0, 10)}
          </text>
          {rows.map((r, i) => {
            const w = windows[i];
            return (
              <g key={r.node.id} transform={`translate(0,${i * rowH})`}>
                <text x={-8} y={10} textAnchor="end" className="row-label">
                  token {r.path}
                </text>
                <rect x={w.x} y={0} width={Math.max(w.effectiveEnd - w.x, 1)} height={12} className={`bar bar-${r.node.state}`}>
                  <title>{`token ${r.path}: issued ${formatTime(r.node.issued_at)}, ends ${formatTime(r.node.effective_expires_at)} (${r.node.state})`}</title>
                </rect>
                {w.capped && <rect x={w.effectiveEnd} y={3} width={Math.max(w.ownEnd - w.effectiveEnd, 1)} height={6} className="bar-cut" />}
              </g>
            );
          })}
          {ticks.map((t) => (
            <g key={t.iso} className="date-tick">
              <line x1={x(t.iso)} x2={x(t.iso)} y1={h - 28} y2={h - 22} className="grid" />
              <text x={x(t.iso)} y={h - 6} textAnchor="middle" className="axis">
                {t.label}
              </text>
            </g>
          ))}
          <line x1={now} x2={now} y1={-12} y2={h - 20} className="now" />
          <text x={now + 3} y={h - 22} className="now-label">
            now
          </text>
          {lastRefresh !== null && (
            <g id="last-refresh-mark">
              <line x1={lastRefresh} x2={lastRefresh} y1={-12} y2={h - 20} className="last-refresh" />
              <text x={lastRefresh - 3} y={h - 22} textAnchor="end" className="last-refresh-label">
                last refresh possible
              </text>
            </g>
          )}
        </g>
      </svg>
      <figcaption>
        <span className="legend" id="chain-legend">
          {states.map((s) => (
            <span key={s}>
              <span className={`key key-${s}`} />
              {STATE_WORDS[s]}
            </span>
          ))}
          {windows.some((w) => w.capped) && (
            <span>
              <span className="key bar-cut-key" />
              cut off by the cap
            </span>
          )}
        </span>
        Each bar is one refresh token, from issue to its effective expiry; a thin stub shows the part of its own 90 days cut off by the cap. Last refresh
        possible: <strong>{formatTime(detail.last_refresh_possible_at)}</strong>.
      </figcaption>
    </figure>
  );
}

/** What ends per day or week from when it was counted; each bar opens the grants behind it. */
export function Histogram({
  counted,
  days,
  size,
  title,
  id,
  onBar,
}: {
  counted: ExpiryHistogram;
  days: number;
  size: number;
  title: string;
  id: string;
  onBar: (e: GrantEnding) => void;
}) {
  const [ref, width] = useWidth<HTMLElement>(FALLBACK_WIDTH + 70);
  const W = width - 70;
  const buckets = bucket(counted.days, days, size);
  const now = new Date(counted.from * 1000).toISOString();
  const window = (what: EndingWhat, start: number): GrantEnding => ({ what, from: counted.from + start * 86400, to: counted.from + (start + size) * 86400 });
  const when = (start: number) => (size === 1 ? dayLabel(now, start) : `week of ${dayLabel(now, start)}`);
  const shown = { tokens: buckets.some((b) => b.tokens > 0), chains: buckets.some((b) => b.chains > 0) };
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
            <g key={v}>
              <line x1={0} x2={W} y1={y(v)} y2={y(v)} className="grid" />
              <text x={-6} y={y(v) + 4} textAnchor="end" className="axis">
                {v}
              </text>
            </g>
          ))}
          {buckets.map((b, i) => (
            <g key={i}>
              {b.tokens > 0 && (
                <Bar
                  x={i * bw + 1}
                  y={y(b.tokens)}
                  w={Math.max(bw / 2 - 1, 1)}
                  h={H - y(b.tokens)}
                  className="hist-tokens"
                  label={`${when(b.start)}: ${b.tokens} refresh token${b.tokens === 1 ? "" : "s"} expire — open the grants`}
                  onOpen={() => onBar(window("refresh_token", b.start))}
                />
              )}
              {b.chains > 0 && (
                <Bar
                  x={i * bw + bw / 2}
                  y={y(b.chains)}
                  w={Math.max(bw / 2 - 1, 1)}
                  h={H - y(b.chains)}
                  className="hist-chains"
                  label={`${when(b.start)}: ${b.chains} chain${b.chains === 1 ? "" : "s"} reach their one-year end — open the grants`}
                  onOpen={() => onBar(window("chain", b.start))}
                />
              )}
            </g>
          ))}
          {dayTicks(now, days).map((t) => (
            <text key={t.day} x={(t.day / days) * W} y={H + 18} textAnchor={t.day === 0 ? "start" : "middle"} className="axis">
              {t.label}
            </text>
          ))}
        </g>
      </svg>
      <figcaption>
        {shown.tokens && (
          <>
            <span className="key hist-tokens" /> refresh tokens expiring{" "}
          </>
        )}
        {shown.chains && (
          <>
            <span className="key hist-chains" /> chains reaching their one-year end{" "}
          </>
        )}
        — {title}; a bar opens its grants
      </figcaption>
    </figure>
  );
}

/** A bar that opens the grants behind it, by mouse or keyboard. */
function Bar({ x, y, w, h, className, label, onOpen }: { x: number; y: number; w: number; h: number; className: string; label: string; onOpen: () => void }) {
  return (
    <rect x={x} y={y} width={w} height={h} className={`${className} bar-link`} role="button" aria-label={label} {...activates(onOpen)}>
      <title>{label}</title>
    </rect>
  );
}
