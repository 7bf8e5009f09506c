import { describe, expect, it } from "vitest";
import { inZone, loadZone } from "./zone";

describe("the desk's time zone", () => {
  it("shows UTC when chosen, and this computer's zone otherwise", () => {
    expect(inZone(1_796_083_200, "UTC")).toBe("2026-12-01 00:00:00 UTC");
    expect(inZone(1_796_083_200, "local")).toMatch(/^2026-1[12]-[0-3]\d \d\d:\d\d:\d\d/);
    expect(loadZone({ getItem: () => null })).toBe("local");
    expect(loadZone({ getItem: () => "UTC" })).toBe("UTC");
  });
});
