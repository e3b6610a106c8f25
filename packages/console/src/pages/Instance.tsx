/**
 * One instance (#/instances/<UHostId>): its details and actions, its usage charts, the history
 * of every operation on it (failures too), and the tail of its serial console.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { actionLabel } from "../actions.js";
import { ApiFailure, call } from "../api.js";
import { InstanceActions } from "../components/InstanceActions.js";
import { MonitorCharts } from "../components/MonitorCharts.js";
import { StateBadge } from "../components/StateBadge.js";
import { useLive, type Live } from "../events.js";
import { useI18n, type Key, type T } from "../i18n/index.js";
import { disksOf, sshLogin, type Instance as Inst, type Operation } from "../model.js";

const SOURCES = new Set(["api", "console", "policy", "schedule"]);

export function Instance(props: { live: Live; id: string }) {
  const i18n = useI18n();
  const { t, time } = i18n;
  const { live, id } = props;
  useLive(live);
  const inst = live.instances.get(id);
  const [ops, setOps] = useState<Operation[] | null>(null);
  const [opsError, setOpsError] = useState("");
  const [output, setOutput] = useState<{ text: string; error?: string } | null>(null);

  const region = inst?.Region;
  const zone = inst?.Zone;

  const loadOps = useCallback(async () => {
    if (!region) return;
    try {
      const r = await call<{ OperationSet: Operation[] }>("DescribeCompShareInstanceOperations", { Region: region, Zone: zone, UHostId: id, Limit: 100 });
      setOps(r.OperationSet);
      setOpsError("");
    } catch (e) {
      setOpsError(e instanceof Error ? e.message : String(e));
    }
  }, [id, region, zone]);

  const loadOutput = useCallback(async () => {
    if (!region) return;
    try {
      const r = await call<{ Output: string }>("GetCompShareInstanceConsoleOutput", { Region: region, Zone: zone, UHostId: id, Length: 16384 });
      setOutput({ text: r.Output });
    } catch (e) {
      setOutput({ text: "", error: e instanceof ApiFailure ? `${e.message} (RetCode ${e.retCode})` : String(e) });
    }
  }, [id, region, zone]);

  useEffect(() => {
    void loadOps();
    void loadOutput();
  }, [loadOps, loadOutput]);

  // Operation and state events of this instance (or a poll) bring the history up to date.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = live.onEvent((e) => {
      if (e.UHostId !== id && e.Kind !== "poll") return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        void loadOps();
        if (e.Kind === "instance.state" || e.Kind === "operation.succeeded" || e.Kind === "poll") void loadOutput();
      }, 100);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [live, id, loadOps, loadOutput]);

  if (!inst) {
    return (
      <div class="page">
        <p>
          <a href="#/">← {t("back")}</a>
        </p>
        <h1 tabIndex={-1}>{id}</h1>
        <p class="muted">{live.loaded ? t("notFound", { id }) : t("loading")}</p>
      </div>
    );
  }

  return (
    <div class="page">
      <p>
        <a href="#/">← {t("back")}</a>
      </p>
      <div class="titlebar">
        <h1 tabIndex={-1}>{inst.Name || inst.UHostId}</h1>
        <StateBadge state={inst.State} />
      </div>
      <InstanceActions inst={inst} live={live} />
      <section aria-labelledby="details-h">
        <h2 id="details-h">{t("details")}</h2>
        <Details inst={inst} />
      </section>
      <MonitorCharts inst={inst} live={live} />
      <section aria-labelledby="history-h">
        <h2 id="history-h">{t("history")}</h2>
        {opsError && <p class="notice error">{opsError}</p>}
        {ops === null ? (
          <p class="muted">{t("loading")}</p>
        ) : ops.length === 0 ? (
          <p class="muted">{t("historyEmpty")}</p>
        ) : (
          <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="history-h">
            <table class="history">
              <thead>
                <tr>
                  <th scope="col">{t("opAction")}</th>
                  <th scope="col">{t("opSource")}</th>
                  <th scope="col">{t("opRequester")}</th>
                  <th scope="col">{t("opStarted")}</th>
                  <th scope="col">{t("opEnded")}</th>
                  <th scope="col">{t("opResult")}</th>
                  <th scope="col">{t("opRetCode")}</th>
                  <th scope="col">{t("opMessage")}</th>
                </tr>
              </thead>
              <tbody>
                {ops.map((o) => (
                  <tr key={o.OperationId} class={o.Status === "Failed" ? "failed" : ""}>
                    <td>
                      {actionLabel(i18n, o.Action)}
                      <div class="mono muted small">{o.OperationId}</div>
                    </td>
                    <td>
                      {SOURCES.has(o.Source) ? t(`source.${o.Source}` as Key) : o.Source}
                      {o.Recovered && <div class="muted small">{t("sourceRecovered")}</div>}
                    </td>
                    <td class="mono small">
                      {o.Requester || "—"}
                      <div class="muted">{o.RequestId}</div>
                    </td>
                    <td>{time(o.StartTime)}</td>
                    <td>{o.EndTime ? time(o.EndTime) : t("running")}</td>
                    <td>
                      <span class={`result result-${o.Status.toLowerCase()}`}>{t(`status.${o.Status}` as Key)}</span>
                      {o.Phase && <div class="muted small">{o.Phase}</div>}
                    </td>
                    <td class="mono">{o.ErrorCode}</td>
                    <td>{o.ErrorMessage || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="console-h">
        <div class="titlebar">
          <h2 id="console-h">{t("consoleOutput")}</h2>
          <button type="button" onClick={() => void loadOutput()}>
            {t("refresh")}
          </button>
        </div>
        {output === null ? (
          <p class="muted">{t("loading")}</p>
        ) : output.error ? (
          <p class="muted">{t("consoleUnavailable", { message: output.error })}</p>
        ) : output.text ? (
          <pre class="console" tabIndex={0} aria-labelledby="console-h">
            {output.text}
          </pre>
        ) : (
          <p class="muted">{t("consoleEmpty")}</p>
        )}
      </section>
    </div>
  );
}

/** "100 GB system disk + 100 GB data disk (200 GB in all)", or the system disk alone. */
function diskText(t: T, inst: Inst): string {
  const d = disksOf(inst);
  const parts = [t("diskSystem", { size: d.system }), ...d.data.map((size) => t("diskData", { size }))];
  return d.data.length === 0 ? parts.join("") : parts.join(" + ") + t("diskTotal", { total: d.total });
}

/** The SSH command, and a button that copies it (saying so to assistive technology too). */
function SshCommand(props: { command: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState<"" | "copied" | "failed">("");
  const copy = () => {
    navigator.clipboard.writeText(props.command).then(
      () => setCopied("copied"),
      () => setCopied("failed"),
    );
  };
  return (
    <>
      <code class="ssh">{props.command}</code>{" "}
      <button type="button" class="link" aria-label={t("copySsh")} onClick={copy}>
        {t("copy")}
      </button>
      <span role="status" class="muted">
        {copied === "copied" ? t("copied") : copied === "failed" ? t("copyFailed") : ""}
      </span>
    </>
  );
}

function Details(props: { inst: Inst }) {
  const { t, time } = useI18n();
  const i = props.inst;
  const ips = (i.IPSet ?? []).filter((x) => x.IP);
  const publicIp = ips.filter((x) => x.Type !== "Private").map((x) => x.IP).join(", ");
  const privateIp = ips.filter((x) => x.Type === "Private").map((x) => x.IP).join(", ");
  const login = sshLogin(i.SshLoginCommand ?? "");
  const rows: [Key, string][] = [
    ["colId", i.UHostId],
    ["colZone", `${i.Region} / ${i.Zone}`],
    ["fieldSpec", t("specValue", { gpu: i.GPU, type: i.GpuType, cpu: i.CPU, mem: Math.round(i.Memory / 1024), disks: diskText(t, i) })],
    ["fieldImage", i.CompShareImageName],
    ["fieldOs", i.OsName],
    ["fieldCharge", i.ChargeType],
    ["fieldCreated", time(i.CreateTime)],
    ["fieldExpires", time(i.ExpireTime)],
    ["fieldPublicIp", publicIp],
    ["fieldPrivateIp", privateIp],
    ["fieldLogin", login ? t("loginValue", { user: login.user, port: login.port }) : ""],
  ];
  return (
    <dl class="details">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{t(k)}</dt>
          <dd>{v || "—"}</dd>
        </div>
      ))}
      <div>
        <dt>{t("fieldSsh")}</dt>
        <dd>{i.SshLoginCommand ? <SshCommand command={i.SshLoginCommand} /> : "—"}</dd>
      </div>
    </dl>
  );
}
