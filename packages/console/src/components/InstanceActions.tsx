/**
 * The buttons of one instance (Start, Stop, Reboot, Terminate, Rename, Reset password), each
 * enabled only in the states the server accepts it from, and the dialogs that confirm them:
 * Stop asks, Terminate wants the instance's name typed.
 */
import { useState } from "preact/hooks";
import { runAction } from "../actions.js";
import type { Live } from "../events.js";
import { useI18n } from "../i18n/index.js";
import { allowed, base64, type Instance, type RowAction } from "../model.js";
import { Dialog } from "./Dialog.js";
import { useNotify } from "./Notices.js";

const ORDER: RowAction[] = ["start", "stop", "reboot", "terminate", "rename", "resetPassword"];

export function InstanceActions(props: { inst: Instance; live: Live }) {
  const i18n = useI18n();
  const { t } = i18n;
  const notify = useNotify();
  const { inst, live } = props;
  const [pending, setPending] = useState<RowAction | null>(null);
  const [dialog, setDialog] = useState<RowAction | null>(null);
  const [text, setText] = useState("");
  const name = inst.Name || inst.UHostId;

  const run = async (action: RowAction, extra: Record<string, unknown> = {}) => {
    setPending(action);
    setDialog(null);
    setText("");
    const ok = await runAction(i18n, live, notify, inst, action, extra);
    setPending(null);
    if (ok && action === "rename") live.patch(inst.UHostId, { Name: String(extra.Name) });
    if (ok) void live.refreshOne(inst.UHostId);
  };

  const click = (action: RowAction) => {
    if (action === "start" || action === "reboot") void run(action);
    else {
      setText(action === "rename" ? inst.Name : "");
      setDialog(action);
    }
  };

  const close = () => setDialog(null);
  const submit = (e: Event, f: () => void) => {
    e.preventDefault();
    f();
  };

  return (
    <div class="actions">
      {ORDER.map((a) => (
        <button key={a} type="button" class={a === "terminate" ? "danger" : ""} disabled={!allowed(a, inst.State) || pending !== null} onClick={() => click(a)}>
          {t(a)}
        </button>
      ))}
      {dialog === "stop" && (
        <Dialog title={t("stopTitle", { name })} onClose={close}>
          <p>{t("stopBody")}</p>
          <div class="buttons">
            <button type="button" onClick={close}>
              {t("cancel")}
            </button>
            <button type="button" class="primary" data-autofocus onClick={() => void run("stop")}>
              {t("stop")}
            </button>
          </div>
        </Dialog>
      )}
      {dialog === "terminate" && (
        <Dialog title={t("terminateTitle", { name })} onClose={close}>
          <form onSubmit={(e) => submit(e, () => text === name && void run("terminate"))}>
            <p>{t("terminateBody")}</p>
            <label class="field">
              <span>{t("typeName")}</span>
              <input value={text} onInput={(e) => setText(e.currentTarget.value)} autoComplete="off" spellcheck={false} data-autofocus />
            </label>
            <div class="buttons">
              <button type="button" onClick={close}>
                {t("cancel")}
              </button>
              <button type="submit" class="danger" disabled={text !== name}>
                {t("terminate")}
              </button>
            </div>
          </form>
        </Dialog>
      )}
      {dialog === "rename" && (
        <Dialog title={t("renameTitle", { name })} onClose={close}>
          <form onSubmit={(e) => submit(e, () => text.trim() && void run("rename", { Name: text.trim() }))}>
            <label class="field">
              <span>{t("newName")}</span>
              <input value={text} maxLength={128} onInput={(e) => setText(e.currentTarget.value)} data-autofocus />
            </label>
            <div class="buttons">
              <button type="button" onClick={close}>
                {t("cancel")}
              </button>
              <button type="submit" class="primary" disabled={!text.trim()}>
                {t("save")}
              </button>
            </div>
          </form>
        </Dialog>
      )}
      {dialog === "resetPassword" && (
        <Dialog title={t("resetTitle", { name })} onClose={close}>
          <form onSubmit={(e) => submit(e, () => text && void run("resetPassword", { Password: base64(text) }))}>
            <label class="field">
              <span>{t("newPassword")}</span>
              <input type="password" value={text} autoComplete="new-password" onInput={(e) => setText(e.currentTarget.value)} data-autofocus />
            </label>
            <div class="buttons">
              <button type="button" onClick={close}>
                {t("cancel")}
              </button>
              <button type="submit" class="primary" disabled={!text}>
                {t("resetPassword")}
              </button>
            </div>
          </form>
        </Dialog>
      )}
    </div>
  );
}
