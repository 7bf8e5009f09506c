// What a destructive action will hit, in words, from the store's impact preview.
import type { Impact } from "../bindings/Impact";

const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

export type Destructive = "disable-app" | "delete-app" | "delete-user" | "rotate-key";

/** The sentence shown before `action`, with `impact` of the grants it touches. */
export function impactText(action: Destructive, impact: Impact | null): string {
  const i = impact ?? { grants: 0, refresh_tokens: 0, access_tokens: 0 };
  switch (action) {
    case "disable-app":
      return `While it is disabled the app gets no tokens: its ${n(i.refresh_tokens, "usable refresh token")} stop refreshing and its ${n(i.access_tokens, "unexpired access token")} stop introspecting, across ${n(i.grants, "active grant")}. Enabling it again undoes this.`;
    case "delete-app":
      return `Deletes the app with its ${n(i.grants, "active grant")}, ${n(i.refresh_tokens, "usable refresh token")} and ${n(i.access_tokens, "unexpired access token")}. This cannot be undone.`;
    case "delete-user":
      return `Revokes the person's ${n(i.grants, "active grant")} (${n(i.refresh_tokens, "usable refresh token")}, ${n(i.access_tokens, "unexpired access token")}) and deletes them. This cannot be undone.`;
    case "rotate-key":
      return "New tokens are signed with a new key. Tokens signed with the current key keep verifying until they expire: the key stays published until then.";
  }
}
