import { useEffect, useState } from "react";
import { api } from "../api";
import type { Alg } from "../bindings/Alg";
import type { KeyView } from "../bindings/KeyView";
import { formatTime } from "../lib/jwt";
import { impactText } from "../lib/impact";
import { ConfirmAction, ErrorBox, State, useNotify } from "./common";

export function Keys() {
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [jwks, setJwks] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => Promise.all([api.keys.list().then(setKeys), api.keys.jwks().then(setJwks)]).catch(setError);
  useEffect(() => {
    reload();
  }, []);
  const [rotating, setRotating] = useState<Alg | null>(null);
  const notify = useNotify();
  const rotate = (alg: Alg, reason: string) => api.keys.rotate(alg, reason).then((k) => { notify(`Signing with a new ${k.alg} key`); return reload(); }, setError);
  return (
    <section>
      <header className="screen-header">
        <h1>Signing keys</h1>
        <button onClick={() => setRotating("RS256")} id="rotate-rs256">Rotate (RS256)…</button>
        <button onClick={() => setRotating("ES256")} id="rotate-es256">Rotate (ES256)…</button>
      </header>
      <ErrorBox error={error} />
      {rotating && (
        <ConfirmAction
          id="key-rotate"
          title={`Sign with a new ${rotating} key?`}
          impact={impactText("rotate-key", null)}
          confirmLabel="Rotate"
          onCancel={() => setRotating(null)}
          onConfirm={(reason) => {
            setRotating(null);
            rotate(rotating, reason);
          }}
        />
      )}
      <p className="dim">A retired key stays published until every token it signed has expired, so apps keep verifying them.</p>
      <table className="list" id="key-list">
        <thead><tr><th>kid</th><th>Algorithm</th><th>Created</th><th>Retired</th><th>State</th></tr></thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.kid}><td className="mono">{k.kid}</td><td>{k.alg}</td><td>{formatTime(k.created_at)}</td><td>{formatTime(k.retired_at)}</td><td><State state={k.state} /></td></tr>
          ))}
        </tbody>
      </table>
      <h2>Published JWKS</h2>
      <pre className="example" id="jwks">{JSON.stringify(jwks, null, 2)}</pre>
    </section>
  );
}
