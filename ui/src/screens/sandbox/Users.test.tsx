// @vitest-environment jsdom
// The Sandbox's people list: a page at a time, searched as the backend's search finds them,
// labelled fields, the example claims only a placeholder, bad claims said plainly.
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { UserView } from "../../bindings/UserView";

const person = (i: number): UserView => ({
  sub: `s-${i}`,
  username: `p${String(i).padStart(3, "0")}`,
  claims: { name: `Person ${i}` },
  created_at: "2026-12-06T00:00:00Z",
});
const people = Array.from({ length: 60 }, (_, i) => person(i));
const list = vi.fn(async (term: string, limit: number, offset: number) => people.filter((p) => p.username.startsWith(term)).slice(offset, offset + limit));
const create = vi.fn(async (username: string) => person(Number(username.length)));
vi.mock("../../api", async (original) => ({ ...(await original<typeof import("../../api")>()), api: { users: { list, create } } }));

const { Users } = await import("./Users");

afterEach(() => {
  cleanup();
  list.mockClear();
  create.mockClear();
});

describe("Users", () => {
  it("shows a page at a time and moves through them", async () => {
    render(<Users onGrants={vi.fn()} canEdit={false} />);
    await waitFor(() => expect(screen.getByText("1–25")).toBeTruthy());
    expect(list).toHaveBeenLastCalledWith("", 25, 0);
    await userEvent.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(screen.getByText("26–50")).toBeTruthy());
    await userEvent.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(screen.getByText("51–60")).toBeTruthy());
    expect((screen.getByRole("button", { name: "Next" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("searches from the first page, and says when no one matches", async () => {
    render(<Users onGrants={vi.fn()} canEdit={false} />);
    await userEvent.type(screen.getByLabelText("Find a person"), "p05");
    await waitFor(() => expect(list).toHaveBeenLastCalledWith("p05", 25, 0));
    await waitFor(() => expect(screen.getByText("1–10")).toBeTruthy());
    await userEvent.type(screen.getByLabelText("Find a person"), "x");
    await waitFor(() => expect(screen.getByText(/No one's user name, e-mail or name starts with “p05x”/)).toBeTruthy());
  });

  it("adds a person with labelled fields; the example claims are a placeholder, not a value", async () => {
    render(<Users onGrants={vi.fn()} canEdit={true} />);
    const claims = screen.getByLabelText(/^Claims/) as HTMLTextAreaElement;
    expect(claims.value).toBe("");
    expect(claims.placeholder).toContain("Ada Lovelace");
    await userEvent.type(screen.getByLabelText(/^User name/), "erin");
    await userEvent.type(screen.getByLabelText(/^Password/), "correct horse");
    await userEvent.click(screen.getByRole("button", { name: "Add user" }));
    expect(create).toHaveBeenCalledWith("erin", "correct horse", {});
  });

  it("refuses claims that are not a JSON object, saying what is expected", async () => {
    render(<Users onGrants={vi.fn()} canEdit={true} />);
    await userEvent.type(screen.getByLabelText(/^User name/), "erin");
    await userEvent.type(screen.getByLabelText(/^Password/), "correct horse");
    await userEvent.type(screen.getByLabelText(/^Claims/), "[[1, 2]");
    await userEvent.click(screen.getByRole("button", { name: "Add user" }));
    expect(create).not.toHaveBeenCalled();
    expect(screen.getByText(/claims must be a JSON object/)).toBeTruthy();
  });
});
