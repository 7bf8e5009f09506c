// Light, dark, or whatever the system prefers; kept in this window's local storage.
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
