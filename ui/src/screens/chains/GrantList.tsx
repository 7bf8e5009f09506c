import type { GrantSummary } from "../../bindings/GrantSummary";
import { formatTime } from "../../lib/jwt";
import { day } from "../../lib/names";
import { stepList } from "../../lib/search";
import { grantBadge } from "../../lib/tree";
import { State, activates } from "../common";

/** The Chains list: each grant by its name, its chain's end and its state; arrows move through
 *  it; with `selected` (who may revoke), live grants get a box to revoke several at once. */
export function GrantList({
  grants,
  labels,
  openId,
  selected,
  onOpen,
  onToggle,
}: {
  grants: GrantSummary[];
  labels: Map<string, string>;
  openId: string | null;
  selected: ReadonlySet<string> | null;
  onOpen: (id: string) => void;
  onToggle: (id: string) => void;
}) {
  return (
    <table
      className="list"
      id="grant-list"
      tabIndex={0}
      title="↑ ↓ move through the grants"
      onKeyDown={(e) => {
        const next = stepList(e.key, grants, (g) => g.grant_id === openId);
        if (!next) return;
        e.preventDefault();
        onOpen(next.grant_id);
      }}
    >
      <thead>
        <tr>
          {selected && <th aria-label="Select" />}
          <th>Grant</th>
          <th>Chain ends</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {grants.map((g) => (
          <tr
            key={g.grant_id}
            className={openId === g.grant_id ? "selected" : ""}
            aria-selected={openId === g.grant_id}
            {...activates(() => onOpen(g.grant_id))}
          >
            {selected && (
              <td onClick={(e) => e.stopPropagation()}>
                {g.status === "active" && (
                  <input
                    type="checkbox"
                    aria-label={`Select ${labels.get(g.grant_id)}`}
                    checked={selected.has(g.grant_id)}
                    onChange={() => onToggle(g.grant_id)}
                  />
                )}
              </td>
            )}
            <td className="grant-name">{labels.get(g.grant_id)}</td>
            <td className="nowrap" title={formatTime(g.chain_ends_at)}>
              {day(g.chain_ends_at)}
            </td>
            <td>
              <State state={grantBadge(g.status, g.why)} />
              {g.why && (
                <div className="dim small-text why-short" title={g.why}>
                  {g.why}
                </div>
              )}
            </td>
          </tr>
        ))}
        {grants.length === 0 && (
          <tr>
            <td colSpan={4} className="dim">
              No grants match.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
