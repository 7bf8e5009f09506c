import { describe, expect, it } from "vitest";
import type { Overview } from "../bindings/Overview";
import { startDone, startSteps } from "./Start";

const empty: Overview = {
  apps: 0,
  apps_disabled: 0,
  users: 0,
  active_grants: 0,
  refresh_tokens_ending_7d: 0,
  refresh_tokens_ending_30d: 0,
  chains_ending_7d: 0,
  chains_ending_30d: 0,
  revocations: 0,
  reuse_detections: 0,
  failed_client_auths: 0,
  recent_since: 0,
  tokens_issued: false,
  now: 0,
};

describe("the first-run page", () => {
  it("lists the three steps of a new sandbox, none done", () => {
    expect(startSteps(empty, false).map((s) => [s.title, s.done])).toEqual([
      ["Create an application", false],
      ["Add a sandbox user", false],
      ["Mint a token or run a flow", false],
    ]);
    expect(startDone(empty, false)).toBe(false);
  });
  it("marks each step as it is done, and has nothing to say once all are", () => {
    const some = { ...empty, apps: 1 };
    expect(startSteps(some, false).map((s) => s.done)).toEqual([true, false, false]);
    expect(startDone({ ...some, users: 3, tokens_issued: true }, false)).toBe(true);
  });
  it("asks a production registry only for an application (no sandbox users, no minting)", () => {
    expect(startSteps(empty, true).map((s) => s.title)).toEqual(["Create an application"]);
    expect(startDone({ ...empty, apps: 1 }, true)).toBe(true);
  });
});
