/**
 * The instance list: live states, a filter by state, a search by name or id, the actions of
 * each row, a selection with batch actions, and the create dialog.
 */
import { useState } from "preact/hooks";
import { runAction } from "../actions.js";
import { CreateDialog } from "../components/CreateDialog.js";
import { Dialog } from "../components/Dialog.js";
import { InstanceActions } from "../components/InstanceActions.js";
import { useNotify } from "../components/Notices.js";
import { StateBadge } from "../components/StateBadge.js";
import { useLive, type Live } from "../events.js";
import { useI18n, type Key } from "../i18n/index.js";
import { allowed, STATES, type Instance, type RowAction } from "../model.js";

export function Instances(props: { live: Live }) {
  const i18n = useI18n();
  const { t } = i18n;
  const notify = useNotify();
  const { live } = props;
  useLive(live);
  const [state, setState] = useState("");
  const [query, setQuery] = useState("");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [creating, setCreating] = useState(false);
  const [confirmStop, setConfirmStop] = useState(false);

  const all = live.list();
  const q = query.trim().toLowerCase();
  const shown = all.filter((i) => (!state || i.State === state) && (!q || i.Name.toLowerCase().includes(q) || i.UHostId.toLowerCase().includes(q)));
  const chosen = all.filter((i) => selected.has(i.UHostId));
  const eligible = (a: RowAction) => chosen.filter((i) => allowed(a, i.State));

  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  const allShown = shown.length > 0 && shown.every((i) => selected.has(i.UHostId));

  const batch = async (a: RowAction) => {
    setConfirmStop(false);
    await Promise.all(eligible(a).map((i) => runAction(i18n, live, notify, i, a)));
    for (const i of eligible(a)) void live.refreshOne(i.UHostId);
  };

  const status = live.mode === "stream" ? t("live") : live.mode === "polling" ? t("polling", { s: Math.round(live.nextPollMs() / 1000) }) : t("connecting");

  return (
    <div class="page">
      <div class="titlebar">
        <h1 tabIndex={-1}>{t("instances")}</h1>
        <span class={`live ${live.mode}`} role="status">
          {status}
        </span>
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          {t("create")}
        </button>
      </div>
      <div class="toolbar">
        <label class="field inline">
          <span>{t("filterState")}</span>
          <select value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">{t("allStates")}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`state.${s}` as Key)}
              </option>
            ))}
          </select>
        </label>
        <label class="field inline grow">
          <span>{t("search")}</span>
          <input type="search" value={query} placeholder={t("searchPlaceholder")} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
      </div>
      <div class="batch" role="group" aria-label={t("selected", { n: chosen.length })}>
        <span>{t("selected", { n: chosen.length })}</span>
        <button type="button" disabled={eligible("start").length === 0} onClick={() => void batch("start")}>
          {t("startSelected")}
        </button>
        <button type="button" disabled={eligible("stop").length === 0} onClick={() => setConfirmStop(true)}>
          {t("stopSelected")}
        </button>
        <button type="button" disabled={eligible("reboot").filter((i) => i.State === "Running").length === 0} onClick={() => void batch("reboot")}>
          {t("rebootSelected")}
        </button>
      </div>
      {!live.loaded ? (
        <p class="muted">{live.error || t("loading")}</p>
      ) : shown.length === 0 ? (
        <p class="muted">{all.length === 0 ? t("none") : t("noneMatch")}</p>
      ) : (
        <div class="table-wrap">
          <table class="instances">
            <thead>
              <tr>
                <th scope="col" class="check">
                  <input type="checkbox" aria-label={t("selectAll")} checked={allShown} onChange={(e) => setSelected(e.currentTarget.checked ? new Set([...selected, ...shown.map((i) => i.UHostId)]) : new Set())} />
                </th>
                <th scope="col">{t("colName")}</th>
                <th scope="col">{t("colState")}</th>
                <th scope="col">{t("colType")}</th>
                <th scope="col">{t("colZone")}</th>
                <th scope="col">{t("colActions")}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((i) => (
                <Row key={i.UHostId} inst={i} live={live} selected={selected.has(i.UHostId)} onSelect={(on) => toggle(i.UHostId, on)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <CreateDialog
          onClose={() => setCreating(false)}
          onCreated={(ids, name) => {
            setCreating(false);
            notify.info(t("created", { name }), { action: "CreateCompShareInstance", uhostIds: ids });
            for (const id of ids) void live.refreshOne(id);
          }}
        />
      )}
      {confirmStop && (
        <Dialog title={t("stopManyTitle", { n: eligible("stop").length })} onClose={() => setConfirmStop(false)}>
          <p>{t("stopBody")}</p>
          <ul>
            {eligible("stop").map((i) => (
              <li key={i.UHostId}>{i.Name || i.UHostId}</li>
            ))}
          </ul>
          <div class="buttons">
            <button type="button" onClick={() => setConfirmStop(false)}>
              {t("cancel")}
            </button>
            <button type="button" class="primary" data-autofocus onClick={() => void batch("stop")}>
              {t("stop")}
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}

function Row(props: { inst: Instance; live: Live; selected: boolean; onSelect: (on: boolean) => void }) {
  const { t } = useI18n();
  const { inst } = props;
  const name = inst.Name || inst.UHostId;
  return (
    <tr>
      <td class="check">
        <input type="checkbox" aria-label={t("select", { name })} checked={props.selected} onChange={(e) => props.onSelect(e.currentTarget.checked)} />
      </td>
      <td class="c-name">
        <a href={`#/instances/${encodeURIComponent(inst.UHostId)}`}>{name}</a>
        <div class="mono muted small">{inst.UHostId}</div>
      </td>
      <td class="c-state">
        <StateBadge state={inst.State} />
      </td>
      <td class="c-type">
        {inst.GPU} × {inst.GpuType}
        <div class="muted small">
          {inst.CPU} CPU · {Math.round(inst.Memory / 1024)} GB
        </div>
      </td>
      <td class="c-zone">{inst.Zone}</td>
      <td class="c-actions">
        <InstanceActions inst={inst} live={props.live} />
      </td>
    </tr>
  );
}
