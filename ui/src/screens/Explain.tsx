import { useState } from "react";
import { api } from "../api";
import type { ClientView } from "../bindings/ClientView";
import type { GrantSummary } from "../bindings/GrantSummary";
import type { SearchHit } from "../bindings/SearchHit";
import type { TokenExplanation } from "../bindings/TokenExplanation";
import { looksLikeToken } from "../lib/search";
import { grantBadge } from "../lib/tree";
import { ErrorBox, State } from "./common";

/** What the Explain screen found for what was typed. */
type Found =
  | { kind: "token"; explanation: TokenExplanation; grant: GrantSummary | null }
  | { kind: "person"; username: string; sub: string; grants: GrantSummary[] }
  | { kind: "grant"; grant: GrantSummary }
  | { kind: "app"; app: ClientView }
  | { kind: "nothing" };

/** "Why did it stop working?": a pasted token is checked step by step; a person, an app or a
 *  grant found by the search says why in one line each. Works on production directories too. */
export function Explain({ onGrant, onApp }: { onGrant: (grantId: string) => void; onApp: (clientId: string) => void }) {
  const [term, setTerm] = useState("");
  const [found, setFound] = useState<Found | null>(null);
  const [error, setError] = useState<unknown>(null);
  const explain = async () => {
    setError(null);
    setFound(null);
    try {
      setFound(await find(term.trim()));
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
        <input id="explain-input" placeholder="paste a token, or type a person's user name, an app's name or a grant id" value={term} onChange={(e) => setTerm(e.target.value)} onKeyDown={(e) => e.key === "Enter" && explain()} />
        <button className="primary" id="explain-go" onClick={explain}>Explain</button>
      </div>
      <ErrorBox error={error} />
      {found && <FoundView found={found} onGrant={onGrant} onApp={onApp} />}
    </section>
  );
}

async function find(term: string): Promise<Found> {
  if (!term) return { kind: "nothing" };
  if (looksLikeToken(term)) {
    const explanation = await api.sandbox.explain(term);
    const grant = await api.grants.findByToken(term).catch(() => null);
    return { kind: "token", explanation, grant };
  }
  const hits = await api.search(term);
  const best: SearchHit | undefined = hits[0];
  if (!best) return { kind: "nothing" };
  if (best.kind === "user") {
    const grants = await api.grants.list({ client_id: null, sub: best.sub, grant_id: null, limit: 50, offset: 0 });
    return { kind: "person", username: best.username, sub: best.sub, grants };
  }
  if (best.kind === "app") return { kind: "app", app: await api.clients.show(best.client_id) };
  return { kind: "grant", grant: (await api.grants.list({ client_id: null, sub: null, grant_id: best.grant.grant_id, limit: 1, offset: 0 }))[0] ?? best.grant };
}

function FoundView({ found, onGrant, onApp }: { found: Found; onGrant: (id: string) => void; onApp: (id: string) => void }) {
  switch (found.kind) {
    case "nothing":
      return <p className="empty" id="explain-nothing">Nothing matches: no person, app or grant, and not a token this issuer knows.</p>;
    case "token": {
      const e = found.explanation;
      return (
        <div className="detail" id="explanation">
          <p className={e.accepted ? "ok" : "bad"}><strong>{e.accepted ? "Accepted" : "Rejected"}:</strong> {e.verdict}</p>
          <ul>{e.findings.map((f) => <li key={f}>{f}</li>)}</ul>
          {found.grant && <GrantLine grant={found.grant} onGrant={onGrant} />}
          {e.claims && <pre className="example">{JSON.stringify(e.claims, null, 2)}</pre>}
        </div>
      );
    }
    case "person":
      return (
        <div className="detail" id="explanation">
          <h2>{found.username}</h2>
          {found.grants.length === 0 && <p className="dim">No grants: this person has not authorized any app (or every grant was pruned).</p>}
          {found.grants.map((g) => <GrantLine key={g.grant_id} grant={g} onGrant={onGrant} />)}
        </div>
      );
    case "grant":
      return <div className="detail" id="explanation"><GrantLine grant={found.grant} onGrant={onGrant} /></div>;
    case "app":
      return (
        <div className="detail" id="explanation">
          <h2><button className="link" onClick={() => onApp(found.app.client_id)}>{found.app.name}</button></h2>
          {found.app.trouble.length === 0 && <p className="ok">Nothing is known to be wrong with this app: it is enabled, and no recent rotation or failed authentication.</p>}
          {found.app.trouble.map((t) => <p className="why" key={t}>{t}</p>)}
        </div>
      );
  }
}

/** One grant: its app and person, its state, and why it stopped (or that it works). */
function GrantLine({ grant, onGrant }: { grant: GrantSummary; onGrant: (id: string) => void }) {
  return (
    <div className="grant-line" data-grant={grant.grant_id}>
      <div>
        <button className="link" onClick={() => onGrant(grant.grant_id)}>{grant.client_name ?? "deleted app"}</button> for {grant.username ?? "a deleted user"} <State state={grantBadge(grant.status, grant.why)} />
      </div>
      <p className={grant.why ? "why" : "ok"}>{grant.why ?? "Works: the app can refresh its tokens."}</p>
    </div>
  );
}
