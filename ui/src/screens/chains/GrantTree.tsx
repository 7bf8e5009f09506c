import { useState } from "react";
import type { GrantDetail } from "../../bindings/GrantDetail";
import { useCan } from "../../lib/desk";
import { formatTime, relative } from "../../lib/jwt";
import { grantLabel, idTail } from "../../lib/names";
import { countTokens, flattenTree, visibleRows } from "../../lib/tree";
import { Copy, ShortId, State } from "../common";

/** One grant: who and what, its refresh tokens by their place in the tree (1, 1.1, 1.2 — the
 *  id's random tail on hover and copy), its last access tokens. */
export function GrantTree({
  detail,
  label,
  onRevoke,
  onTimeline,
  onApp,
  onUser,
}: {
  detail: GrantDetail;
  label?: string;
  onRevoke: () => void;
  onTimeline: () => void;
  onApp: () => void;
  onUser: () => void;
}) {
  const canRevoke = useCan()("revoke");
  const rows = flattenTree(detail.refresh_tokens);
  const counts = countTokens(detail.refresh_tokens);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) => {
    const next = new Set(collapsed);
    if (!next.delete(id)) next.add(id);
    setCollapsed(next);
  };
  return (
    <div className="detail" id="grant-detail">
      <h2>
        {label ?? grantLabel(detail)} <State state={detail.status} />
      </h2>
      {detail.why && (
        <p className="why" id="grant-why">
          {detail.why}
        </p>
      )}
      <dl>
        <dt>application</dt>
        <dd>
          {detail.client_name ? (
            <button className="link" id="grant-app" onClick={onApp}>
              {detail.client_name}
            </button>
          ) : (
            "deleted app"
          )}
        </dd>
        <dt>person</dt>
        <dd>
          {detail.username ? (
            <button className="link" id="grant-user" title="All of this person's grants" onClick={onUser}>
              {detail.username}
            </button>
          ) : (
            "deleted user"
          )}
        </dd>
        <dt>scope</dt>
        <dd className="mono">{detail.scope}</dd>
        <dt>chain</dt>
        <dd>
          {formatTime(detail.chain_started_at)} → {formatTime(detail.chain_ends_at)}
        </dd>
        <dt>last refresh possible</dt>
        <dd id="last-refresh">{formatTime(detail.last_refresh_possible_at)}</dd>
        <dt>DPoP</dt>
        <dd id="grant-dpop" className={detail.dpop_jkt ? "mono" : undefined}>
          {detail.dpop_jkt ? `refresh tokens bound to key ${detail.dpop_jkt}` : "not bound (bearer refresh tokens)"}
        </dd>
        <dt>grant id</dt>
        <dd>
          <ShortId id={detail.grant_id} />
        </dd>
      </dl>
      <h3>
        Refresh tokens ({counts.active} usable of {counts.total})
      </h3>
      <table className="tree" id="token-tree">
        <thead>
          <tr>
            <th>Token</th>
            <th>Issued</th>
            <th>Ends</th>
            <th>Last use</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {visibleRows(rows, collapsed).map((r) => {
            const n = r.node;
            const folded = collapsed.has(n.id);
            const capped = n.effective_expires_at !== n.expires_at;
            return (
              <tr key={n.id} data-depth={r.depth}>
                <td className="nowrap" style={{ paddingLeft: `${0.5 + r.depth * 1.2}rem` }}>
                  {n.children.length > 0 ? (
                    <button
                      className="fold"
                      aria-expanded={!folded}
                      title={folded ? "Show the tokens it was refreshed into" : "Hide the tokens it was refreshed into"}
                      onClick={() => toggle(n.id)}
                    >
                      {folded ? "▸" : "▾"}
                    </button>
                  ) : (
                    <span className="fold-space" />
                  )}
                  <span className="token-position" title={`token …${idTail(n.id)} (${n.id})`}>
                    {r.path}
                  </span>
                  {folded && <span className="dim"> +{countTokens(n.children).total}</span>}
                </td>
                <td className="nowrap" title={formatTime(n.issued_at)}>
                  {relative(n.issued_at, detail.now)}
                </td>
                <td
                  className="nowrap"
                  title={`own expiry ${formatTime(n.expires_at)}${capped ? `; the chain's end comes first: ${formatTime(n.effective_expires_at)}` : ""}`}
                >
                  {relative(n.effective_expires_at, detail.now)}
                  {capped && <span className="dim"> (chain end)</span>}
                </td>
                <td className="nowrap" title={formatTime(n.last_used_at)}>
                  {n.last_used_at ? relative(n.last_used_at, detail.now) : "—"}
                  {n.use_count > 1 ? ` (${n.use_count}×)` : ""}
                </td>
                <td>
                  <State state={n.state} />
                </td>
              </tr>
            );
          })}
          {rows.length === 0 && (
            <tr>
              <td colSpan={5} className="dim">
                No refresh tokens (the scope had no offline access).
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <h3>Access tokens ({detail.access_tokens.length})</h3>
      <table className="tree">
        <tbody>
          {detail.access_tokens.slice(-5).map((a, i, shown) => (
            <tr key={a.jti}>
              <td className="nowrap" title={`token …${idTail(a.jti)}`}>
                access {detail.access_tokens.length - shown.length + i + 1} <Copy text={a.jti} />
              </td>
              <td className="nowrap" title={formatTime(a.issued_at)}>
                issued {relative(a.issued_at, detail.now)}
              </td>
              <td className="nowrap" title={formatTime(a.expires_at)}>
                {Date.parse(a.expires_at) > Date.parse(detail.now) ? "expires" : "expired"} {relative(a.expires_at, detail.now)}
              </td>
              <td>
                <State state={a.state} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button id="show-timeline" onClick={onTimeline}>
          Show on timeline
        </button>
        {canRevoke && detail.status === "active" && (
          <button className="danger" id="revoke-grant" onClick={onRevoke}>
            Revoke this grant…
          </button>
        )}
      </div>
    </div>
  );
}
