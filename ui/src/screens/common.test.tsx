// @vitest-environment jsdom
// The confirm dialog's rules in the DOM: it takes focus, Esc cancels, production needs a reason,
// a bulk action needs the name typed, and the reason reaches the caller as the audit keeps it.
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeskView } from "../bindings/DeskView";
import { DeskContext } from "../lib/desk";
import { ConfirmAction, activates } from "./common";

afterEach(cleanup);

const desk = (production: boolean): DeskView => ({
  operator: production ? "sam" : null,
  display_name: production ? "Sam Ortiz" : null,
  role: production ? "support" : null,
  powers: ["read", "revoke"],
  production,
  sign_in_required: false,
  locked: null,
  has_operators: production,
  desk: "desk-7",
  idle_lock_minutes: 15,
});

function open(production: boolean, props: Partial<Parameters<typeof ConfirmAction>[0]> = {}) {
  const onConfirm = vi.fn();
  const onCancel = vi.fn();
  render(
    <DeskContext.Provider value={desk(production)}>
      <ConfirmAction
        id="revoke"
        title="Revoke every grant of ada?"
        impact="This ends 2 grants."
        confirmLabel="Revoke"
        onConfirm={onConfirm}
        onCancel={onCancel}
        {...props}
      />
    </DeskContext.Provider>,
  );
  return { onConfirm, onCancel, confirm: screen.getByRole("button", { name: "Revoke" }) };
}

describe("ConfirmAction", () => {
  it("is a dialog that takes focus on the reason, and Esc cancels it", () => {
    const { onCancel } = open(false);
    expect(screen.getByRole("dialog", { name: "Revoke every grant of ada?" })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByLabelText("Reason"));
    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(onCancel).toHaveBeenCalledOnce();
  });

  it("in a sandbox confirms without a reason", async () => {
    const { onConfirm, confirm } = open(false);
    expect((confirm as HTMLButtonElement).disabled).toBe(false);
    await userEvent.click(confirm);
    expect(onConfirm).toHaveBeenCalledWith("");
  });

  it("in production waits for a reason, and passes the choice with the details", async () => {
    const { onConfirm, confirm } = open(true);
    expect((confirm as HTMLButtonElement).disabled).toBe(true);
    await userEvent.selectOptions(screen.getByLabelText("Reason"), "lost device");
    await userEvent.type(screen.getByLabelText("Details"), "called from a new phone");
    expect((confirm as HTMLButtonElement).disabled).toBe(false);
    await userEvent.click(confirm);
    expect(onConfirm).toHaveBeenCalledWith("lost device — called from a new phone");
  });

  it("for everything of a person, waits for the name typed (any case)", async () => {
    const { onConfirm, confirm } = open(false, { typeToConfirm: "ada" });
    const typed = screen.getByLabelText(/Type ada to confirm/);
    await userEvent.type(typed, "ad");
    expect((confirm as HTMLButtonElement).disabled).toBe(true);
    await userEvent.type(typed, "A");
    expect((confirm as HTMLButtonElement).disabled).toBe(false);
    await userEvent.click(confirm);
    expect(onConfirm).toHaveBeenCalledOnce();
  });

  it("cannot be confirmed while its impact is still loading", () => {
    const { confirm } = open(false, { impact: null });
    expect(screen.getByText("Looking at what this touches…")).toBeTruthy();
    expect((confirm as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("activates", () => {
  it("opens a row by Tab and Enter or Space, and leaves keys typed into a control inside it alone", async () => {
    const open = vi.fn();
    const toggled = vi.fn();
    render(
      <table>
        <tbody>
          <tr data-testid="row" {...activates(open)}>
            {/* As in the grant list: a click on the checkbox's cell is the checkbox's. */}
            <td onClick={(e) => e.stopPropagation()}>
              <input type="checkbox" aria-label="Select" onChange={toggled} />
            </td>
            <td>ada's Budget App</td>
          </tr>
        </tbody>
      </table>,
    );
    await userEvent.tab();
    expect(document.activeElement).toBe(screen.getByTestId("row"));
    await userEvent.keyboard("{Enter}");
    await userEvent.keyboard(" ");
    expect(open).toHaveBeenCalledTimes(2);
    await userEvent.tab();
    expect(document.activeElement).toBe(screen.getByLabelText("Select"));
    await userEvent.keyboard(" ");
    expect(toggled).toHaveBeenCalledTimes(1);
    expect(open).toHaveBeenCalledTimes(2);
  });
});
