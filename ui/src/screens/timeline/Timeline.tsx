import { useEffect, useState } from "react";
import { api } from "../../api";
import type { ExpiryHistogram } from "../../bindings/ExpiryHistogram";
import type { GrantDetail } from "../../bindings/GrantDetail";
import type { GrantEnding } from "../../bindings/GrantEnding";
import type { GrantSummary } from "../../bindings/GrantSummary";
import type { SearchHit } from "../../bindings/SearchHit";
import { grantLabels } from "../../lib/names";
import { ErrorBox } from "../common";
import { Picker } from "../Picker";
import { ChainPicture, Histogram } from "./Charts";

/** One chain against the one-year cap, and what ends across the system; a bar opens the
 *  grants behind it. */
export function Timeline({ focus, onEnding }: { focus: string | null; onEnding: (e: GrantEnding) => void }) {
  const [detail, setDetail] = useState<GrantDetail | null>(null);
  // A person or an app picked by name: their grants to choose the chain from.
  const [choices, setChoices] = useState<GrantSummary[]>([]);
  const [perDay, setPerDay] = useState<ExpiryHistogram | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.grants.histogram(366).then(setPerDay, setError);
  }, []);
  useEffect(() => {
    if (focus) api.grants.show(focus).then(setDetail, setError);
  }, [focus]);
  const show = (grantId: string) =>
    api.grants.show(grantId).then((d) => {
      setDetail(d);
      setChoices([]);
    }, setError);
  const pick = (h: SearchHit) => {
    if (h.kind === "grant") show(h.grant.grant_id);
    else
      api.grants
        .list({ sub: h.kind === "user" ? h.sub : null, client_id: h.kind === "app" ? h.client_id : null, grant_id: null, limit: 50, offset: 0 })
        .then(setChoices, setError);
  };
  const labels = grantLabels(choices);
  return (
    <section>
      <header className="screen-header">
        <h1>Timeline</h1>
        <Picker id="timeline-pick" placeholder="A person, an app, or paste a token" onPick={pick} />
      </header>
      <ErrorBox error={error} />
      {choices.length > 0 && (
        <ul className="choices" id="timeline-choices">
          {choices.map((g) => (
            <li key={g.grant_id}>
              <button className="link" onClick={() => show(g.grant_id)}>
                {labels.get(g.grant_id)}
              </button>{" "}
              <span className="dim small-text">{g.status.replace("_", " ")}</span>
            </li>
          ))}
        </ul>
      )}
      {choices.length === 0 && detail && (
        <h2 className="chain-title" id="timeline-title">
          {grantLabels([detail]).get(detail.grant_id)}
        </h2>
      )}
      {detail ? (
        <ChainPicture detail={detail} />
      ) : (
        <p className="dim">Pick a grant (or use “Show on timeline” in Chains) to see its tokens against the one-year cap.</p>
      )}
      <h2>Expiring across the system</h2>
      {perDay && (
        <>
          <Histogram counted={perDay} days={90} size={1} title="next 90 days, per day" id="hist-90" onBar={onEnding} />
          <Histogram counted={perDay} days={364} size={7} title="next year, per week" id="hist-365" onBar={onEnding} />
        </>
      )}
    </section>
  );
}
