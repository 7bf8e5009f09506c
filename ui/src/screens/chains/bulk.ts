// The pure parts of revoking several grants at once: what was chosen, and what it will hit.
import type { Impact } from "../../bindings/Impact";

/** A person or an app the list is about (its name once known). */
export interface Chosen {
  by: "user" | "app";
  id: string;
  name: string | null;
}

export const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

export function sumImpacts(impacts: Impact[]): Impact {
  return impacts.reduce(
    (a, b) => ({ grants: a.grants + b.grants, refresh_tokens: a.refresh_tokens + b.refresh_tokens, access_tokens: a.access_tokens + b.access_tokens }),
    { grants: 0, refresh_tokens: 0, access_tokens: 0 },
  );
}

export function bulkImpactText(i: Impact): string {
  const verb = (n: number, one: string, many: string) => (n === 1 ? one : many);
  return `This ends ${plural(i.grants, "grant")}: ${plural(i.refresh_tokens, "usable refresh token")} ${verb(i.refresh_tokens, "stops", "stop")} at once, and ${plural(i.access_tokens, "unexpired access token")} ${verb(i.access_tokens, "is", "are")} refused by introspection and userinfo at once (a JWT already handed out verifies offline until it expires, at most 10 minutes).`;
}
