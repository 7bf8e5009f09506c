import { useEffect, useState } from "react";
import { api } from "../api";
import type { ClientDefaults } from "../bindings/ClientDefaults";
import type { ConsoleStatus } from "../bindings/ConsoleStatus";
import type { Retention } from "../bindings/Retention";
import type { ServerSettings } from "../bindings/ServerSettings";
import { humanSeconds } from "../lib/jwt";
import { loadTheme, saveTheme, type Theme } from "../lib/theme";
import { loadZone, saveZone, type Zone } from "../lib/zone";
import { ErrorBox } from "./common";
import { ConsoleLock } from "./desk/ConsoleLock";
import { useCan } from "../lib/desk";

/** Where the embedded server listens and which issuer it names (restartable here), the
 *  registry it opens (a data directory or a PostgreSQL database; another can be opened here),
 *  the default lifetimes and retention (read-only), and the theme. */
export function Settings({ status, onRestarted }: { status: ConsoleStatus | null; onRestarted: () => void }) {
  const [listen, setListen] = useState(status?.listen ?? "127.0.0.1:8400");
  const [issuer, setIssuer] = useState("");
  const [theme, setTheme] = useState<Theme>(loadTheme());
  const [zone, setZone] = useState<Zone>(loadZone());
  const [defaults, setDefaults] = useState<ClientDefaults | null>(null);
  const [retention, setRetention] = useState<Retention | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [location, setLocation] = useState("");
  const [opening, setOpening] = useState(false);
  const [registryError, setRegistryError] = useState<unknown>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const [serving, setServing] = useState<ServerSettings | null>(null);
  const [servingError, setServingError] = useState<unknown>(null);
  const [servingDone, setServingDone] = useState<string | null>(null);
  useEffect(() => {
    api.clients.defaults().then(setDefaults, setError);
    api.retention().then(setRetention, setError);
    api.serverSettings().then(setServing, setServingError);
  }, []);
  const applyServing = () => {
    if (!serving) return;
    setServingError(null);
    setServingDone(null);
    api.serverSettingsSet(serving).then((s) => {
      setServingDone(`Serving the ${s.profile} profile${s.tls ? " over https" : ""} as ${s.issuers.map((i) => i.issuer).join(" and ")}`);
      onRestarted();
    }, setServingError);
  };
  const restart = () => {
    setError(null);
    setDone(null);
    api.serverRestart(listen, issuer.trim() || null).then((s) => {
      setDone(`Serving on ${s.listen} as ${s.issuer}`);
      onRestarted();
    }, setError);
  };
  const openRegistry = () => {
    setRegistryError(null);
    setOpened(null);
    setOpening(true);
    api
      .registryOpen(location)
      .then((s) => {
        setOpened(`Opened ${s.data_dir}. Every screen now shows this registry${s.server_running ? `, served on ${s.listen}` : ""}.`);
        setLocation("");
        api.retention().then(setRetention, setError);
        onRestarted();
      }, setRegistryError)
      .finally(() => setOpening(false));
  };
  const lifetimes = defaults?.lifetimes;
  const admin = useCan()("manage_settings");
  return (
    <section>
      <header className="screen-header">
        <h1>Settings</h1>
      </header>
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
          {admin && (
            <button className="primary" id="set-restart" onClick={restart}>
              Restart the server
            </button>
          )}
          <span className="dim">now: {status?.server_running ? `serving on ${status.listen} as ${status.issuer}` : "stopped"}</span>
        </div>
        {done && (
          <p className="notice" id="set-done">
            {done}
          </p>
        )}
        <ErrorBox error={error} />
        <h2>Profile</h2>
        <p className="dim">
          The wire contract served. <strong>default</strong>: one issuer with the standard endpoint names. <strong>Banno</strong>: Banno's consumer and
          enterprise issuers under <code>/a/…</code> with Banno's endpoint names, so apps written for Banno run against this sandbox with only their base URL
          and credentials changed.
        </p>
        {serving && (
          <div className="row" id="set-serving">
            <label className="field">
              <span className="label">Profile</span>
              <select
                id="set-profile"
                value={serving.profile}
                onChange={(e) => {
                  const profile = e.target.value as ServerSettings["profile"];
                  // From the latest state: a click that follows at once must not undo this.
                  setServing((s) => s && { ...s, profile, sandbox_api: profile === "banno" && s.sandbox_api });
                }}
              >
                <option value="default">default</option>
                <option value="banno">Banno</option>
              </select>
            </label>
            <label className="field">
              <span className="label">https</span>
              <label className="inline">
                <input
                  type="checkbox"
                  id="set-tls"
                  checked={serving.tls}
                  disabled={status?.mode === "production"}
                  onChange={(e) => {
                    const on = e.target.checked;
                    setServing((s) => s && { ...s, tls: on });
                  }}
                />{" "}
                with the sandbox's own CA
              </label>
            </label>
            <label className="field">
              <span className="label">Sandbox consumer API</span>
              <label className="inline">
                <input
                  type="checkbox"
                  id="set-sandbox-api"
                  checked={serving.sandbox_api}
                  disabled={serving.profile !== "banno" || status?.mode === "production"}
                  onChange={(e) => {
                    const on = e.target.checked;
                    setServing((s) => s && { ...s, sandbox_api: on });
                  }}
                />{" "}
                accounts, transactions, tasks
              </label>
            </label>
            <label className="field">
              <span className="label">Pushed requests (PAR)</span>
              <label className="inline">
                <input
                  type="checkbox"
                  id="set-require-par"
                  checked={serving.require_par}
                  onChange={(e) => {
                    const on = e.target.checked;
                    setServing((s) => s && { ...s, require_par: on });
                  }}
                />{" "}
                required of every app
              </label>
            </label>
            <label className="field">
              <span className="label">DPoP nonces</span>
              <label className="inline">
                <input
                  type="checkbox"
                  id="set-dpop-nonce"
                  checked={serving.dpop_nonce}
                  onChange={(e) => {
                    const on = e.target.checked;
                    setServing((s) => s && { ...s, dpop_nonce: on });
                  }}
                />{" "}
                proofs must carry the server's nonce
              </label>
            </label>
          </div>
        )}
        <div className="actions">
          {admin && (
            <button id="set-serving-apply" onClick={applyServing} disabled={!serving}>
              Apply and restart
            </button>
          )}
        </div>
        {servingDone && (
          <p className="notice" id="set-serving-done">
            {servingDone}
          </p>
        )}
        <ErrorBox error={servingError} />
        {status && (
          <dl id="set-issuers">
            {status.issuers.map((i) => (
              <div key={i.kind} className="issuer-pair">
                <dt>{status.issuers.length > 1 ? `${i.kind} issuer` : "issuer"}</dt>
                <dd className="mono">{i.issuer}</dd>
                <dt>discovery</dt>
                <dd className="mono">{i.discovery}</dd>
              </div>
            ))}
            {status.ca_file && (
              <>
                <dt>trust the CA</dt>
                <dd className="mono" id="set-ca">
                  export NODE_EXTRA_CA_CERTS={status.ca_file}
                </dd>
              </>
            )}
          </dl>
        )}
        <h2>Data</h2>
        <dl>
          <dt id="set-data-dir-label">{status?.data_dir.startsWith("postgres") ? "database" : "directory"}</dt>
          <dd className="mono" id="set-data-dir">
            {status?.data_dir}
          </dd>
          <dt>mode</dt>
          <dd>{status?.mode}</dd>
          <dt>ended chains kept</dt>
          <dd>
            {retention ? humanSeconds(retention.chains_seconds) : "…"} <span className="dim">(authdesk retention --chains)</span>
          </dd>
          <dt>audit events kept</dt>
          <dd>
            {retention ? humanSeconds(retention.audit_seconds) : "…"} <span className="dim">(authdesk retention --audit)</span>
          </dd>
        </dl>
        <p className="dim">
          Open another registry: a data directory (its full path) or a PostgreSQL database that other desks and <code>authdesk serve</code> nodes share. The
          server moves onto it at the same address; the console opens it again next time.
        </p>
        <div className="row">
          <label className="field">
            <span className="label">Data directory or postgres://user@host/database</span>
            <input
              id="set-registry"
              value={location}
              placeholder={status?.data_dir ?? ""}
              onChange={(e) => setLocation(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && location.trim()) openRegistry();
              }}
            />
          </label>
        </div>
        <div className="actions">
          <button id="set-registry-open" onClick={openRegistry} disabled={opening || !location.trim()}>
            {opening ? "Opening…" : "Open"}
          </button>
        </div>
        {opened && (
          <p className="notice" id="set-registry-done">
            {opened}
          </p>
        )}
        <ErrorBox error={registryError} />
        {admin && <ConsoleLock />}
        <h2>Default lifetimes</h2>
        <p className="dim">What an app gets unless its registration asks for less (the framework's maximum).</p>
        {lifetimes && (
          <dl id="set-lifetimes">
            <dt>access token</dt>
            <dd>{humanSeconds(lifetimes.access_token)}</dd>
            <dt>ID token</dt>
            <dd>{humanSeconds(lifetimes.id_token)}</dd>
            <dt>refresh token</dt>
            <dd>{humanSeconds(lifetimes.refresh_token)}</dd>
            <dt>refresh chain</dt>
            <dd>{humanSeconds(lifetimes.chain)}</dd>
            <dt>authorization code</dt>
            <dd>{humanSeconds(lifetimes.authorization_code)}</dd>
          </dl>
        )}
        <h2>Times</h2>
        <div className="checks" id="set-zone">
          {(
            [
              ["local", "this computer's time zone"],
              ["UTC", "UTC"],
            ] as const
          ).map(([z, says]) => (
            <label key={z} className="inline">
              <input
                type="radio"
                name="zone"
                value={z}
                id={`zone-${z}`}
                checked={zone === z}
                onChange={() => {
                  setZone(z);
                  saveZone(z);
                }}
              />{" "}
              {says}
            </label>
          ))}
          <span className="dim">UTC shows on hover either way.</span>
        </div>
        <h2>Theme</h2>
        <div className="checks" id="set-theme">
          {(["system", "light", "dark"] as const).map((t) => (
            <label key={t} className="inline">
              <input
                type="radio"
                name="theme"
                value={t}
                id={`theme-${t}`}
                checked={theme === t}
                onChange={() => {
                  setTheme(t);
                  saveTheme(t);
                }}
              />{" "}
              {t}
            </label>
          ))}
        </div>
      </div>
    </section>
  );
}
