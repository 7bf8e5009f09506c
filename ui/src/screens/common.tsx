import { createContext, useContext, useState, type ReactNode } from "react";
import { BackendError } from "../api";

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof BackendError ? error.message : String(error);
  const code = error instanceof BackendError ? error.code : "error";
  return (
    <div className="error-box" data-code={code}>
      {message}
    </div>
  );
}

export function Field({ label, errors, children, hint }: { label: string; errors?: string[]; children: ReactNode; hint?: string }) {
  return (
    <label className={`field ${errors?.length ? "invalid" : ""}`}>
      <span className="label">{label}</span>
      {children}
      {hint && <span className="hint">{hint}</span>}
      {errors?.map((e) => (
        <span key={e} className="field-error">
          {e}
        </span>
      ))}
    </label>
  );
}

export function Copy({ text, id }: { text: string; id?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      id={id}
      className="small"
      onClick={() => {
        navigator.clipboard?.writeText(text).then(() => setCopied(true), () => setCopied(false));
      }}
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

/** An id shortened to its first 8 characters, never broken across lines, with the whole id
 *  in its tooltip and a copy button. */
export function ShortId({ id }: { id: string }) {
  return (
    <span className="short-id" title={id}>
      <span className="mono">{id.slice(0, 8)}</span> <Copy text={id} />
    </span>
  );
}

export function State({ state }: { state: string }) {
  return <span className={`state state-${state}`}>{state.replace("_", " ")}</span>;
}

/** A destructive action asked twice: what it will hit (`impact`, null while it loads) and a
 *  reason, which lands in the audit log. */
export function ConfirmAction({ id, title, impact, confirmLabel, onConfirm, onCancel }: { id: string; title: string; impact: string | null; confirmLabel: string; onConfirm: (reason: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState("");
  return (
    <div className="confirm-panel" id={id}>
      <strong>{title}</strong>
      <p id={`${id}-impact`}>{impact ?? "Looking at what this touches…"}</p>
      <input id={`${id}-reason`} className="reason" placeholder="reason (kept in the audit log)" value={reason} onChange={(e) => setReason(e.target.value)} />
      <div className="actions">
        <button className="danger" id={`${id}-confirm`} disabled={impact === null} onClick={() => onConfirm(reason)}>{confirmLabel}</button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}

/** Says that an action succeeded, in a toast at the bottom of the window (`App` shows them). */
export const NotifyContext = createContext<(message: string) => void>(() => {});

export function useNotify(): (message: string) => void {
  return useContext(NotifyContext);
}

/** The toasts: each stays a few seconds. */
export function Toasts({ messages }: { messages: { id: number; text: string }[] }) {
  return (
    <div className="toasts" id="toasts" role="status" aria-live="polite">
      {messages.map((m) => <div className="toast" key={m.id}>{m.text}</div>)}
    </div>
  );
}
