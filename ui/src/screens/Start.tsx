import type { ConsoleStatus } from "../bindings/ConsoleStatus";
import type { Overview } from "../bindings/Overview";
import { Copy } from "./common";

/** Where a first-run step leads. */
export type StartStep = "Applications" | "Sandbox";

interface Step {
  id: string;
  title: string;
  why: string;
  done: boolean;
  to: StartStep;
  action: string;
}

/** What a new registry still needs, in order: an app, a person to sign in as (sandbox only),
 *  a first token. */
export function startSteps(o: Overview, production: boolean): Step[] {
  const steps: Step[] = [
    {
      id: "start-app",
      title: "Create an application",
      why: "An app's client id and secret (or key) are what your code sends.",
      done: o.apps > 0,
      to: "Applications",
      action: "New application",
    },
    {
      id: "start-user",
      title: "Add a sandbox user",
      why: "A person to sign in as in the login page your app opens.",
      done: o.users > 0,
      to: "Sandbox",
      action: "Add a user",
    },
    {
      id: "start-token",
      title: "Mint a token or run a flow",
      why: "Mint one in the Sandbox, or point your app at the issuer below and sign in.",
      done: o.tokens_issued,
      to: "Sandbox",
      action: "Mint a token",
    },
  ];
  // A production registry has no sandbox users or minting: its people sign in through the app.
  return production ? steps.filter((s) => s.id === "start-app") : steps;
}

/** Whether the start page has anything left to say. */
export function startDone(o: Overview, production: boolean): boolean {
  return startSteps(o, production).every((s) => s.done);
}

/** The first-run page: the issuer to paste into an app, then each step, done or not. */
export function Start({
  overview,
  status,
  onOpen,
  onHide,
}: {
  overview: Overview;
  status: ConsoleStatus | null;
  onOpen: (to: StartStep) => void;
  onHide: () => void;
}) {
  const steps = startSteps(overview, status?.mode === "production");
  return (
    <div className="start panel" id="start">
      <header className="start-header">
        <h2>Get started</h2>
        <button className="small" id="start-hide" onClick={onHide}>
          Hide
        </button>
      </header>
      {status && status.issuers.length > 0 && (
        <dl className="start-issuers" id="start-issuers">
          {status.issuers.map((i) => (
            <div key={i.issuer}>
              <dt>{status.issuers.length > 1 ? `${i.kind} issuer` : "Issuer"}</dt>
              <dd>
                <code>{i.issuer}</code> <Copy text={i.issuer} />
              </dd>
              <dt>Discovery</dt>
              <dd>
                <code>{i.discovery}</code> <Copy text={i.discovery} />
              </dd>
            </div>
          ))}
        </dl>
      )}
      <ol className="start-steps">
        {steps.map((s) => (
          <li key={s.id} id={s.id} className={s.done ? "done" : "todo"}>
            <span className="mark" aria-label={s.done ? "done" : "not done yet"}>
              {s.done ? "✓" : "○"}
            </span>
            <div>
              <strong>{s.title}</strong>
              <div className="dim small-text">{s.why}</div>
            </div>
            {!s.done && <button onClick={() => onOpen(s.to)}>{s.action}</button>}
          </li>
        ))}
      </ol>
    </div>
  );
}
