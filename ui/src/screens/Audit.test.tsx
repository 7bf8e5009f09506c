// @vitest-environment jsdom
// The Audit's text search reads a window of events per page (the store cannot skip any): the
// count says how far back it read, "Search older events" opens the next window and adds its
// matches, and a page within a window keeps its floor.
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditCursor } from "../bindings/AuditCursor";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { AuditPage } from "../bindings/AuditPage";
import type { AuditQuery } from "../bindings/AuditQuery";

const DAY = 86_400;
const NOW = Date.UTC(2026, 11, 6) / 1000;
const event = (id: number): AuditEntry => ({
  id,
  at: NOW - (100_000 - id) * 60,
  actor: "console:ada@desk-7",
  action: "grant.revoke",
  target: `g-${id}`,
  detail: "{}",
  recorded_at: null,
  label: "grant revoked",
  sentence: `ada revoked grant ${id}`,
  target_name: null,
});

// 100,000 events; "lost" matches 3 in the newest window and 2 in the one before.
const list = vi.fn(async (query: AuditQuery, cursor: AuditCursor | null): Promise<AuditPage> => {
  if (!query.text) return { rows: [event(100_000)], total: 1, more: false, next: null, searched: null };
  if (cursor === null)
    return {
      rows: [event(99_990), event(90_000), event(80_000)],
      total: 3,
      more: false,
      next: { before: 75_001, floor: null },
      searched: { floor: 75_001, back_to: NOW - 30 * DAY, older: true },
    };
  return {
    rows: [event(60_000), event(51_000)],
    total: 2,
    more: false,
    next: null,
    searched: { floor: 50_001, back_to: NOW - 40 * DAY, older: false },
  };
});
vi.mock("../api", async (original) => ({
  ...(await original<typeof import("../api")>()),
  api: {
    audit: { list, export: vi.fn() },
    auditActions: vi.fn(async () => []),
    auditVerify: vi.fn(async () => ({ events: 100_000, first_bad: null, unsealed: 0 })),
  },
}));
vi.mock("../lib/zone", async (original) => ({ ...(await original<typeof import("../lib/zone")>()), loadZone: () => "UTC" }));

const { Audit } = await import("./Audit");

afterEach(() => {
  cleanup();
  list.mockClear();
});

describe("Audit", () => {
  it("searches text a window at a time and says how far back it read", async () => {
    render(<Audit initial={{ text: "lost" }} onTarget={vi.fn()} />);
    await waitFor(() => expect(screen.getByText("3 events match · searched events back to 2026-11-06 00:00:00 UTC")).toBeTruthy());
    expect(list).toHaveBeenLastCalledWith(expect.objectContaining({ text: "lost" }), null);
    await userEvent.click(screen.getByRole("button", { name: "Search older events" }));
    await waitFor(() => expect(screen.getByText("5 events match")).toBeTruthy());
    expect(list).toHaveBeenLastCalledWith(expect.objectContaining({ text: "lost" }), { before: 75_001, floor: null });
    expect(screen.getByText("ada revoked grant 51000")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Search older events" })).toBeNull();
  });

  it("reads without a window when nothing is searched as text", async () => {
    render(<Audit initial={{}} onTarget={vi.fn()} />);
    await waitFor(() => expect(screen.getByText("1 event")).toBeTruthy());
    expect(screen.queryByText(/searched events back to/)).toBeNull();
  });
});
