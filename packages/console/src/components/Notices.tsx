/**
 * What happened to the user's last actions: refusals in a role="alert" element (read out at
 * once), acceptances in a role="status" one. Each can be dismissed, and each goes by itself when
 * what it announced is over (notices.ts says when).
 */
import { createContext } from "preact";
import { useContext, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Live } from "../events.js";
import { useI18n } from "../i18n/index.js";
import { afterEvent, lifetime, type About, type Notice } from "../notices.js";

export type { Notice };

export interface Notify {
  error(text: string, about?: About): void;
  info(text: string, about?: About): void;
}

export const NotifyContext = createContext<Notify>({ error: () => undefined, info: () => undefined });
export const useNotify = (): Notify => useContext(NotifyContext);

/** At most this many of each kind are shown. */
const MAX_NOTICES = { error: 2, info: 1 } as const;

/** The banners of the page: adding (notify), dismissing, and their ends by time and by event. */
export function useNotices(live: Live | null) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  const dismiss = (id: number) => {
    clearTimeout(timers.current.get(id));
    timers.current.delete(id);
    setNotices((ns) => ns.filter((n) => n.id !== id));
  };

  const notify: Notify = useMemo(() => {
    const add = (kind: Notice["kind"]) => (text: string, about?: About) => {
      const id = nextId.current++;
      setNotices((ns) => {
        const mine = [...ns.filter((n) => n.kind === kind), { id, kind, text, about }].slice(-MAX_NOTICES[kind]);
        return [...ns.filter((n) => n.kind !== kind), ...mine];
      });
      timers.current.set(id, setTimeout(() => dismiss(id), lifetime(kind, about)));
    };
    return { error: add("error"), info: add("info") };
  }, []);

  // The end of what a banner announced takes it away.
  useEffect(() => {
    if (!live) return;
    return live.onEvent((e) =>
      setNotices((ns) => {
        const next = ns.map((n) => afterEvent(n, e, live.instances)).filter((n): n is Notice => n !== null);
        return next.length === ns.length && next.every((n, i) => n === ns[i]) ? ns : next;
      }),
    );
  }, [live]);

  useEffect(() => () => timers.current.forEach((t) => clearTimeout(t)), []);

  const clear = () => setNotices([]);
  return { notices, notify, dismiss, clear };
}

export function Notices(props: { notices: Notice[]; dismiss: (id: number) => void }) {
  const { t } = useI18n();
  const errors = props.notices.filter((n) => n.kind === "error");
  const infos = props.notices.filter((n) => n.kind === "info");
  const item = (n: Notice) => (
    <p key={n.id} class={`notice ${n.kind}`}>
      <span>{n.text}</span>
      <button type="button" class="link" onClick={() => props.dismiss(n.id)}>
        {t("dismiss")}
      </button>
    </p>
  );
  return (
    <div class="notices">
      <div role="alert">{errors.map(item)}</div>
      <div role="status">{infos.map(item)}</div>
    </div>
  );
}
