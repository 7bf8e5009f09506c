import { useEffect, useState } from "react";
import { useCan } from "../lib/desk";
import { api } from "../api";
import type { ClockView } from "../bindings/ClockView";
import type { ClientView } from "../bindings/ClientView";
import type { Minted } from "../bindings/Minted";
import { decodeJwt, timeClaims } from "../lib/jwt";
import type { SearchHit } from "../bindings/SearchHit";
import { ErrorBox, Copy } from "./common";
import { Picker } from "./Picker";
import { Users } from "./sandbox/Users";

export function Sandbox({
  onClockChange,
  onGrants,
  onChain,
}: {
  onClockChange: () => void;
  onGrants: (sub: string) => void;
  onChain: (grantId: string) => void;
}) {
  const can = useCan();
  return (
    <section>
      <header className="screen-header">
        <h1>Sandbox</h1>
      </header>
      <div className="grid2">
        <Users onGrants={onGrants} canEdit={can("manage_people")} />
        {can("sandbox_tools") && <Clock onChange={onClockChange} />}
        {can("sandbox_tools") && <Mint onChain={onChain} />}
      </div>
    </section>
  );
}

/** The moments the token rules turn on: an access token's 10 minutes, a refresh token's 90
 *  days, a chain's year. */
const PRESETS: [string, string][] = [
  ["+10 min", "10m"],
  ["+90 days", "90d"],
  ["+1 year", "1y"],
];

function Clock({ onChange }: { onChange: () => void }) {
  const [duration, setDuration] = useState("91d");
  const [shown, setShown] = useState<string>("");
  const [error, setError] = useState<unknown>(null);
  const done = (v: ClockView) => {
    setShown(`now ${v.now.slice(0, 19).replace("T", " ")} UTC (offset ${Math.round(v.offset_seconds / 86400)} d)`);
    onChange();
  };
  return (
    <div className="card">
      <h2>Sandbox clock</h2>
      <p className="dim">Moves the time every token rule sees, here and in the running server: 10m, 90d, 1y…</p>
      <ErrorBox error={error} />
      <div className="inline-form">
        <input id="clock-duration" value={duration} onChange={(e) => setDuration(e.target.value)} />
        <button id="clock-advance" onClick={() => api.sandbox.clockAdvance(duration).then(done, setError)}>
          Advance
        </button>
        <button id="clock-reset" onClick={() => api.sandbox.clockReset().then(done, setError)}>
          Reset
        </button>
      </div>
      <div className="actions" aria-label="presets">
        {PRESETS.map(([label, by]) => (
          <button key={by} id={`clock-preset-${by}`} className="small" onClick={() => api.sandbox.clockAdvance(by).then(done, setError)}>
            {label}
          </button>
        ))}
      </div>
      {shown && <p id="clock-shown">{shown}</p>}
    </div>
  );
}

function Mint({ onChain }: { onChain: (grantId: string) => void }) {
  const [clients, setClients] = useState<ClientView[]>([]);
  const [clientId, setClientId] = useState("");
  // The person the tokens are for, picked by name; none: client credentials.
  const [person, setPerson] = useState<{ sub: string; username: string } | null>(null);
  const [scope, setScope] = useState("openid profile offline_access");
  const [result, setResult] = useState<Minted | null>(null);
  // Bind the tokens to a new DPoP key (RFC 9449) the Sandbox makes.
  const [dpop, setDpop] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.clients.list("").then(setClients, setError);
  }, []);
  const pick = (h: SearchHit) => {
    if (h.kind === "user") setPerson({ sub: h.sub, username: h.username });
  };
  return (
    <div className="card wide">
      <h2>Mint tokens without a browser</h2>
      <ErrorBox error={error} />
      <div className="inline-form">
        <select id="mint-client" aria-label="Application" value={clientId} onChange={(e) => setClientId(e.target.value)}>
          <option value="">application…</option>
          {clients.map((c) => (
            <option key={c.client_id} value={c.client_id}>
              {c.name}
            </option>
          ))}
        </select>
        {person ? (
          <span className="chip" id="mint-person">
            for <strong>{person.username}</strong>
            <button className="small" aria-label="No person: client credentials" onClick={() => setPerson(null)}>
              ×
            </button>
          </span>
        ) : (
          <Picker id="mint-user" placeholder="for a person (none: client credentials)" kinds={["user"]} onPick={pick} />
        )}
        <input id="mint-scope" aria-label="Scope" value={scope} onChange={(e) => setScope(e.target.value)} />
        <label className="inline">
          <input type="checkbox" id="mint-dpop" checked={dpop} onChange={(e) => setDpop(e.target.checked)} /> bound to a new DPoP key
        </label>
        <button
          id="mint-go"
          className="primary"
          onClick={() => {
            setError(null);
            api.sandbox.mint(clientId, person?.sub ?? null, scope, dpop).then(setResult, setError);
          }}
        >
          Mint
        </button>
      </div>
      {result && (
        <div className="tokens">
          <p>
            expires_in {result.expires_in} s · scope <code>{result.scope}</code>
          </p>
          {(["access_token", "id_token"] as const).map((k) => {
            const t = result[k];
            const d = t ? decodeJwt(t) : null;
            return t && d ? (
              <details key={k} open>
                <summary>
                  {k} <Copy text={t} id={`copy-${k}`} />
                </summary>
                <p className="dim" id={`times-${k}`}>
                  {timeClaims(d.payload)
                    .map(([c, at]) => `${c} ${at}`)
                    .join(" · ")}
                </p>
                <pre className="example">
                  {JSON.stringify(d.header)}
                  {"\n"}
                  {JSON.stringify(d.payload, null, 2)}
                </pre>
              </details>
            ) : null;
          })}
          {result.dpop && (
            <div id="mint-dpop-key">
              <p>
                {result.token_type} tokens, bound to the key <code className="mono">{result.dpop.jkt}</code> (its private JWK{" "}
                <Copy text={JSON.stringify(result.dpop.private_jwk)} id="copy-dpop-key" /> signs further proofs). Try it, once within a minute:
              </p>
              <pre className="example" id="mint-dpop-command">
                {result.dpop.proof_command}
              </pre>
              <Copy text={result.dpop.proof_command} id="copy-dpop-command" />
            </div>
          )}
          {result.refresh_token && (
            <p>
              refresh_token <code className="mono">{result.refresh_token}</code> <Copy text={result.refresh_token} id="copy-refresh_token" />{" "}
              <button
                className="small"
                id="mint-chain"
                onClick={() => api.grants.findByToken(result.refresh_token!).then((g) => onChain(g.grant_id), setError)}
              >
                Its chain
              </button>
            </p>
          )}
        </div>
      )}
    </div>
  );
}
