import { useEffect, useState } from "react";
import { api } from "../api";
import type { AuditAction } from "../bindings/AuditAction";
import type { EndingWhat } from "../bindings/EndingWhat";
import type { GrantEnding } from "../bindings/GrantEnding";
import type { Overview as Counts } from "../bindings/Overview";
import type { ConsoleStatus } from "../bindings/ConsoleStatus";
import { ErrorBox } from "./common";
import { Start, startDone } from "./Start";

const START_HIDDEN = "authdesk.start.hidden";

/** Where a number on the home screen leads. */
export type OverviewLink =
  { to: "Applications" | "Sandbox" | "Chains" | "Timeline" } | { to: "Chains"; ending: GrantEnding } | { to: "Audit"; action: AuditAction; since: number };

/** The home screen: what there is, what ends soon, what went wrong lately — each number opens
 *  its list. */
export function Overview({ status, onOpen }: { status: ConsoleStatus | null; onOpen: (link: OverviewLink) => void }) {
  const [o, setO] = useState<Counts | null>(null);
  // Hidden per data directory: another registry's start page still shows.
  const hiddenKey = `${START_HIDDEN}:${status?.data_dir ?? ""}`;
  const [hidden, setHidden] = useState(() => localStorage.getItem(hiddenKey) === "1");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.overview().then(setO, setError);
  }, []);
  if (!o)
    return (
      <section>
        <h1>Overview</h1>
        <ErrorBox error={error} />
        {!error && <p className="dim">loading…</p>}
      </section>
    );
  const recent = (action: AuditAction) => ({ to: "Audit" as const, action, since: o.recent_since });
  // "Ending within 7 days" opens the grants behind the number, not a chart.
  const ending = (what: EndingWhat) => ({ to: "Chains" as const, ending: { what, from: o.now, to: o.now + 7 * 86400 } });
  return (
    <section className="overview">
      <header className="screen-header">
        <h1>Overview</h1>
      </header>
      <ErrorBox error={error} />
      {!hidden && !startDone(o, status?.mode === "production") && (
        <Start
          overview={o}
          status={status}
          onOpen={(to) => onOpen({ to })}
          onHide={() => {
            localStorage.setItem(hiddenKey, "1");
            setHidden(true);
          }}
        />
      )}
      <div className="stats" id="overview">
        <Card
          id="ov-apps"
          n={o.apps}
          label={o.apps === 1 ? "application" : "applications"}
          note={o.apps_disabled ? `${o.apps_disabled} disabled` : null}
          onClick={() => onOpen({ to: "Applications" })}
        />
        <Card id="ov-users" n={o.users} label={o.users === 1 ? "sandbox user" : "sandbox users"} onClick={() => onOpen({ to: "Sandbox" })} />
        <Card id="ov-grants" n={o.active_grants} label={o.active_grants === 1 ? "active grant" : "active grants"} onClick={() => onOpen({ to: "Chains" })} />
      </div>
      <h2>Ending soon</h2>
      <div className="stats">
        <Card
          id="ov-tokens-7"
          n={o.refresh_tokens_ending_7d}
          label={o.refresh_tokens_ending_7d === 1 ? "refresh token ends within 7 days" : "refresh tokens end within 7 days"}
          note={`${o.refresh_tokens_ending_30d} within 30`}
          onClick={() => onOpen(ending("refresh_token"))}
        />
        <Card
          id="ov-chains-7"
          n={o.chains_ending_7d}
          label={o.chains_ending_7d === 1 ? "chain reaches its one-year end within 7 days" : "chains reach their one-year end within 7 days"}
          note={`${o.chains_ending_30d} within 30`}
          onClick={() => onOpen(ending("chain"))}
        />
      </div>
      <h2>The last 7 days</h2>
      <div className="stats">
        <Card id="ov-revocations" n={o.revocations} label={o.revocations === 1 ? "revocation" : "revocations"} onClick={() => onOpen(recent("grant.revoke"))} />
        <Card
          id="ov-reuse"
          n={o.reuse_detections}
          label="refresh-token reuse detected"
          warn={o.reuse_detections > 0}
          onClick={() => onOpen(recent("refresh.reuse_detected"))}
        />
        <Card
          id="ov-auth-failed"
          n={o.failed_client_auths}
          label={o.failed_client_auths === 1 ? "failed client authentication" : "failed client authentications"}
          warn={o.failed_client_auths > 0}
          onClick={() => onOpen(recent("client.auth_failed"))}
        />
      </div>
    </section>
  );
}

function Card({ id, n, label, note, warn, onClick }: { id: string; n: number; label: string; note?: string | null; warn?: boolean; onClick: () => void }) {
  return (
    <button className={`stat ${warn ? "warn" : ""}`} id={id} onClick={onClick}>
      <span className="n">{n.toLocaleString("en")}</span>
      <span className="label">{label}</span>
      {note && <span className="dim small-text">{note}</span>}
    </button>
  );
}
