import { describe, expect, it } from "vitest";
import { day, endingLabel, grantLabel, grantLabels, idTail } from "./names";

describe("names people tell apart", () => {
  it("shows an id by its random tail, not its timestamp head", () => {
    // Two UUIDv7 ids made in the same minute share their first 8 characters.
    expect(idTail("01a235bd-8653-7c1e-9f00-3d5a1b2c4e6f")).toBe("1b2c4e6f");
    expect(idTail("01a235bd-7ad5-7c1e-9f00-aa11bb22cc33")).toBe("bb22cc33");
  });

  it("names a grant by its app, person and day", () => {
    const g = { client_name: "Budget App", username: "ada", created_at: "2026-12-02T10:00:00Z" };
    expect(grantLabel(g, "UTC")).toBe("Budget App · ada · since 2 Dec 2026");
    expect(grantLabel({ client_name: null, username: null, created_at: "2026-12-02T10:00:00Z" }, "UTC")).toBe("deleted app · deleted user · since 2 Dec 2026");
    expect(day(null)).toBe("—");
  });

  it("says what an ending-soon list holds, its last day being the one before the window ends", () => {
    const from = Date.parse("2026-12-06T00:00:00Z") / 1000;
    expect(endingLabel({ what: "refresh_token", from, to: from + 7 * 86400 }, "UTC")).toBe("refresh tokens ending 6 Dec 2026 – 12 Dec 2026");
    expect(endingLabel({ what: "chain", from, to: from + 86400 }, "UTC")).toBe("chains reaching their one-year end on 6 Dec 2026");
  });

  it("adds the time when two grants would read the same", () => {
    const labels = grantLabels(
      [
        { grant_id: "a", client_name: "Budget App", username: "ada", created_at: "2026-12-02T10:00:00Z" },
        { grant_id: "b", client_name: "Budget App", username: "ada", created_at: "2026-12-02T10:00:05Z" },
        { grant_id: "c", client_name: "Payroll", username: "ada", created_at: "2026-12-02T10:00:00Z" },
      ],
      "UTC",
    );
    expect(labels.get("a")).toBe("Budget App · ada · since 2 Dec 2026, 10:00:00");
    expect(labels.get("b")).toBe("Budget App · ada · since 2 Dec 2026, 10:00:05");
    expect(labels.get("c")).toBe("Payroll · ada · since 2 Dec 2026");
    // Made in the same second: the random tail of the id tells them apart.
    const same = grantLabels(
      [
        { grant_id: "01a235bd-8653-7c1e-9f00-3d5a1b2c4e6f", client_name: "Budget App", username: "ada", created_at: "2026-12-02T10:00:00Z" },
        { grant_id: "01a235bd-8654-7c1e-9f00-aa11bb22cc33", client_name: "Budget App", username: "ada", created_at: "2026-12-02T10:00:00Z" },
      ],
      "UTC",
    );
    expect([...same.values()]).toEqual([
      "Budget App · ada · since 2 Dec 2026, 10:00:00 · …1b2c4e6f",
      "Budget App · ada · since 2 Dec 2026, 10:00:00 · …bb22cc33",
    ]);
  });
});
