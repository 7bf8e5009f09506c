// The reasons a back office gives for what cuts something off: a short list people pick from,
// plus their own words. Production requires one (the backend refuses without); the audit keeps
// it as "lost device — customer called from a new phone".
export const REASONS = ["lost device", "customer request", "suspected fraud", "partner offboarding", "other"] as const;
export type ReasonChoice = (typeof REASONS)[number] | "";

/** The reason as stored: the choice, with the details after a dash ("other": the details). */
export function reasonText(choice: ReasonChoice, details: string): string {
  const d = details.trim();
  if (choice === "") return d;
  if (choice === "other") return d;
  return d ? `${choice} — ${d}` : choice;
}

/** Whether the confirm button may be pressed: a reason where one is required, and for a bulk
 *  action the name typed exactly (case and surrounding spaces aside). */
export function mayConfirm(opts: { required: boolean; reason: string; typed?: string; expected?: string | null }): boolean {
  if (opts.required && !opts.reason.trim()) return false;
  if (opts.expected) return (opts.typed ?? "").trim().toLowerCase() === opts.expected.trim().toLowerCase();
  return true;
}
