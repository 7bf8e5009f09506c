import { useEffect, useState } from "react";
import { api } from "../api";
import type { ClientDefaults } from "../bindings/ClientDefaults";
import type { ConsoleStatus } from "../bindings/ConsoleStatus";
import type { Retention } from "../bindings/Retention";
import { humanSeconds } from "../lib/jwt";
import { loadTheme, saveTheme, type Theme } from "../lib/theme";
import { ErrorBox } from "./common";

/** Where the embedded server listens and which issuer it names (restartable here), the data
 *  directory, the default lifetimes and retention (read-only), and the theme. */
export function Settings({ status, onRestarted }: { status: ConsoleStatus | null; onRestarted: () => void }) {
  const [listen, setListen] = useState(status?.listen ?? "127.0.0.1:8400");
  const [issuer, setIssuer] = useState("");
  const [theme, setTheme] = useState<Theme>(loadTheme());
  const [defaults, setDefaults] = useState<ClientDefaults | null>(null);
  const [retention, setRetention] = useState<Retention | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    api.clients.defaults().then(setDefaults, setError);
    api.retention().then(setRetention, setError);
  }, []);
  const restart = () => {
    setError(null);
    setDone(null);
    api.serverRestart(listen, issuer.trim() || null).then((s) => {
      setDone(`Serving on ${s.listen} as ${s.issuer}`);
      onRestarted();
    }, setError);
  };
  const lifetimes = defaults?.lifetimes;
  return (
    <section>
      <header className="screen-header"><h1>Settings</h1></header>
      <div className="detail settings">
        <h2>Embedded server</h2>
        <p className="dim">The OAuth/OIDC endpoints this console serves on this machine. Apps and browsers use the issuer.</p>
        <div className="row">
          <label className="field">
            <span className="label">Listen address (loopback)</span>
            <input id="set-listen" value={listen} onChange={(e) => setListen(e.target.value)} />
          </label>
          <label className="field">
            <span className="label">Issuer (blank: from the address)</span>
            <input id="set-issuer" placeholder={status?.issuer ?? ""} value={issuer} onChange={(e) => setIssuer(e.target.value)} />
          </label>
        </div>
        <div className="actions">
          <button className="primary" id="set-restart" onClick={restart}>Restart the server</button>
          <span className="dim">now: {status?.server_running ? `serving on ${status.listen} as ${status.issuer}` : "stopped"}</span>
        </div>
        {done && <p className="notice" id="set-done">{done}</p>}
        <ErrorBox error={error} />
        <h2>Data</h2>
        <dl>
          <dt>{status?.data_dir.startsWith("postgres") ? "database" : "directory"}</dt>
          <dd className="mono" id="set-data-dir">{status?.data_dir}</dd>
          <dt>mode</dt><dd>{status?.mode}</dd>
          <dt>ended chains kept</dt><dd>{retention ? humanSeconds(retention.chains_seconds) : "…"} <span className="dim">(authdesk retention --chains)</span></dd>
          <dt>audit events kept</dt><dd>{retention ? humanSeconds(retention.audit_seconds) : "…"} <span className="dim">(authdesk retention --audit)</span></dd>
        </dl>
        <h2>Default lifetimes</h2>
        <p className="dim">What an app gets unless its registration asks for less (the framework's maximum).</p>
        {lifetimes && (
          <dl id="set-lifetimes">
            <dt>access token</dt><dd>{humanSeconds(lifetimes.access_token)}</dd>
            <dt>ID token</dt><dd>{humanSeconds(lifetimes.id_token)}</dd>
            <dt>refresh token</dt><dd>{humanSeconds(lifetimes.refresh_token)}</dd>
            <dt>refresh chain</dt><dd>{humanSeconds(lifetimes.chain)}</dd>
            <dt>authorization code</dt><dd>{humanSeconds(lifetimes.authorization_code)}</dd>
          </dl>
        )}
        <h2>Theme</h2>
        <div className="checks" id="set-theme">
          {(["system", "light", "dark"] as const).map((t) => (
            <label key={t} className="inline">
              <input type="radio" name="theme" value={t} id={`theme-${t}`} checked={theme === t} onChange={() => { setTheme(t); saveTheme(t); }} /> {t}
            </label>
          ))}
        </div>
      </div>
    </section>
  );
}
