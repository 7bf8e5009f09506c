import { useState } from "react";
import { useCan } from "../../lib/desk";
import { api } from "../../api";
import type { ClientView } from "../../bindings/ClientView";
import type { Impact } from "../../bindings/Impact";
import type { IssuerInfo } from "../../bindings/IssuerInfo";
import { impactText } from "../../lib/impact";
import { formatTime, relative } from "../../lib/jwt";
import { ConfirmAction, Copy } from "../common";

/** The issuers an app is used at: a service account at Banno's enterprise issuer, other apps
 *  at every issuer the profile serves (the consumer one first). */
export function issuersFor(client: ClientView, issuers: IssuerInfo[]): IssuerInfo[] {
  if (client.app_type === "service_account") {
    const enterprise = issuers.filter((i) => i.kind === "enterprise");
    return enterprise.length ? enterprise : issuers.slice(0, 1);
  }
  return issuers;
}

/** What an app's developer pastes to try it: the authorization URL, or the token request. */
export function example(client: ClientView, at: IssuerInfo | undefined): string {
  if (!at) return "";
  if (client.app_type === "service_account") {
    return `curl -d grant_type=client_credentials -d scope=openid \\\n  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\\n  -d client_assertion=$ASSERTION ${at.token_endpoint}\n# $ASSERTION: {"alg":"PS256"} over iss=sub=${client.client_id}, aud=${at.token_endpoint}, jti, exp (s or ms)`;
  }
  if (client.grant_types.includes("authorization_code")) {
    return `${at.authorization_endpoint}?response_type=code&client_id=${client.client_id}&redirect_uri=${encodeURIComponent(client.redirect_uris[0] ?? "")}&scope=${encodeURIComponent(client.scopes.join(" "))}&state=RANDOM&code_challenge=S256_OF_VERIFIER&code_challenge_method=S256`;
  }
  return `curl -u ${client.client_id}:$CLIENT_SECRET -d grant_type=client_credentials ${at.token_endpoint}`;
}

export function AppDetail({
  client,
  issuers,
  now,
  onEdit,
  onToggle,
  onRotate,
  onDelete,
  onGrants,
}: {
  client: ClientView;
  issuers: IssuerInfo[];
  now: string | null;
  onEdit: () => void;
  onToggle: (reason: string | null) => void;
  onRotate: (overlap: string | null, reason: string | null) => void;
  onDelete: (reason: string) => void;
  onGrants: () => void;
}) {
  const can = useCan();
  const [asking, setAsking] = useState<"disable-app" | "delete-app" | null>(null);
  const [impact, setImpact] = useState<Impact | null>(null);
  const [rotating, setRotating] = useState(false);
  const [overlap, setOverlap] = useState("24h");
  // Before a disable or delete: what it touches, from the store.
  const ask = (what: "disable-app" | "delete-app") => {
    setImpact(null);
    setAsking(what);
    api.grants
      .preview({ client_id: client.client_id, sub: null, grant_id: null, limit: 1, offset: 0 })
      .then(setImpact, () => setImpact({ grants: 0, refresh_tokens: 0, access_tokens: 0 }));
  };
  const oldUntil = client.previous_secret_until;
  const oldWorks = oldUntil !== null && now !== null && Date.parse(oldUntil) > Date.parse(now);
  const at = issuersFor(client, issuers);
  const service = client.app_type === "service_account";
  return (
    <div className="detail" id="app-detail">
      <h2>
        {client.name} {!client.enabled && <span className="state state-revoked">disabled</span>}
      </h2>
      {client.trouble.map((line) => (
        <p className="why" key={line} data-why="app">
          {line}
        </p>
      ))}
      <dl>
        <dt>client_id</dt>
        <dd className="mono">
          {client.client_id} <Copy text={client.client_id} />
        </dd>
        <dt>type</dt>
        <dd id="app-type">
          {service ? "service account" : "standard"}, {client.client_type}, {client.token_endpoint_auth_method}
        </dd>
        {service && (
          <>
            <dt>acts as</dt>
            <dd className="mono" id="app-associated-user">
              {client.associated_user}
            </dd>
          </>
        )}
        {client.jwks_uri && (
          <>
            <dt>JWKS URI</dt>
            <dd className="mono">{client.jwks_uri}</dd>
          </>
        )}
        {!service && (
          <>
            <dt>redirect URIs</dt>
            <dd className="mono">{client.redirect_uris.join("\n") || "—"}</dd>
          </>
        )}
        {client.post_logout_redirect_uris.length > 0 && (
          <>
            <dt>after sign-out</dt>
            <dd className="mono">{client.post_logout_redirect_uris.join("\n")}</dd>
          </>
        )}
        <dt>scopes</dt>
        <dd className="mono">{client.scopes.join(" ")}</dd>
        {client.custom_claims.length > 0 && (
          <>
            <dt>restricted claims</dt>
            <dd className="mono">{client.custom_claims.join("\n")}</dd>
          </>
        )}
        <dt>grant types</dt>
        <dd>{client.grant_types.join(", ")}</dd>
        {!service && (
          <>
            <dt>ID tokens</dt>
            <dd id="app-id-alg">{client.id_token_alg}</dd>
          </>
        )}
        <dt>consent</dt>
        <dd>{client.consent_required ? "required" : "not asked"}</dd>
        <dt>introspection</dt>
        <dd>{client.resource_server ? "other apps' tokens too (resource server)" : "its own tokens only"}</dd>
        <dt>DPoP</dt>
        <dd id="app-dpop">
          {client.dpop_bound_access_tokens ? "required: every token is bound to the app's key" : "optional: tokens are bound when a request proves a key"}
          {client.lifetimes.bound_access_token !== client.lifetimes.access_token &&
            ` · bound access tokens live ${client.lifetimes.bound_access_token} s (bearer ${client.lifetimes.access_token} s)`}
        </dd>
        <dt>sign-in requests</dt>
        <dd id="app-par">{client.require_pushed_authorization_requests ? "pushed first only (PAR required)" : "pushed (PAR) or in the URL"}</dd>
        {at.map((i) => (
          <div key={i.kind} className="issuer-pair">
            <dt>{at.length > 1 ? `${i.kind} issuer` : "issuer"}</dt>
            <dd className="mono">{i.issuer}</dd>
            <dt>discovery</dt>
            <dd className="mono" data-discovery={i.kind}>
              {i.discovery} <Copy text={i.discovery} />
            </dd>
          </div>
        ))}
        {oldWorks && (
          <>
            <dt>old secret</dt>
            <dd id="app-old-secret">
              still works until {formatTime(oldUntil)} ({relative(oldUntil!, now!)}), then only the new one
            </dd>
          </>
        )}
      </dl>
      <h3>Example</h3>
      <pre className="example" id="app-example">
        {example(client, at[0])}
      </pre>
      <div className="actions">
        {can("manage_apps") && (
          <button onClick={onEdit} id="app-edit">
            Edit
          </button>
        )}
        <button onClick={onGrants} id="app-grants">
          Its grants
        </button>
        {can("manage_apps") && client.token_endpoint_auth_method.startsWith("client_secret") && !rotating && (
          <button onClick={() => setRotating(true)} id="app-rotate">
            Rotate secret
          </button>
        )}
        {can("manage_apps") &&
          (client.enabled ? (
            <button onClick={() => ask("disable-app")} id="app-toggle">
              Disable…
            </button>
          ) : (
            <button onClick={() => onToggle(null)} id="app-toggle" title="Undo the disable">
              Enable again
            </button>
          ))}
        {can("manage_apps") && (
          <button className="danger" onClick={() => ask("delete-app")} id="app-delete">
            Delete…
          </button>
        )}
      </div>
      {asking && (
        <ConfirmAction
          key={asking}
          id={asking === "disable-app" ? "disable-confirm" : "delete-confirm"}
          title={asking === "disable-app" ? `Disable ${client.name}?` : `Delete ${client.name} for good?`}
          impact={impact && impactText(asking, impact)}
          confirmLabel={asking === "disable-app" ? "Disable" : "Delete for good"}
          onCancel={() => setAsking(null)}
          onConfirm={(reason) => {
            setAsking(null);
            if (asking === "disable-app") onToggle(reason);
            else onDelete(reason);
          }}
        />
      )}
      {rotating && (
        <ConfirmAction
          id="rotate"
          title={`A new secret for ${client.name}`}
          impact={
            overlap === ""
              ? "The old secret stops working now: the app fails until it is redeployed with the new one."
              : "Time to redeploy the app with the new secret; after that only the new one works."
          }
          confirmLabel={overlap === "" ? "Cut off the old secret now" : "Rotate secret"}
          danger={overlap === ""}
          onCancel={() => setRotating(false)}
          onConfirm={(reason) => {
            setRotating(false);
            onRotate(overlap || null, reason || null);
          }}
        >
          <label className="inline">
            The old secret{" "}
            <select id="rotate-overlap" value={overlap} onChange={(e) => setOverlap(e.target.value)}>
              <option value="1h">keeps working 1 hour</option>
              <option value="24h">keeps working 24 hours</option>
              <option value="7d">keeps working 7 days</option>
              <option value="">stops working now</option>
            </select>
          </label>
        </ConfirmAction>
      )}
    </div>
  );
}
