import { describe, expect, it } from "vitest";
import type { RefreshTokenNode } from "../bindings/RefreshTokenNode";
import { decodeJwt, humanSeconds, relative, timeClaims } from "./jwt";
import { loadFilters, loadTheme, oneOf, resolve } from "./theme";
import { impactText } from "./impact";
import { bucket, dayLabel, dayTicks, monthTicks, niceStep, nothingEnds, timeScale, tokenWindows } from "./timeline";
import { countTokens, flattenTree, forks, grantBadge, visibleRows } from "./tree";
import { byField, lines, quickChecks } from "./validation";
import { describe as describeHit, looksLikeToken, move, stepList } from "./search";
import type { GrantSummary } from "../bindings/GrantSummary";
import { countText, searchedText, dayOk, dayStart as dayStartOf, emptyForm, filtered, prettyDetail, realTime, targetOf, toQuery, utcDay } from "./audit";

const node = (id: string, state: RefreshTokenNode["state"], children: RefreshTokenNode[] = []): RefreshTokenNode => ({
  id,
  parent_id: null,
  issued_at: "2026-01-01T00:00:00Z",
  expires_at: "2026-04-01T00:00:00Z",
  effective_expires_at: "2026-04-01T00:00:00Z",
  last_used_at: null,
  use_count: children.length,
  state,
  children,
});

describe("tree", () => {
  // A confidential client's token used twice has two children: the tree the console must show.
  const roots = [node("a", "active", [node("b", "active", [node("d", "active")]), node("c", "expired")])];
  it("flattens depth-first with paths", () => {
    expect(flattenTree(roots).map((r) => [r.node.id, r.depth, r.path])).toEqual([
      ["a", 0, "1"],
      ["b", 1, "1.1"],
      ["d", 2, "1.1.1"],
      ["c", 1, "1.2"],
    ]);
  });
  it("hides the descendants of a collapsed token", () => {
    // node() leaves parent_id null: give each child its parent.
    const link = (n: RefreshTokenNode, parent: string | null = null): RefreshTokenNode => ({
      ...n,
      parent_id: parent,
      children: n.children.map((c) => link(c, n.id)),
    });
    const rows = flattenTree(roots.map((r) => link(r)));
    expect(visibleRows(rows, new Set()).map((r) => r.node.id)).toEqual(["a", "b", "d", "c"]);
    expect(visibleRows(rows, new Set(["b"])).map((r) => r.node.id)).toEqual(["a", "b", "c"]);
    expect(visibleRows(rows, new Set(["a"])).map((r) => r.node.id)).toEqual(["a"]);
  });
  it("shows an active grant that yields nothing as stopped", () => {
    expect(grantBadge("active", null)).toBe("active");
    expect(grantBadge("active", "the last refresh token expired unused on …")).toBe("stopped");
    expect(grantBadge("revoked", "revoked … by ann: lost phone")).toBe("revoked");
  });
  it("counts usable tokens and finds forks", () => {
    expect(countTokens(roots)).toEqual({ total: 4, active: 3 });
    expect(forks(roots).map((n) => n.id)).toEqual(["a"]);
  });
});

describe("timeline", () => {
  it("scales and clamps times", () => {
    const x = timeScale("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", 365);
    expect(x("2026-01-01T00:00:00Z")).toBe(0);
    expect(Math.round(x("2026-04-01T00:00:00Z"))).toBe(90);
    expect(x("2030-01-01T00:00:00Z")).toBe(365);
    expect(x("2020-01-01T00:00:00Z")).toBe(0);
  });
  it("marks tokens cut by the one-year cap", () => {
    const w = tokenWindows(
      [
        { id: "first", issued_at: "2026-01-01T00:00:00Z", expires_at: "2026-04-01T00:00:00Z", effective_expires_at: "2026-04-01T00:00:00Z" },
        { id: "late", issued_at: "2026-11-17T00:00:00Z", expires_at: "2027-02-15T00:00:00Z", effective_expires_at: "2027-01-01T00:00:00Z" },
      ],
      "2026-01-01T00:00:00Z",
      "2027-01-01T00:00:00Z",
      1000,
    );
    expect(w[0].capped).toBe(false);
    expect(w[1].capped).toBe(true);
    expect(w[1].effectiveEnd).toBeLessThan(w[1].ownEnd);
  });
  it("buckets per-day counts into weeks", () => {
    const day = (d: number, refresh_tokens: number, chains: number) => ({ day: d, refresh_tokens, chains });
    const b = bucket([day(0, 2, 0), day(6, 1, 1), day(7, 5, 0), day(400, 9, 9)], 14, 7);
    expect(b).toEqual([
      { start: 0, tokens: 3, chains: 1 },
      { start: 7, tokens: 5, chains: 0 },
    ]);
  });
  it("puts a date axis under a chain: month starts, the year where it begins or turns", () => {
    const t = monthTicks("2026-12-06T10:00:00Z", "2027-03-20T00:00:00Z");
    expect(t.map((x) => x.label)).toEqual(["Jan 2027", "Feb", "Mar"]);
    expect(t[0].iso).toBe("2027-01-01T00:00:00.000Z");
    // A chain's year and its last token's 90 days: at most 8 labels, every second month.
    const long = monthTicks("2026-12-06T10:00:00Z", "2028-03-01T00:00:00Z");
    expect(long.length).toBeLessThanOrEqual(8);
    expect(long[0].label).toBe("Jan 2027");
    expect(long.some((x) => x.label === "Jan 2028")).toBe(true);
  });
  it("picks readable axis steps", () => {
    expect(niceStep(7)).toBe(2);
    expect(niceStep(100)).toBe(50);
    expect(niceStep(0)).toBe(1);
    // Counts are whole numbers: a chart of one or two never reads 0, 0.5, 1.
    for (const max of [1, 2, 3, 4, 5, 9, 13]) expect(Number.isInteger(niceStep(max))).toBe(true);
    expect(niceStep(1)).toBe(1);
  });
});

describe("validation", () => {
  it("groups backend field errors by field", () => {
    expect(
      byField([
        { field: "name", message: "a" },
        { field: "name", message: "b" },
        { field: "scopes", message: "c" },
      ]),
    ).toEqual({ name: ["a", "b"], scopes: ["c"] });
  });
  it("splits lines and words", () => {
    expect(lines(" https://a/cb \n\n https://b/cb ")).toEqual(["https://a/cb", "https://b/cb"]);
    expect(lines("openid  profile\noffline_access", true)).toEqual(["openid", "profile", "offline_access"]);
  });
  it("refuses dangerous schemes in any letter case before asking the backend", () => {
    const errs = quickChecks({ name: "", redirect_uris: ["JaVaScRiPt:alert(1)", "https://ok/cb", "DATA:text/html,x"] });
    expect(errs.map((e) => e.field)).toEqual(["name", "redirect_uris", "redirect_uris"]);
    expect(errs[0].message).toBe("give the application a name");
  });
});

describe("jwt", () => {
  it("decodes header and payload, refuses garbage", () => {
    const enc = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const t = `${enc({ alg: "RS256", typ: "at+jwt" })}.${enc({ sub: "user-1" })}.sig`;
    expect(decodeJwt(t)?.header.typ).toBe("at+jwt");
    expect(decodeJwt(t)?.payload.sub).toBe("user-1");
    expect(decodeJwt("nope")).toBeNull();
    expect(decodeJwt("a.b.c")).toBeNull();
  });
  it("says relative times in plain words", () => {
    expect(relative("2026-01-11T00:00:00Z", "2026-01-01T00:00:00Z")).toBe("in 10 d");
    expect(relative("2026-01-01T00:00:00Z", "2026-01-01T05:00:00Z")).toBe("5 h ago");
    expect(relative("2026-01-01T00:00:20Z", "2026-01-01T00:00:00Z")).toBe("just now");
  });
});

describe("timeClaims", () => {
  it("shows a token's time claims as UTC, skipping the absent and the non-numeric", () => {
    expect(timeClaims({ iat: 1_800_000_000, exp: 1_800_000_600, sub: "ada", nbf: "soon" })).toEqual([
      ["iat", "2027-01-15 08:00 UTC"],
      ["exp", "2027-01-15 08:10 UTC"],
    ]);
    expect(timeClaims({})).toEqual([]);
  });
});

describe("nothingEnds", () => {
  it("is true only when every bucket is empty", () => {
    expect(nothingEnds(bucket([], 14, 7))).toBe(true);
    expect(nothingEnds(bucket([{ day: 400, refresh_tokens: 9, chains: 9 }], 14, 7))).toBe(true);
    expect(nothingEnds(bucket([{ day: 3, refresh_tokens: 0, chains: 1 }], 14, 7))).toBe(false);
  });
});

describe("audit viewer", () => {
  it("turns the filter form into the store's query", () => {
    expect(toQuery(emptyForm)).toEqual({ actor: null, action: null, target: null, from: null, to: null, text: null });
    expect(toQuery({ actor: " alice ", action: "grant.revoke", target: "g-1", fromDay: "2026-12-01", toDay: "2026-12-02", text: "lost phone" })).toEqual({
      actor: "alice",
      action: "grant.revoke",
      target: "g-1",
      from: 1_796_083_200,
      to: 1_796_256_000, // the 2nd is included whole: up to the 3rd's start
      text: "lost phone",
    });
    expect(toQuery({ ...emptyForm, fromDay: "yesterday" }).from).toBeNull();
    expect(filtered(emptyForm)).toBe(false);
    expect(filtered({ ...emptyForm, text: "x" })).toBe(true);
  });
  it("shows the wall-clock time only when the sandbox clock was moved", () => {
    expect(realTime(1_764_662_400, 1_764_662_430)).toBeNull();
    expect(realTime(1_764_662_400 + 100 * 86_400, 1_764_662_400)).toBe("2025-12-02 08:00:00");
    expect(realTime(1_764_662_400, null)).toBeNull();
  });
  it("leads from an event's target to the object", () => {
    expect(targetOf("client.rotate_secret", "c1", "{}")).toEqual({ kind: "app", id: "c1" });
    expect(targetOf("token.refresh", "g1", "{}")).toEqual({ kind: "grant", id: "g1" });
    expect(targetOf("user.delete", "s1", "{}")).toEqual({ kind: "user", id: "s1" });
    expect(targetOf("user.login_failed", "ada", "{}")).toBeNull(); // a user name, maybe unknown
    expect(targetOf("grant.revoke", "g1", '{"grant_id":"g1","sub":null,"client_id":null}')).toEqual({ kind: "grant", id: "g1" });
    expect(targetOf("grant.revoke", "s1", '{"grant_id":null,"sub":"s1","client_id":"c1"}')).toEqual({ kind: "user", id: "s1" });
    expect(targetOf("grant.revoke", "c1", '{"grant_id":null,"sub":null,"client_id":"c1"}')).toEqual({ kind: "app", id: "c1" });
    expect(targetOf("key.rotate", "kid", "{}")).toBeNull();
  });
  it("puts a time on its UTC day, the day the form's filter starts", () => {
    expect(utcDay(1_796_083_200)).toBe("2026-12-01");
    expect(utcDay(1_796_083_199)).toBe("2026-11-30");
    expect(dayStartOf(utcDay(1_796_100_000))).toBe(1_796_083_200);
  });
  it("counts in words", () => {
    expect(countText(1, true)).toBe("1 event matches");
    expect(countText(1200, true)).toBe("1,200 events match");
    expect(countText(0, false)).toBe("0 events");
    // Past the store's cap the count stopped.
    expect(countText(10_000, true, true)).toBe("more than 10,000 events match");
    expect(countText(10_000, false, true)).toBe("more than 10,000 events");
  });
  it("says how far back a text search has read while older events remain", () => {
    const when = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 10);
    const window = { floor: 75_001, back_to: 1_796_000_000, older: true };
    expect(searchedText(window, true, when)).toBe(" · searched events back to 2026-11-30");
    expect(searchedText(window, false, when)).toBe("");
    expect(searchedText({ ...window, back_to: null }, true, when)).toBe("");
    expect(searchedText(null, true, when)).toBe("");
  });
  it("indents a JSON detail and keeps anything else as it is", () => {
    expect(prettyDetail('{"reason":"moved"}')).toBe('{\n  "reason": "moved"\n}');
    expect(prettyDetail("not json")).toBe("not json");
    // Nulls say nothing: they are left out, all the way down.
    expect(prettyDetail('{"grant_id":null,"sub":"s","impact":{"grants":1,"x":null}}')).toBe('{\n  "sub": "s",\n  "impact": {\n    "grants": 1\n  }\n}');
    expect(dayOk("")).toBe(true);
    expect(dayOk("2026-12-02")).toBe(true);
    expect(dayOk("12/02/2026")).toBe(false);
  });
});

describe("search", () => {
  it("says who a person is, what an app is and what a grant holds", () => {
    expect(describeHit({ kind: "user", sub: "s1", username: "ada", email: "ada@bank.example", name: "Ada Lovelace", grants: 1 })).toEqual({
      key: "user:s1",
      title: "ada — Ada Lovelace",
      detail: "ada@bank.example · 1 active grant",
    });
    expect(describeHit({ kind: "app", client_id: "c1", name: "Budget", partner_name: "Acme", enabled: false, grants: 3 }).detail).toBe(
      "disabled · 3 active grants",
    );
    const grant = { grant_id: "01a23582-1f59", client_name: "Budget", username: null, status: "revoked", created_at: "2026-12-02T10:00:00Z" } as GrantSummary;
    // A grant by its names and day, never by its id (ids made together share their start).
    expect(describeHit({ kind: "grant", grant, by_token: true })).toEqual({
      key: "grant:01a23582-1f59",
      title: "Budget · deleted user · since 2 Dec 2026",
      detail: "holds this token · revoked",
    });
  });
  it("steps through a list with the arrow keys, opening the first when none is open", () => {
    const items = ["a", "b", "c"];
    expect(stepList("ArrowDown", items, (i) => i === "a")).toBe("b");
    expect(stepList("ArrowUp", items, (i) => i === "a")).toBe("c");
    expect(stepList("ArrowDown", items, () => false)).toBe("a");
    expect(stepList("Enter", items, (i) => i === "a")).toBeNull();
  });
  it("tells a pasted token from a name", () => {
    expect(looksLikeToken("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl")).toBe(true);
    expect(looksLikeToken("ada")).toBe(false);
    expect(looksLikeToken("a very long name of a partner with many words in it")).toBe(false);
  });
  it("moves through the list with the arrow keys, wrapping", () => {
    expect(move("ArrowDown", 0, 3)).toBe(1);
    expect(move("ArrowDown", 2, 3)).toBe(0);
    expect(move("ArrowUp", 0, 3)).toBe(2);
    expect(move("Enter", 1, 3)).toBeNull();
    expect(move("ArrowDown", 0, 0)).toBeNull();
  });
});

describe("settings", () => {
  it("says lengths of time in their largest whole unit", () => {
    expect([600, 3600, 7_776_000, 31_536_000, 90].map(humanSeconds)).toEqual(["10 min", "1 h", "90 d", "365 d", "90 s"]);
  });
  it("keeps the chosen theme, and follows the system when asked", () => {
    expect(loadTheme({ getItem: () => "dark" })).toBe("dark");
    expect(loadTheme({ getItem: () => null })).toBe("system");
    expect(loadTheme({ getItem: () => "purple" })).toBe("system");
    expect(resolve("system", true)).toBe("dark");
    expect(resolve("system", false)).toBe("light");
    expect(resolve("light", true)).toBe("light");
  });
  it("brings back a screen's last filters, unless they no longer fit", () => {
    const fallback = { by: "app", term: "" };
    expect(loadFilters("k", fallback, { getItem: () => '{"by":"user","term":"ada"}' })).toEqual({ by: "user", term: "ada" });
    expect(loadFilters("k", fallback, { getItem: () => '{"by":1}' })).toEqual(fallback);
    expect(loadFilters("k", fallback, { getItem: () => "not json" })).toEqual(fallback);
    expect(loadFilters("k", fallback, { getItem: () => null })).toEqual(fallback);
  });
  it("reopens the last screen only if it still exists", () => {
    const screens = ["Overview", "Audit"] as const;
    expect(oneOf("Audit", screens, "Overview")).toBe("Audit");
    expect(oneOf("Reports", screens, "Overview")).toBe("Overview");
    expect(oneOf(null, screens, "Overview")).toBe("Overview");
  });
});

describe("impact wording", () => {
  const impact = { grants: 1, refresh_tokens: 2, access_tokens: 0 };
  it("says what each destructive action touches, and whether it can be undone", () => {
    expect(impactText("disable-app", impact)).toBe(
      "While it is disabled the app gets no tokens: its 2 usable refresh tokens stop refreshing and its 0 unexpired access tokens stop introspecting, across 1 active grant. Enabling it again undoes this.",
    );
    expect(impactText("delete-app", impact)).toMatch(
      /with its 1 active grant, 2 usable refresh tokens and 0 unexpired access tokens\. This cannot be undone\.$/,
    );
    expect(impactText("delete-user", { grants: 3, refresh_tokens: 1, access_tokens: 1 })).toBe(
      "Revokes the person's 3 active grants (1 usable refresh token, 1 unexpired access token) and deletes them. This cannot be undone.",
    );
    expect(impactText("rotate-key", null)).toMatch(/keep verifying until they expire/);
  });
});

describe("date axes", () => {
  const now = "2026-12-02T08:00:00Z";
  it("labels days from now as dates, with the year once it changes", () => {
    expect(dayLabel(now, 0)).toBe("Dec 2");
    expect(dayLabel(now, 30)).toBe("Jan 1 2027");
  });
  it("spreads about six ticks over the period, starting today", () => {
    const ticks = dayTicks(now, 90);
    expect(ticks[0]).toEqual({ day: 0, label: "today" });
    expect(ticks.map((t) => t.day)).toEqual([0, 15, 30, 45, 60, 75, 90]);
    expect(ticks[2].label).toBe("Jan 1 2027");
  });
});
