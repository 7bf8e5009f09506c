import { useEffect, useState } from "react";
import { api } from "../../api";
import type { GrantDetail } from "../../bindings/GrantDetail";
import type { GrantEnding } from "../../bindings/GrantEnding";
import type { GrantQuery } from "../../bindings/GrantQuery";
import type { GrantStatus } from "../../bindings/GrantStatus";
import type { GrantSummary } from "../../bindings/GrantSummary";
import type { Impact } from "../../bindings/Impact";
import type { SearchHit } from "../../bindings/SearchHit";
import { useCan } from "../../lib/desk";
import { endingLabel, grantLabels } from "../../lib/names";
import { loadFilters, saveFilters } from "../../lib/theme";
import { ConfirmAction, ErrorBox, useNotify } from "../common";
import { Picker } from "../Picker";
import { GrantList } from "./GrantList";
import { GrantTree } from "./GrantTree";
import { bulkImpactText, type Chosen, plural, sumImpacts } from "./bulk";

const CHAINS_KEY = "authdesk.chains.v2";
const PAGE = 50;

/** What the Chains screen opens on when another screen links to it: a person's or an app's
 *  grants, or those behind an "ending soon" number or a chart bar. */
export type ChainQuery = { by: "user" | "app"; term: string } | { by: "ending"; ending: GrantEnding };

/** The support agent's list: grants of a person, of an app, or all; filtered by state and
 *  sorted; one opens its tree; several (or all of a person's or app's) are revoked after one
 *  preview, with a reason and, for all of them, the name typed to confirm. */
export function Chains({
  initial,
  focus,
  onTimeline,
  onApp,
  onUser,
}: {
  initial: ChainQuery | null;
  focus: string | null;
  onTimeline: (grantId: string) => void;
  onApp: (clientId: string) => void;
  onUser: (sub: string) => void;
}) {
  const kept = loadFilters<{ chosen: Chosen | null; status: GrantStatus | ""; endingFirst: boolean }>(CHAINS_KEY, {
    chosen: null,
    status: "",
    endingFirst: false,
  });
  const linked = initial?.by === "ending" ? null : initial;
  const [chosen, setChosen] = useState<Chosen | null>(linked ? { by: linked.by, id: linked.term, name: null } : initial ? null : kept.chosen);
  const [ending, setEnding] = useState<GrantEnding | null>(initial?.by === "ending" ? initial.ending : null);
  const [status, setStatus] = useState<GrantStatus | "">(ending ? "" : kept.status);
  const [endingFirst, setEndingFirst] = useState(ending ? true : kept.endingFirst);
  const [grants, setGrants] = useState<GrantSummary[]>([]);
  const [offset, setOffset] = useState(0);
  const [detail, setDetail] = useState<GrantDetail | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [pending, setPending] = useState<{ queries: GrantQuery[]; title: string; impact: Impact | null; typed: string | null; whose: string } | null>(null);
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const notify = useNotify();
  const can = useCan();

  const base = (): GrantQuery => ({
    client_id: chosen?.by === "app" ? chosen.id : null,
    sub: chosen?.by === "user" ? chosen.id : null,
    grant_id: null,
    limit: PAGE,
    offset,
  });
  const load = async () => {
    setError(null);
    saveFilters(CHAINS_KEY, { chosen, status, endingFirst });
    try {
      const list = await api.grants.list({ ...base(), status: status || undefined, ending_first: endingFirst, ending: ending ?? undefined });
      setGrants(list);
      // The chosen person's or app's name, once the list shows it.
      if (chosen && !chosen.name && list[0]) setChosen({ ...chosen, name: chosen.by === "user" ? list[0].username : list[0].client_name });
    } catch (e) {
      setError(e);
      setGrants([]);
    }
  };
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [offset, chosen?.by, chosen?.id, status, endingFirst, ending]);
  // A grant opened from elsewhere shows among its person's grants (so it reads apart from
  // theirs), unless the link named a list.
  useEffect(() => {
    if (!focus) return;
    api.grants.show(focus).then((d) => {
      setDetail(d);
      if (!initial) {
        setOffset(0);
        setChosen({ by: "user", id: d.sub, name: d.username });
      }
    }, setError);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus]);
  const open = (id: string) => api.grants.show(id).then(setDetail, setError);
  const pick = (h: SearchHit) => {
    setOffset(0);
    setSelected(new Set());
    if (h.kind === "user") setChosen({ by: "user", id: h.sub, name: h.username });
    else if (h.kind === "app") setChosen({ by: "app", id: h.client_id, name: h.name });
    else open(h.grant.grant_id);
  };
  const one = (id: string): GrantQuery => ({ grant_id: id, client_id: null, sub: null, limit: 1, offset: 0 });
  const ask = async (queries: GrantQuery[], title: string, whose: string, typed: string | null) => {
    setPending({ queries, title, impact: null, typed, whose });
    try {
      const impacts = await Promise.all(queries.map((q) => api.grants.preview(q)));
      setPending({ queries, title, impact: sumImpacts(impacts), typed, whose });
    } catch (e) {
      setPending(null);
      setError(e);
    }
  };
  const revoke = async (reason: string) => {
    if (!pending) return;
    try {
      let grants = 0;
      for (const q of pending.queries) grants += (await api.grants.revoke(q, reason)).grants;
      notify(`Revoked ${plural(grants, "grant")}${pending.whose}`);
      setPending(null);
      setSelected(new Set());
      await load();
      if (detail) await open(detail.grant_id);
    } catch (e) {
      setError(e);
    }
  };
  const labels = grantLabels(grants);
  const live = grants.filter((g) => g.status === "active");
  const whose = chosen?.name ? (chosen.by === "user" ? ` of ${chosen.name}` : ` of ${chosen.name}`) : "";
  const canSelect = can("revoke");
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    setSelected(next);
  };

  return (
    <section>
      <header className="screen-header">
        <h1>Chains</h1>
        <Picker id="chain-pick" placeholder="A person, an app, or paste a token" onPick={pick} />
        {chosen && (
          <span className="chip" id="chain-chosen">
            {chosen.by === "user" ? "person" : "app"}: <strong>{chosen.name ?? "…"}</strong>
            <button
              className="small"
              aria-label="Show every grant"
              onClick={() => {
                setChosen(null);
                setOffset(0);
              }}
            >
              ×
            </button>
          </span>
        )}
        {ending && (
          <span className="chip" id="chain-ending">
            {endingLabel(ending)}
            <button
              className="small"
              aria-label="Show every grant"
              onClick={() => {
                setEnding(null);
                setOffset(0);
              }}
            >
              ×
            </button>
          </span>
        )}
        <select
          id="chain-status"
          aria-label="State"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as GrantStatus | "");
            setOffset(0);
          }}
        >
          <option value="">every state</option>
          <option value="active">active</option>
          <option value="revoked">revoked</option>
          <option value="chain_ended">chain ended</option>
        </select>
        <select
          id="chain-sort"
          aria-label="Order"
          value={endingFirst ? "ending" : "newest"}
          onChange={(e) => {
            setEndingFirst(e.target.value === "ending");
            setOffset(0);
          }}
        >
          <option value="newest">newest first</option>
          <option value="ending">ending soonest first</option>
        </select>
      </header>
      <ErrorBox error={error} />
      {pending && (
        <ConfirmAction
          id="revoke"
          title={pending.title}
          impact={pending.impact && bulkImpactText(pending.impact)}
          typeToConfirm={pending.typed}
          confirmLabel="Revoke"
          onCancel={() => setPending(null)}
          onConfirm={revoke}
        />
      )}
      <div className="split">
        <div>
          <GrantList grants={grants} labels={labels} openId={detail?.grant_id ?? null} selected={canSelect ? selected : null} onOpen={open} onToggle={toggle} />
          <div className="pager">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous
            </button>
            <span className="dim">{grants.length ? `${offset + 1}–${offset + grants.length}` : ""}</span>
            <button disabled={grants.length < PAGE} onClick={() => setOffset(offset + PAGE)}>
              Next
            </button>
          </div>
          <div className="actions">
            {can("revoke") && selected.size > 0 && (
              <button
                className="danger"
                id="revoke-selected"
                onClick={() => ask([...selected].map(one), `Revoke ${plural(selected.size, "selected grant")}?`, whose, null)}
              >
                Revoke {plural(selected.size, "selected grant")}…
              </button>
            )}
            {can("revoke") && chosen && live.length > 0 && (
              <button
                className="danger"
                id="revoke-all"
                onClick={() =>
                  ask(
                    [{ ...base(), limit: 1, offset: 0 }],
                    `Revoke every grant of ${chosen.name ?? "this " + (chosen.by === "user" ? "person" : "app")}?`,
                    whose,
                    chosen.name,
                  )
                }
              >
                Revoke all of {chosen.name ?? (chosen.by === "user" ? "this person" : "this app")}'s grants…
              </button>
            )}
            {can("revoke") && chosen?.by === "user" && !signingOut && (
              <button id="sign-out-everywhere" onClick={() => setSigningOut(true)}>
                Sign {chosen.name ?? "this person"} out everywhere…
              </button>
            )}
          </div>
          {signingOut && chosen && (
            <ConfirmAction
              id="sign-out"
              title={`Sign ${chosen.name ?? "this person"} out everywhere?`}
              impact="Every login session of theirs at this issuer ends: the next sign-in asks for the password again. Their apps keep their grants (revoke those to end the apps' access)."
              confirmLabel="Sign out everywhere"
              onCancel={() => setSigningOut(false)}
              onConfirm={(reason) => {
                setSigningOut(false);
                api.users
                  .signOut(chosen.id, reason || null)
                  .then((n) => notify(`Signed ${chosen.name ?? "them"} out: ${plural(n, "session")} ended`), setError);
              }}
            />
          )}
        </div>
        <div className="panel">
          {detail ? (
            <GrantTree
              detail={detail}
              label={labels.get(detail.grant_id)}
              onRevoke={() =>
                ask([one(detail.grant_id)], `Revoke ${labels.get(detail.grant_id) ?? "this grant"}?`, detail.username ? ` of ${detail.username}` : "", null)
              }
              onTimeline={() => onTimeline(detail.grant_id)}
              onApp={() => onApp(detail.client_id)}
              onUser={() => onUser(detail.sub)}
            />
          ) : (
            <p className="dim">Select a grant to see its token tree.</p>
          )}
        </div>
      </div>
    </section>
  );
}
