// The console window may call exactly what the UI calls (issue 21): src-tauri/build.rs lists the
// commands that get an `allow-<command>` permission, the window's capability grants those and
// nothing else, and api.ts (the one module that talks to the backend) calls those. A command
// added in one place and forgotten in another fails here, before the window refuses it. (The
// names and types of each command's arguments and result are checked by tsc against
// bindings/commands.ts, generated from the Rust commands by tests/ipc.)
import { describe, expect, it } from "vitest";
import apiSource from "./api.ts?raw";
import buildRs from "../../src-tauri/build.rs?raw";
import capabilityText from "../../src-tauri/capabilities/default.json?raw";

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

describe("the window's IPC permissions", () => {
  const called = sorted([...apiSource.matchAll(/call\("([a-z_]+)"/g)].map((m) => m[1]));
  const listed = sorted([...buildRs.matchAll(/^\s+"([a-z_]+)",$/gm)].map((m) => m[1]));
  const capability = JSON.parse(capabilityText) as { permissions: string[] };

  it("lists in build.rs exactly the commands the UI calls", () => {
    expect(called.length).toBeGreaterThan(30);
    expect(listed).toEqual(called);
  });

  it("grants the window those commands and nothing of Tauri's core", () => {
    expect(sorted(capability.permissions)).toEqual(sorted(called.map((c) => `allow-${c.replaceAll("_", "-")}`)));
    expect(capability.permissions.some((p) => p.startsWith("core:"))).toBe(false);
  });
});
