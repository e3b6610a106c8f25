/**
 * The application: the session (from login, or GET api/session after a reload), the header
 * (language, dark mode, log out), the notices, and the hash routes: #/ the list,
 * #/instances/<UHostId> one instance, #/bills the account's bills.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { post, session as fetchSession, setCsrf, whenUnauthorized, type SessionInfo } from "./api.js";
import { DarkContext } from "./components/Chart.js";
import { Notices, NotifyContext, useNotices } from "./components/Notices.js";
import { Live } from "./events.js";
import { billsTranslator } from "./i18n/bills.js";
import { I18nContext, i18nFor, initialLang, saveLang, type Lang } from "./i18n/index.js";
import { Bills } from "./pages/Bills.js";
import { Instance } from "./pages/Instance.js";
import { Instances } from "./pages/Instances.js";
import { Login } from "./pages/Login.js";
import { applyTheme, isDark, savedTheme, type Theme } from "./theme.js";

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function route(hash: string): { page: "list" } | { page: "bills" } | { page: "instance"; id: string } {
  if (hash === "#/bills") return { page: "bills" };
  const m = /^#\/instances\/([^/]+)$/.exec(hash);
  return m ? { page: "instance", id: decodeURIComponent(m[1] ?? "") } : { page: "list" };
}

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [theme, setTheme] = useState<Theme>(savedTheme);
  const [sess, setSess] = useState<SessionInfo | null | undefined>(undefined);
  const [live, setLive] = useState<Live | null>(null);
  const { notices, notify, dismiss, clear } = useNotices(live);
  const hash = useHash();
  const i18n = useMemo(() => i18nFor(lang), [lang]);
  const r = route(hash);

  useEffect(() => saveLang(lang), [lang]);
  useEffect(() => applyTheme(theme), [theme]);
  // Following the system: re-render when its preference changes (the toggle's pressed state).
  const [, setSystemTick] = useState(0);
  useEffect(() => {
    const mq = matchMedia("(prefers-color-scheme: dark)");
    const on = () => setSystemTick((n) => n + 1);
    mq.addEventListener("change", on);
    return () => mq.removeEventListener("change", on);
  }, []);
  const chooseTheme = (next: Theme) => {
    applyTheme(next);
    setTheme(next);
  };

  useEffect(() => {
    whenUnauthorized(() => setSess(null));
    fetchSession()
      .then((s) => setSess(s ?? null))
      .catch(() => setSess(null));
  }, []);

  useEffect(() => {
    if (!sess) return;
    setCsrf(sess.CsrfToken);
    const l = new Live();
    l.start();
    setLive(l);
    return () => {
      l.stop();
      setLive(null);
    };
  }, [sess?.AccountId, sess?.CsrfToken]);

  // A new page takes the focus to its heading, as a page load would.
  useEffect(() => {
    document.querySelector<HTMLElement>("main h1")?.focus();
    clear();
  }, [hash, sess === null]);

  const logout = async () => {
    try {
      await post("logout");
    } catch {
      // the session is gone either way
    }
    setCsrf("");
    setSess(null);
  };

  const { t } = i18n;
  const dark = isDark(theme);
  return (
    <I18nContext.Provider value={i18n}>
      <DarkContext.Provider value={dark}>
      <NotifyContext.Provider value={notify}>
        <header class="top">
          <a class="brand" href="#/">
            {t("appName")}
          </a>
          {sess && (
            <nav class="nav" aria-label={billsTranslator(lang)("nav")}>
              <a href="#/" aria-current={r.page === "bills" ? undefined : "page"}>
                {billsTranslator(lang)("instances")}
              </a>
              <a href="#/bills" aria-current={r.page === "bills" ? "page" : undefined}>
                {billsTranslator(lang)("bills")}
              </a>
            </nav>
          )}
          <div class="controls">
            {sess && <span class="muted small account">{t("account", { id: sess.AccountId })}</span>}
            <label class="field inline">
              <span>{t("language")}</span>
              <select value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
                <option value="en" lang="en">
                  English
                </option>
                <option value="zh" lang="zh-CN">
                  中文
                </option>
              </select>
            </label>
            <button type="button" aria-pressed={dark} onClick={() => chooseTheme(dark ? "light" : "dark")}>
              {t("darkMode")}
            </button>
            {sess && (
              <button type="button" onClick={() => void logout()}>
                {t("logOut")}
              </button>
            )}
          </div>
        </header>
        <main id="main">
          {sess === undefined ? (
            <p class="muted">{t("loading")}</p>
          ) : sess === null ? (
            <Login onLogin={setSess} />
          ) : (
            <>
              <Notices notices={notices} dismiss={dismiss} />
              {r.page === "bills" ? <Bills /> : live && (r.page === "instance" ? <Instance key={r.id} live={live} id={r.id} /> : <Instances live={live} />)}
            </>
          )}
        </main>
      </NotifyContext.Provider>
      </DarkContext.Provider>
    </I18nContext.Provider>
  );
}
