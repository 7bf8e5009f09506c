// Who is at the desk and what the console may offer them. The backend decides (every command
// checks the operator's role); the console only hides what would be refused.
import { createContext, useContext } from "react";
import type { DeskView } from "../bindings/DeskView";
import type { Power } from "../bindings/Power";

export const DeskContext = createContext<DeskView | null>(null);

/** Whether the desk's operator (or, in a sandbox without one, the desk) has `power`. */
export function can(desk: DeskView | null, power: Power): boolean {
  return desk?.powers.includes(power) ?? false;
}

export function useCan(): (power: Power) => boolean {
  const desk = useContext(DeskContext);
  return (power) => can(desk, power);
}

/** "Sam Ortiz (support)", or the OS user's desk in a sandbox without an operator. */
export function whoIsHere(desk: DeskView): string {
  if (desk.operator) return `${desk.display_name ?? desk.operator} (${desk.role})`;
  return `this computer's user at ${desk.desk}`;
}
