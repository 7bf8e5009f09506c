import { useState } from "react";
import { api } from "../api";
import type { ClientView } from "../bindings/ClientView";
import type { GrantSummary } from "../bindings/GrantSummary";
import type { SearchHit } from "../bindings/SearchHit";
import type { TokenExplanation } from "../bindings/TokenExplanation";
import { useCan } from "../lib/desk";
import { grantLabels } from "../lib/names";
import { describe, looksLikeToken } from "../lib/search";
import { grantBadge } from "../lib/tree";
import { bulkImpactText } from "./chains/bulk";
import { ConfirmAction, ErrorBox, State, useNotify } from "./common";

/** What the Explain screen found for what was typed. */
type Found =
  | { kind: "token"; explanation: TokenExplanation; grant: GrantSummary | null }
  | { kind: "person"; username: string; sub: string; grants: GrantSummary[] }
  | { kind: "grant"; grant: GrantSummary }
  | { kind: "app"; app: ClientView }
  | { kind: "choose"; hits: SearchHit[] }
  | { kind: "nothing" };

interface Links {
  onGrant: (grantId: string) => void;
  onApp: (clientId: string) => void;
  onUser: (sub: string) => void;
}

/** "Why did it stop working?": a pasted token is checked step by step; a person, an app or a
 *  grant says why in one line each (with Open and Revoke); several matches are offered to
 *  choose from. Works on production registries too. */
export function Explain(links: Links) {
  const [term, setTerm] = useState("");
  // The DPoP header of the call that failed, checked with the token (RFC 9449).
  const [proof, setProof] = useState("");
  const [found, setFound] = useState<Found | null>(null);
  const [error, setError] = useState<unknown>(null);
  const show = async (f: () => Promise<Found>) => {
    setError(null);
    setFound(null);
    try {
      setFound(await f());
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section>
      <header className="screen-header">
        <h1>Explain</h1>
        <span className="dim">why did it stop working?</span>
      </header>
      <div className="row">
        <input
          id="explain-input"
          placeholder="paste a token, or type a person's user name, an app's name or a grant id"
          value={term}
          onChange={(e) => setTerm(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && show(() => find(term.trim(), proof.trim()))}
        />
        <button className="primary" id="explain-go" onClick={() => show(() => find(term.trim(), proof.trim()))}>
          Explain
        </button>
      </div>
      {looksLikeToken(term.trim()) && (
        <div className="row">
          <label htmlFor="explain-proof" className="dim row-caption">
            DPoP proof
          </label>
          <input
            id="explain-proof"
            placeholder="optional: the DPoP header the failed call sent with it, to check the proof too"
            value={proof}
            onChange={(e) => setProof(e.target.value)}
            onKeyDown={(e) => e.key === "Enter" && show(() => find(term.trim(), proof.trim()))}
          />
        </div>
      )}
      <ErrorBox error={error} />
      {found && <FoundView found={found} links={links} onChoose={(h) => show(() => explainHit(h))} onChanged={() => show(() => find(term.trim()))} />}
    </section>
  );
}

async function find(term: string, proof = ""): Promise<Found> {
  if (!term) return { kind: "nothing" };
  if (looksLikeToken(term)) {
    const explanation = await api.sandbox.explain(term, proof || null);
    const grant = await api.grants.findByToken(term).catch(() => null);
    return { kind: "token", explanation, grant };
  }
  const hits = await api.search(term);
  if (hits.length === 0) return { kind: "nothing" };
  // One exact name, or a single hit, is explained at once; otherwise the person chooses.
  const exact = hits.filter(
    (h) => (h.kind === "user" && h.username.toLowerCase() === term.toLowerCase()) || (h.kind === "app" && h.name.toLowerCase() === term.toLowerCase()),
  );
  if (exact.length === 1) return explainHit(exact[0]);
  if (hits.length === 1) return explainHit(hits[0]);
  return { kind: "choose", hits };
}

async function explainHit(hit: SearchHit): Promise<Found> {
  if (hit.kind === "user") {
    const grants = await api.grants.list({ client_id: null, sub: hit.sub, grant_id: null, limit: 50, offset: 0 });
    return { kind: "person", username: hit.username, sub: hit.sub, grants };
  }
  if (hit.kind === "app") return { kind: "app", app: await api.clients.show(hit.client_id) };
  return { kind: "grant", grant: (await api.grants.list({ client_id: null, sub: null, grant_id: hit.grant.grant_id, limit: 1, offset: 0 }))[0] ?? hit.grant };
}

function FoundView({ found, links, onChoose, onChanged }: { found: Found; links: Links; onChoose: (h: SearchHit) => void; onChanged: () => void }) {
  switch (found.kind) {
    case "nothing":
      return (
        <p className="empty" id="explain-nothing">
          Nothing matches: no person, app or grant, and not a token this issuer knows.
        </p>
      );
    case "choose":
      return (
        <div className="detail" id="explain-choices">
          <p>Several match. Which one?</p>
          <ul className="hits">
            {found.hits.map((h) => {
              const d = describe(h);
              return (
                <li key={d.key}>
                  <button className="link" onClick={() => onChoose(h)}>
                    {d.title}
                  </button>{" "}
                  <span className="dim">{d.detail}</span>
                </li>
              );
            })}
          </ul>
        </div>
      );
    case "token": {
      const e = found.explanation;
      return (
        <div className="detail" id="explanation" data-accepted={e.accepted}>
          <p className={e.accepted ? "ok" : "bad"}>
            <strong>{e.accepted ? "Accepted" : "Rejected"}:</strong> {e.verdict}
          </p>
          <ul>
            {e.findings.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
          {found.grant && <GrantLines grants={[found.grant]} links={links} onChanged={onChanged} />}
          {e.claims && <pre className="example">{JSON.stringify(e.claims, null, 2)}</pre>}
        </div>
      );
    }
    case "person":
      return (
        <div className="detail" id="explanation">
          <h2>
            <button className="link" onClick={() => links.onUser(found.sub)}>
              {found.username}
            </button>
          </h2>
          {found.grants.length === 0 && <p className="dim">No grants: this person has not authorized any app (or every grant was pruned).</p>}
          <GrantLines grants={found.grants} links={links} onChanged={onChanged} />
        </div>
      );
    case "grant":
      return (
        <div className="detail" id="explanation">
          <GrantLines grants={[found.grant]} links={links} onChanged={onChanged} />
        </div>
      );
    case "app":
      return (
        <div className="detail" id="explanation">
          <h2>
            <button className="link" onClick={() => links.onApp(found.app.client_id)}>
              {found.app.name}
            </button>
          </h2>
          {found.app.trouble.length === 0 && (
            <p className="ok">Nothing is known to be wrong with this app: it is enabled, and no recent rotation or failed authentication.</p>
          )}
          {found.app.trouble.map((t) => (
            <p className="why" key={t}>
              {t}
            </p>
          ))}
        </div>
      );
  }
}

/** Grants, one line each: "Budget App · ada · since 2 Dec 2026", its state, why it stopped
 *  (or that it works), and Open / Revoke. Each link goes where its words say. */
function GrantLines({ grants, links, onChanged }: { grants: GrantSummary[]; links: Links; onChanged: () => void }) {
  const labels = grantLabels(grants);
  const can = useCan();
  const notify = useNotify();
  const [revoking, setRevoking] = useState<GrantSummary | null>(null);
  const [impact, setImpact] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const query = (g: GrantSummary) => ({ grant_id: g.grant_id, client_id: null, sub: null, limit: 1, offset: 0 });
  const ask = (g: GrantSummary) => {
    setRevoking(g);
    setImpact(null);
    api.grants.preview(query(g)).then((i) => setImpact(bulkImpactText(i)), setError);
  };
  return (
    <>
      <ErrorBox error={error} />
      {grants.map((g) => (
        <div className="grant-line" data-grant={g.grant_id} key={g.grant_id}>
          <div>
            <strong>{labels.get(g.grant_id)}</strong> <State state={grantBadge(g.status, g.why)} />{" "}
            <button className="small" onClick={() => links.onGrant(g.grant_id)}>
              Open
            </button>{" "}
            {can("revoke") && g.status === "active" && (
              <button className="small danger" onClick={() => ask(g)}>
                Revoke…
              </button>
            )}
          </div>
          <p className={g.why ? "why" : "ok"}>{g.why ?? "Works: the app can refresh its tokens."}</p>
          {revoking?.grant_id === g.grant_id && (
            <ConfirmAction
              id="explain-revoke"
              title={`Revoke ${labels.get(g.grant_id)}?`}
              impact={impact}
              confirmLabel="Revoke"
              onCancel={() => setRevoking(null)}
              onConfirm={(reason) => {
                setRevoking(null);
                api.grants.revoke(query(g), reason).then(() => {
                  notify(`Revoked ${labels.get(g.grant_id)}`);
                  onChanged();
                }, setError);
              }}
            />
          )}
        </div>
      ))}
    </>
  );
}
