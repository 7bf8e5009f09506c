// @vitest-environment jsdom
// The in-screen search: what is typed goes to the backend's search, only the kinds asked for are
// offered, arrows and Enter pick, Esc closes the list.
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SearchHit } from "../bindings/SearchHit";

const hits: SearchHit[] = [
  { kind: "user", sub: "s-ada", username: "ada", email: "ada@example.com", name: "Ada Lovelace", grants: 2 },
  { kind: "user", sub: "s-adam", username: "adam", email: null, name: null, grants: 0 },
  { kind: "app", client_id: "c-1", name: "Adaptive Budget", partner_name: null, enabled: true, grants: 4 },
];
const search = vi.fn(async (term: string) => hits.filter((h) => JSON.stringify(h).includes(term)));
vi.mock("../api", () => ({ api: { search: (term: string) => search(term) } }));

const { Picker } = await import("./Picker");

afterEach(() => {
  cleanup();
  search.mockClear();
});

describe("Picker", () => {
  it("offers only the kinds asked for, and Enter picks the one the arrows reached", async () => {
    const onPick = vi.fn();
    render(<Picker id="p" placeholder="a person" kinds={["user"]} onPick={onPick} />);
    const input = screen.getByRole("combobox");
    await userEvent.type(input, "ada");
    await waitFor(() => expect(screen.getAllByRole("option")).toHaveLength(2));
    expect(search).toHaveBeenLastCalledWith("ada");
    expect(screen.queryByText("Adaptive Budget")).toBeNull();
    await userEvent.keyboard("{ArrowDown}{Enter}");
    expect(onPick).toHaveBeenCalledWith(hits[1]);
    // Picked: the box is empty again and the list closed.
    expect((input as HTMLInputElement).value).toBe("");
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("says when nothing matches, and Esc closes the list", async () => {
    render(<Picker id="p" placeholder="anything" onPick={vi.fn()} />);
    await userEvent.type(screen.getByRole("combobox"), "zzz");
    await waitFor(() => expect(screen.getByText(/Nothing matches “zzz”/)).toBeTruthy());
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("listbox")).toBeNull();
  });
});
