import { describe, expect, it } from "vitest";
import { bulkImpactText, sumImpacts } from "./bulk";

describe("revoking several grants", () => {
  it("adds up what each grant's preview hits", () => {
    const s = sumImpacts([
      { grants: 1, refresh_tokens: 2, access_tokens: 1 },
      { grants: 1, refresh_tokens: 0, access_tokens: 3 },
    ]);
    expect(s).toEqual({ grants: 2, refresh_tokens: 2, access_tokens: 4 });
    expect(bulkImpactText(s)).toMatch(/^This ends 2 grants: 2 usable refresh tokens stop at once, and 4 unexpired access tokens/);
    expect(bulkImpactText({ grants: 1, refresh_tokens: 1, access_tokens: 0 })).toMatch(
      /^This ends 1 grant: 1 usable refresh token stops at once, and 0 unexpired access tokens are/,
    );
  });
});
