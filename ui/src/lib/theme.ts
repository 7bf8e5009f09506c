// What the console keeps in this window's local storage: the theme (light, dark, or whatever
// the system prefers) and, checked by `oneOf`, the last screen.
export type Theme = "light" | "dark" | "system";
const KEY = "authdesk.theme";

export function loadTheme(storage: Pick<Storage, "getItem"> = localStorage): Theme {
  const t = storage.getItem(KEY);
  return t === "light" || t === "dark" ? t : "system";
}

/** The theme to draw: the chosen one, or for "system" what the system prefers. */
export function resolve(theme: Theme, systemPrefersDark: boolean): "light" | "dark" {
  return theme === "system" ? (systemPrefersDark ? "dark" : "light") : theme;
}

export function applyTheme(theme: Theme) {
  const dark = window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
  document.documentElement.dataset.theme = resolve(theme, dark);
}

export function saveTheme(theme: Theme) {
  localStorage.setItem(KEY, theme);
  applyTheme(theme);
}

/** `stored` if it is one of `choices` (a value kept in local storage may be from an older
 *  version, or anything), else `fallback`. */
export function oneOf<T extends string>(stored: string | null, choices: readonly T[], fallback: T): T {
  return (choices as readonly string[]).includes(stored ?? "") ? (stored as T) : fallback;
}

/** A screen's last filters, kept in local storage under `key`; `fallback` when none (or when
 *  what is kept no longer has the shape of `fallback`). */
export function loadFilters<T extends object>(key: string, fallback: T, storage: Pick<Storage, "getItem"> = localStorage): T {
  try {
    const kept = JSON.parse(storage.getItem(key) ?? "null");
    if (kept && typeof kept === "object" && Object.keys(fallback).every((k) => typeof kept[k] === typeof (fallback as Record<string, unknown>)[k])) {
      return { ...fallback, ...kept };
    }
  } catch {
    // Unreadable: start from the fallback.
  }
  return fallback;
}

export function saveFilters(key: string, filters: object) {
  localStorage.setItem(key, JSON.stringify(filters));
}
