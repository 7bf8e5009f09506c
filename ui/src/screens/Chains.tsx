import { useEffect, useState } from "react";
import { useCan } from "../lib/desk";
import { api } from "../api";
import type { GrantDetail } from "../bindings/GrantDetail";
import type { GrantQuery } from "../bindings/GrantQuery";
import type { GrantSummary } from "../bindings/GrantSummary";
import type { Impact } from "../bindings/Impact";
import { formatTime, relative } from "../lib/jwt";
import { countTokens, flattenTree, grantBadge, visibleRows } from "../lib/tree";
import { loadFilters, saveFilters } from "../lib/theme";
import { stepList } from "../lib/search";
import { ConfirmAction, ErrorBox, State, ShortId, useNotify } from "./common";

type By = "user" | "app" | "token";
const CHAINS_KEY = "authdesk.chains";
const PAGE = 50;

/** What the Chains screen opens on when another screen links to it. */
export interface ChainQuery {
  by: "user" | "app";
  term: string;
}

export function Chains({ initial, focus, onTimeline, onApp, onUser }: { initial: ChainQuery | null; focus: string | null; onTimeline: (grantId: string) => void; onApp: (clientId: string) => void; onUser: (sub: string) => void }) {
  // A link opens on what it names; the sidebar on the last search.
  const kept = loadFilters<{ by: By; term: string }>(CHAINS_KEY, { by: "app", term: "" });
  const [by, setBy] = useState<By>(initial?.by ?? kept.by);
  const [term, setTerm] = useState(initial?.term ?? kept.term);
  const [grants, setGrants] = useState<GrantSummary[]>([]);
  const [offset, setOffset] = useState(0);
  const [detail, setDetail] = useState<GrantDetail | null>(null);
  const [pending, setPending] = useState<{ query: GrantQuery; label: string; impact: Impact } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [signingOut, setSigningOut] = useState(false);
  const notify = useNotify();
  const can = useCan();

  const query = (): GrantQuery => ({
    client_id: by === "app" && term ? term.trim() : null,
    sub: by === "user" && term ? term.trim() : null,
    grant_id: null,
    limit: PAGE,
    offset,
  });
  const search = async () => {
    setError(null);
    if (by !== "token") saveFilters(CHAINS_KEY, { by, term });
    try {
      if (by === "token") {
        const d = await api.grants.findByToken(term);
        setGrants([d]);
        setDetail(d);
      } else {
        setGrants(await api.grants.list(query()));
      }
    } catch (e) {
      setError(e);
      setGrants([]);
    }
  };
  useEffect(() => {
    search();
    // Only paging searches by itself; a changed term or kind waits for the Search button (a
    // half-typed token must not be looked up on every keystroke).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [offset]);
  useEffect(() => {
    if (focus) api.grants.show(focus).then(setDetail, setError);
  }, [focus]);

  const open = (id: string) => api.grants.show(id).then(setDetail, setError);
  const preview = async (q: GrantQuery, label: string) => {
    setError(null);
    try {
      setPending({ query: q, label, impact: await api.grants.preview(q) });
    } catch (e) {
      setError(e);
    }
  };
  const revoke = async (reason: string) => {
    if (!pending) return;
    try {
      const hit = await api.grants.revoke(pending.query, reason);
      notify(`Revoked ${hit.grants} grant${hit.grants === 1 ? "" : "s"}`);
      setPending(null);
      await search();
      if (detail) await open(detail.grant_id);
    } catch (e) {
      setError(e);
    }
  };
  const one = (g: { grant_id: string }): GrantQuery => ({ grant_id: g.grant_id, client_id: null, sub: null, limit: 1, offset: 0 });

  return (
    <section>
      <header className="screen-header">
        <h1>Chains</h1>
        <select id="chain-by" value={by} onChange={(e) => setBy(e.target.value as By)}>
          <option value="app">by application (client id)</option>
          <option value="user">by user (sub)</option>
          <option value="token">by pasted token</option>
        </select>
        <input id="chain-term" placeholder={by === "token" ? "paste a refresh or access token" : by === "app" ? "client id (blank: all)" : "user sub"} value={term} onChange={(e) => setTerm(e.target.value)} onKeyDown={(e) => e.key === "Enter" && (setOffset(0), search())} />
        <button id="chain-search" className="primary" onClick={() => { setOffset(0); search(); }}>Find</button>
      </header>
      <ErrorBox error={error} />
      {pending && <RevokePreview pending={pending} onCancel={() => setPending(null)} onConfirm={revoke} />}
      <div className="split">
        <div>
          <table
            className="list"
            id="grant-list"
            tabIndex={0}
            title="↑ ↓ move through the grants"
            onKeyDown={(e) => {
              const next = stepList(e.key, grants, (g) => g.grant_id === detail?.grant_id);
              if (!next) return;
              e.preventDefault();
              open(next.grant_id);
            }}
          >
            <thead><tr><th>Application / grant</th><th>User</th><th>Created</th><th>Chain ends</th><th>State</th></tr></thead>
            <tbody>
              {grants.map((g) => (
                <tr key={g.grant_id} className={detail?.grant_id === g.grant_id ? "selected" : ""} onClick={() => open(g.grant_id)}>
                  <td>{g.client_name ?? <span className="mono">{g.client_id.slice(0, 8)}</span>}<div className="mono dim">{g.grant_id.slice(0, 8)}</div></td>
                  <td>{g.username ?? <span className="mono dim">{g.sub.slice(0, 12)} (deleted)</span>}</td>
                  <td>{formatTime(g.created_at)}</td>
                  <td>{formatTime(g.chain_ends_at)}</td>
                  <td><State state={grantBadge(g.status, g.why)} />{g.why && <div className="dim small-text why-short" title={g.why}>{g.why}</div>}</td>
                </tr>
              ))}
              {grants.length === 0 && <tr><td colSpan={5} className="dim">No grants match.</td></tr>}
            </tbody>
          </table>
          <div className="pager">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
            <span className="dim">{offset + 1}–{offset + grants.length}</span>
            <button disabled={grants.length < PAGE} onClick={() => setOffset(offset + PAGE)}>Next</button>
          </div>
          {can("revoke") && by !== "token" && term && (
            <button className="danger" id="revoke-all" onClick={() => preview({ ...query(), limit: 1, offset: 0 }, by === "app" ? `all grants of application ${term}` : `all grants of user ${term}`)}>
              Revoke all of this {by === "app" ? "application's" : "user's"} grants…
            </button>
          )}
          {can("revoke") && by === "user" && term && !signingOut && (
            <button id="sign-out-everywhere" onClick={() => setSigningOut(true)}>Sign this person out everywhere…</button>
          )}
          {signingOut && (
            <ConfirmAction
              id="sign-out"
              title="Sign this person out everywhere?"
              impact="Every login session of theirs at this issuer ends: the next sign-in asks for the password again. Their apps keep their grants (revoke those to end the apps' access)."
              confirmLabel="Sign out everywhere"
              onCancel={() => setSigningOut(false)}
              onConfirm={(reason) => {
                setSigningOut(false);
                api.users.signOut(term.trim(), reason || null).then((n) => notify(`Signed out: ${n} session${n === 1 ? "" : "s"} ended`), setError);
              }}
            />
          )}
        </div>
        <div className="panel">
          {detail ? <GrantTree detail={detail} onRevoke={() => preview(one(detail), `grant ${detail.grant_id}`)} onTimeline={() => onTimeline(detail.grant_id)} onApp={() => onApp(detail.client_id)} onUser={() => onUser(detail.sub)} /> : <p className="dim">Select a grant to see its token tree.</p>}
        </div>
      </div>
    </section>
  );
}

function RevokePreview({ pending, onCancel, onConfirm }: { pending: { label: string; impact: Impact }; onCancel: () => void; onConfirm: (reason: string) => void }) {
  const [reason, setReason] = useState("");
  const i = pending.impact;
  return (
    <div className="modal" id="revoke-preview">
      <h2>Revoke {pending.label}?</h2>
      <p id="revoke-impact">
        This hits <strong>{i.grants}</strong> grant(s), <strong>{i.refresh_tokens}</strong> usable refresh token(s) and <strong>{i.access_tokens}</strong> unexpired access token(s).
      </p>
      <p className="dim">Refresh tokens stop working at once; introspection and userinfo refuse the access tokens at once. A JWT access token already handed out still verifies offline until it expires (at most 10 minutes).</p>
      <input id="revoke-reason" placeholder="reason (shown in the grant and the audit log)" value={reason} onChange={(e) => setReason(e.target.value)} />
      <div className="actions">
        <button className="danger" id="revoke-confirm" onClick={() => onConfirm(reason || "revoked in the console")}>Revoke</button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}

function GrantTree({ detail, onRevoke, onTimeline, onApp, onUser }: { detail: GrantDetail; onRevoke: () => void; onTimeline: () => void; onApp: () => void; onUser: () => void }) {
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
      <h2>Grant <ShortId id={detail.grant_id} /> <State state={detail.status} /></h2>
      {detail.why && <p className="why" id="grant-why">{detail.why}</p>}
      <dl>
        <dt>application</dt><dd>{detail.client_name ? <button className="link" id="grant-app" onClick={onApp}>{detail.client_name}</button> : "deleted app"} <ShortId id={detail.client_id} /></dd>
        <dt>user</dt><dd>{detail.username ? <button className="link" id="grant-user" title="All of this person's grants" onClick={onUser}>{detail.username}</button> : "deleted user"} <ShortId id={detail.sub} /></dd>
        <dt>scope</dt><dd className="mono">{detail.scope}</dd>
        <dt>chain</dt><dd>{formatTime(detail.chain_started_at)} → {formatTime(detail.chain_ends_at)}</dd>
        <dt>last refresh possible</dt><dd id="last-refresh">{formatTime(detail.last_refresh_possible_at)}</dd>
      </dl>
      <h3>Refresh tokens ({counts.active} usable of {counts.total})</h3>
      <table className="tree" id="token-tree">
        <thead><tr><th>Token</th><th>Issued</th><th>Ends</th><th>Last use</th><th>State</th></tr></thead>
        <tbody>
          {visibleRows(rows, collapsed).map((r) => {
            const n = r.node;
            const folded = collapsed.has(n.id);
            const capped = n.effective_expires_at !== n.expires_at;
            return (
              <tr key={n.id} data-depth={r.depth}>
                <td className="mono nowrap" style={{ paddingLeft: `${0.5 + r.depth * 1.2}rem` }}>
                  {n.children.length > 0 ? (
                    <button className="fold" aria-expanded={!folded} title={folded ? "Show the tokens it was refreshed into" : "Hide the tokens it was refreshed into"} onClick={() => toggle(n.id)}>{folded ? "▸" : "▾"}</button>
                  ) : <span className="fold-space" />}
                  {r.path} <span className="dim">{n.id.slice(0, 6)}</span>
                  {folded && <span className="dim"> +{countTokens(n.children).total}</span>}
                </td>
                <td className="nowrap" title={formatTime(n.issued_at)}>{relative(n.issued_at, detail.now)}</td>
                <td className="nowrap" title={`own expiry ${formatTime(n.expires_at)}${capped ? `; the chain's end comes first: ${formatTime(n.effective_expires_at)}` : ""}`}>
                  {relative(n.effective_expires_at, detail.now)}{capped && <span className="dim"> (chain end)</span>}
                </td>
                <td className="nowrap" title={formatTime(n.last_used_at)}>{n.last_used_at ? relative(n.last_used_at, detail.now) : "—"}{n.use_count > 1 ? ` (${n.use_count}×)` : ""}</td>
                <td><State state={n.state} /></td>
              </tr>
            );
          })}
          {rows.length === 0 && <tr><td colSpan={5} className="dim">No refresh tokens (the scope had no offline access).</td></tr>}
        </tbody>
      </table>
      <h3>Access tokens ({detail.access_tokens.length})</h3>
      <table className="tree">
        <tbody>
          {detail.access_tokens.slice(-5).map((a) => (
            <tr key={a.jti}><td className="mono">{a.jti.slice(0, 8)}</td><td className="nowrap" title={formatTime(a.issued_at)}>issued {relative(a.issued_at, detail.now)}</td><td className="nowrap" title={formatTime(a.expires_at)}>{Date.parse(a.expires_at) > Date.parse(detail.now) ? "expires" : "expired"} {relative(a.expires_at, detail.now)}</td><td><State state={a.state} /></td></tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button id="show-timeline" onClick={onTimeline}>Show on timeline</button>
        {canRevoke && !detail.revoked_at && <button className="danger" id="revoke-grant" onClick={onRevoke}>Revoke this grant…</button>}
      </div>
    </div>
  );
}
