// The search box's pure parts: what a hit says, and the keyboard's moves through the list.
import type { SearchHit } from "../bindings/SearchHit";
import { grantLabel } from "./names";

/** A hit as the list shows it: a title, a line under it, and a key for React. */
export function describe(h: SearchHit): { key: string; title: string; detail: string } {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  switch (h.kind) {
    case "user":
      return {
        key: `user:${h.sub}`,
        title: h.name ? `${h.username} — ${h.name}` : h.username,
        detail: [h.email, plural(h.grants, "active grant")].filter(Boolean).join(" · "),
      };
    case "app":
      return {
        key: `app:${h.client_id}`,
        title: h.partner_name ? `${h.name} (${h.partner_name})` : h.name,
        detail: [h.enabled ? null : "disabled", plural(h.grants, "active grant")].filter(Boolean).join(" · "),
      };
    case "grant":
      return {
        key: `grant:${h.grant.grant_id}`,
        title: grantLabel(h.grant),
        detail: `${h.by_token ? "holds this token · " : ""}${h.grant.status.replace("_", " ")}`,
      };
  }
}

/** The highlighted row after a key press in a list of `count` rows; null: the key is not ours. */
export function move(key: string, current: number, count: number): number | null {
  if (count === 0) return null;
  if (key === "ArrowDown") return (current + 1) % count;
  if (key === "ArrowUp") return (current - 1 + count) % count;
  return null;
}

/** Whether typed text is a pasted token rather than a name: long and without spaces (the
 *  backend's `could_be_token`). */
export function looksLikeToken(term: string): boolean {
  return term.length >= 32 && !/\s/.test(term);
}

/** A list's arrow keys: which item to open after `key`, given the one open now (`null`: the
 *  key is not ours). With nothing open, any move opens the first. */
export function stepList<T>(key: string, items: T[], isOpen: (item: T) => boolean): T | null {
  const at = items.findIndex(isOpen);
  const next = move(key, Math.max(at, 0), items.length);
  if (next === null) return null;
  return items[at < 0 ? 0 : next];
}
