/**
 * Light or dark: the system's preference (prefers-color-scheme) unless the user chose with the
 * toggle. The choice is a data-theme attribute on <html> that the stylesheet reads, kept in
 * localStorage.
 */
export type Theme = "light" | "dark" | "system";
const THEME_KEY = "ocs.theme";

export function savedTheme(): Theme {
  const v = localStorage.getItem(THEME_KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export function systemDark(): boolean {
  return window.matchMedia("(prefers-color-scheme: dark)").matches;
}

export function applyTheme(theme: Theme): void {
  if (theme === "system") {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem(THEME_KEY);
  } else {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
  }
}

export const isDark = (theme: Theme): boolean => (theme === "system" ? systemDark() : theme === "dark");
