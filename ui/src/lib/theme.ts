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
