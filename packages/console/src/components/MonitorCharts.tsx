/**
 * The Monitoring section of an instance's page: CPU, memory, GPU utilisation and GPU memory over
 * the last hour, 6 hours or 24 hours, from GetCompShareInstanceMonitor. It asks again every 30 s
 * while the page is open and visible, when the window changes and when the instance's state
 * changes, and stops when the page is left. Windows end at the server's now (api.ts serverNow):
 * an answer from a server whose clock has moved on since is asked again at once.
 */
import { useEffect, useState } from "preact/hooks";
import { call, serverNow } from "../api.js";
import type { Live } from "../events.js";
import { useI18n } from "../i18n/index.js";
import type { Instance } from "../model.js";
import { CHART_KEYS, chartsOf, monitorRequest, POLL_MS, STALE_S, summaryOf, WINDOW_KEYS, WINDOW_S, type ChartData, type MonitorAnswer, type WindowKey } from "../monitor.js";
import { Chart } from "./Chart.js";

interface Shown {
  span: WindowKey;
  from: number;
  to: number;
  charts: ChartData[];
}

export function MonitorCharts(props: { inst: Instance; live: Live }) {
  const { t, time } = useI18n();
  const { inst, live } = props;
  const { UHostId: id, Region: region, Zone: zone } = inst;
  const [span, setSpan] = useState<WindowKey>("1h");
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    let left = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (again = true): Promise<void> => {
      const req = monitorRequest({ UHostId: id, Region: region, Zone: zone }, span, serverNow() / 1000);
      try {
        const r = await call<MonitorAnswer>("GetCompShareInstanceMonitor", { ...req });
        if (left) return;
        if (again && serverNow() / 1000 - req.EndTime > STALE_S) return load(false);
        setShown({ span, from: req.StartTime, to: req.EndTime, charts: chartsOf(r, id) });
        setError("");
      } catch (e) {
        if (!left) setError(e instanceof Error ? e.message : String(e));
      }
    };
    const tick = () => {
      timer = setTimeout(() => {
        if (document.hidden) return tick();
        void load().finally(() => left || tick());
      }, POLL_MS);
    };
    void load().finally(() => left || tick());
    const visible = () => document.hidden || void load();
    document.addEventListener("visibilitychange", visible);
    const off = live.onEvent((e) => {
      if (e.UHostId === id && e.Kind === "instance.state") void load();
    });
    return () => {
      left = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", visible);
      off();
    };
  }, [id, region, zone, span, live]);

  const current = shown?.span === span ? shown : null;
  const to = current?.to ?? Math.floor(serverNow() / 1000);
  const running = inst.State === "Running";
  return (
    <section aria-labelledby="monitor-h">
      <div class="titlebar">
        <h2 id="monitor-h">{t("monitoring")}</h2>
        <div class="segmented" role="group" aria-label={t("timeRange")}>
          {WINDOW_KEYS.map((w) => (
            <button key={w} type="button" aria-pressed={w === span} onClick={() => setSpan(w)}>
              {t(`window.${w}`)}
            </button>
          ))}
        </div>
      </div>
      {error && <p class="notice error">{t("monitorFailed", { message: error })}</p>}
      {current && <p class="muted small">{t("monitorUpdated", { time: time(current.to) })}</p>}
      <div class="charts">
        {CHART_KEYS.map((key) => {
          const chart = current?.charts.find((c) => c.key === key);
          return (
            <Chart
              key={key}
              title={t(`metric.${key}`)}
              summary={summaryOf(t, chart, key, span, running)}
              series={chart?.series ?? []}
              from={current?.from ?? to - WINDOW_S[span]}
              to={to}
            />
          );
        })}
      </div>
    </section>
  );
}
