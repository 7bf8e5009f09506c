import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { BackendError } from "../api";
import { DeskContext } from "../lib/desk";
import { idTail } from "../lib/names";
import { mayConfirm, REASONS, reasonText, type ReasonChoice } from "../lib/reasons";

/** What makes an element that is not a button open something by mouse and by keyboard (Tab to
 *  it, Enter or Space): a table row that opens its detail, a chart's bar. */
export function activates(open: () => void) {
  return {
    tabIndex: 0,
    onClick: open,
    onKeyDown: (e: { key: string; target: EventTarget; currentTarget: EventTarget; preventDefault: () => void }) => {
      // Keys typed into a control inside the row (a checkbox) stay that control's.
      if (e.target !== e.currentTarget || (e.key !== "Enter" && e.key !== " ")) return;
      e.preventDefault();
      open();
    },
  };
}

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

export function Copy({ text, id, onCopied }: { text: string; id?: string; onCopied?: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      id={id}
      className="small"
      onClick={() => {
        navigator.clipboard?.writeText(text).then(
          () => {
            setCopied(true);
            onCopied?.();
          },
          () => setCopied(false),
        );
      }}
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

/** An id shown by its random tail (ids begin with a timestamp, shared by ids made together),
 *  with the whole id in its tooltip and a copy button. */
export function ShortId({ id }: { id: string }) {
  return (
    <span className="short-id" title={id}>
      <span className="mono">…{idTail(id)}</span> <Copy text={id} />
    </span>
  );
}

export function State({ state }: { state: string }) {
  return <span className={`state state-${state}`}>{state.replace("_", " ")}</span>;
}

/** A destructive action asked twice, as a dialog beside its button: what it will hit
 *  (`impact`, null while it loads), a reason from the short list (required in production; the
 *  audit keeps it) and, for what ends many things at once, the name typed to confirm
 *  (`typeToConfirm`). It takes focus when it opens and Esc closes it. */
export function ConfirmAction({
  id,
  title,
  impact,
  confirmLabel,
  onConfirm,
  onCancel,
  typeToConfirm = null,
  children,
  danger = true,
}: {
  id: string;
  title: string;
  impact: ReactNode | null;
  confirmLabel: string;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
  typeToConfirm?: string | null;
  children?: ReactNode;
  danger?: boolean;
}) {
  const desk = useContext(DeskContext);
  const required = desk?.production ?? false;
  const [choice, setChoice] = useState<ReasonChoice>("");
  const [details, setDetails] = useState("");
  const [typed, setTyped] = useState("");
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);
  const reason = reasonText(choice, details);
  const ready = impact !== null && mayConfirm({ required, reason, typed, expected: typeToConfirm });
  return (
    <div
      className="confirm-panel"
      id={id}
      role="dialog"
      aria-modal="true"
      aria-labelledby={`${id}-title`}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <strong id={`${id}-title`}>{title}</strong>
      <p id={`${id}-impact`}>{impact ?? "Looking at what this touches…"}</p>
      {children}
      <div className="reason-row">
        <select ref={first} id={`${id}-reason-choice`} aria-label="Reason" value={choice} onChange={(e) => setChoice(e.target.value as ReasonChoice)}>
          <option value="">{required ? "Reason (required)…" : "Reason…"}</option>
          {REASONS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <input
          id={`${id}-reason`}
          className="reason"
          aria-label="Details"
          placeholder={choice === "other" ? "say why (kept in the audit log)" : "details (kept in the audit log)"}
          value={details}
          onChange={(e) => setDetails(e.target.value)}
        />
      </div>
      {typeToConfirm && (
        <label className="type-to-confirm">
          <span>
            Type <strong>{typeToConfirm}</strong> to confirm
          </span>
          <input id={`${id}-typed`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        </label>
      )}
      <div className="actions">
        <button className={danger ? "danger" : "primary"} id={`${id}-confirm`} disabled={!ready} onClick={() => onConfirm(reason)}>
          {confirmLabel}
        </button>
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
      {messages.map((m) => (
        <div className="toast" key={m.id}>
          {m.text}
        </div>
      ))}
    </div>
  );
}
