import { useEffect, useState } from "react";
import { api } from "../../api";
import { ErrorBox } from "../common";

/** Settings → Console: how long a desk may stay idle before its operator signs in again. */
export function ConsoleLock() {
  const [minutes, setMinutes] = useState<string>("");
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    api.consoleSettings().then((s) => setMinutes(String(s.idle_lock_minutes)), setError);
  }, []);
  const save = () => {
    setError(null);
    setSaved(null);
    api.consoleSettingsSet({ idle_lock_minutes: Number(minutes) }).then((s) => setSaved(`Consoles lock after ${s.idle_lock_minutes} minutes idle`), setError);
  };
  return (
    <>
      <h2>Console</h2>
      <p className="dim">
        On a production registry a console shows nothing until an operator signs in, and asks again after this long without a command (every desk on this
        registry).
      </p>
      <div className="row">
        <label className="field">
          <span className="label">Lock after (minutes idle, 1–480)</span>
          <input id="set-idle-lock" type="number" min={1} max={480} value={minutes} onChange={(e) => setMinutes(e.target.value)} />
        </label>
      </div>
      <div className="actions">
        <button id="set-idle-lock-save" onClick={save} disabled={!minutes}>
          Save
        </button>
      </div>
      {saved && (
        <p className="notice" id="set-idle-lock-done">
          {saved}
        </p>
      )}
      <ErrorBox error={error} />
    </>
  );
}
