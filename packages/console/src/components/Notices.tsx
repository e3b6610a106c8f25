/**
 * What happened to the user's last actions: refusals in a role="alert" element (read out at
 * once), acceptances in a role="status" one. Each can be dismissed.
 */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { useI18n } from "../i18n/index.js";

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
}

export interface Notify {
  error(text: string): void;
  info(text: string): void;
}

export const NotifyContext = createContext<Notify>({ error: () => undefined, info: () => undefined });
export const useNotify = (): Notify => useContext(NotifyContext);

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
