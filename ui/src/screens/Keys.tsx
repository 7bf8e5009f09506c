import { useEffect, useState } from "react";
import { useCan } from "../lib/desk";
import { api } from "../api";
import type { Alg } from "../bindings/Alg";
import type { KeyView } from "../bindings/KeyView";
import { formatTime } from "../lib/jwt";
import { impactText } from "../lib/impact";
import { ConfirmAction, ErrorBox, State, useNotify } from "./common";

const ALGS: Alg[] = ["RS256", "PS256", "ES256"];

/** What a key signs, from its state: the registry's access-token key signs access tokens
 *  (and the ID tokens of apps using its algorithm); the other active keys, ID tokens. */
export function keyUse(k: KeyView): string {
  if (k.state !== "active") return k.state === "published" ? "verifies tokens it signed" : "—";
  return k.signs_access_tokens ? "access tokens and ID tokens" : "ID tokens of apps using it";
}

export function Keys() {
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [jwks, setJwks] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => Promise.all([api.keys.list().then(setKeys), api.keys.jwks().then(setJwks)]).catch(setError);
  useEffect(() => {
    reload();
  }, []);
  const [rotating, setRotating] = useState<Alg | null>(null);
  const [accessTokens, setAccessTokens] = useState(false);
  const notify = useNotify();
  const can = useCan();
  const accessAlg = keys.find((k) => k.signs_access_tokens)?.alg;
  const rotate = (alg: Alg, access: boolean, reason: string) =>
    api.keys.rotate(alg, access, reason).then((k) => {
      notify(`A new ${k.alg} key signs${k.signs_access_tokens ? " access tokens and" : ""} ID tokens of apps using ${k.alg}`);
      return reload();
    }, setError);
  return (
    <section>
      <header className="screen-header">
        <h1>Signing keys</h1>
        {ALGS.map(
          (a) =>
            can("manage_keys") && (
              <button
                key={a}
                onClick={() => {
                  setRotating(a);
                  setAccessTokens(a === accessAlg);
                }}
                id={`rotate-${a.toLowerCase()}`}
              >
                Rotate {a}…
              </button>
            ),
        )}
      </header>
      <ErrorBox error={error} />
      {rotating && (
        <>
          <ConfirmAction
            id="key-rotate"
            title={`Sign with a new ${rotating} key?`}
            impact={impactText("rotate-key", null)}
            confirmLabel="Rotate"
            onCancel={() => setRotating(null)}
            onConfirm={(reason) => {
              setRotating(null);
              rotate(rotating, accessTokens, reason);
            }}
          />
          {rotating !== accessAlg && (
            <label className="inline" id="key-rotate-access">
              <input type="checkbox" checked={accessTokens} onChange={(e) => setAccessTokens(e.target.checked)} /> sign access tokens with {rotating} from now
              on (now {accessAlg})
            </label>
          )}
        </>
      )}
      <p className="dim">
        One active key per algorithm. Access tokens are signed with <strong id="access-alg">{accessAlg ?? "…"}</strong>; each app's ID tokens with its own
        algorithm. A retired key stays published until every token it signed has expired, so apps keep verifying them.
      </p>
      <table className="list" id="key-list">
        <thead>
          <tr>
            <th>kid</th>
            <th>Algorithm</th>
            <th>Signs</th>
            <th>Created</th>
            <th>Retired</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.kid}>
              <td className="mono">{k.kid}</td>
              <td>{k.alg}</td>
              <td>{keyUse(k)}</td>
              <td>{formatTime(k.created_at)}</td>
              <td>{formatTime(k.retired_at)}</td>
              <td>
                <State state={k.state} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Published JWKS</h2>
      <pre className="example" id="jwks">
        {JSON.stringify(jwks, null, 2)}
      </pre>
    </section>
  );
}
