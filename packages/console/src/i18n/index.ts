/** The language in use: English or 中文, chosen by the user (kept in localStorage) or the browser. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { en, type Key } from "./en.js";
import { zh } from "./zh.js";

export type Lang = "en" | "zh";
export type { Key };
export type T = (key: Key, vars?: Record<string, string | number>) => string;

const tables: Record<Lang, Record<Key, string>> = { en, zh };
const LANG_KEY = "ocs.lang";

export function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function saveLang(lang: Lang): void {
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function translator(lang: Lang): T {
  const table = tables[lang];
  return (key, vars) => {
    let s = table[key] ?? en[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  };
}

export interface I18n {
  lang: Lang;
  t: T;
  /** A Unix-seconds time in the user's language, date and time. */
  time: (unixS: number) => string;
}

export function i18nFor(lang: Lang): I18n {
  const fmt = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "medium" });
  return { lang, t: translator(lang), time: (s) => (s > 0 ? fmt.format(new Date(s * 1000)) : "—") };
}

export const I18nContext = createContext<I18n>(i18nFor("en"));
export const useI18n = (): I18n => useContext(I18nContext);
