// Turns form input into a registration draft and backend field errors into messages shown
// next to each field. The backend is the authority on the rules; this only shapes the data.
import type { FieldError } from "../bindings/FieldError";

export type FieldMessages = Partial<Record<string, string[]>>;

export function byField(errors: FieldError[]): FieldMessages {
  const out: FieldMessages = {};
  for (const e of errors) (out[e.field] ??= []).push(e.message);
  return out;
}

/** One entry per non-empty line (or space-separated word when `words`). */
export function lines(text: string, words = false): string[] {
  return text
    .split(words ? /\s+/ : /\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Checks the UI can make before asking the backend, in the same plain words. */
export function quickChecks(draft: { name: string; redirect_uris: string[] }): FieldError[] {
  const errors: FieldError[] = [];
  if (!draft.name.trim()) errors.push({ field: "name", message: "give the application a name" });
  for (const uri of draft.redirect_uris) {
    if (/^\s*(javascript|data|vbscript):/i.test(uri)) {
      errors.push({ field: "redirect_uris", message: `${uri}: this scheme is not allowed for redirect URIs` });
    }
  }
  return errors;
}
