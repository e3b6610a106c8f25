/**
 * One usage chart: a uPlot line chart (canvas) of percentages over the window, in the theme's
 * colours (the --chart-* and --border, --muted custom properties, read again when the theme
 * changes), as wide as its box. The chart is an image (role="img") named by its text
 * alternative, which the caption above it shows too; a legend names the GPUs when there are several.
 */
import { createContext } from "preact";
import { useContext, useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useI18n } from "../i18n/index.js";
import { aligned, type Series } from "../monitor.js";

/** Whether the page is dark now (the app provides it): the chart's colours follow. */
export const DarkContext = createContext(false);

const HEIGHT = 160;
const PALETTE = ["--chart-1", "--chart-2", "--chart-3", "--chart-4"];
const FONT = `12px system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif`;

/** uPlot, fetched once, when a chart is first shown (its own chunk: the list's page does without it). */
let library: Promise<typeof uPlot> | undefined;
function loadUPlot(): Promise<typeof uPlot> {
  library ??= import("uplot").then(
    (m) => m.default,
    (error: unknown) => {
      library = undefined;
      throw error;
    },
  );
  return library;
}

const cssVar = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
export const seriesColour = (i: number): string => cssVar(PALETTE[i % PALETTE.length] ?? "--chart-1");

/** `summary` is the text alternative, which begins with `title` (the metric). */
export function Chart(props: { series: Series[]; from: number; to: number; title: string; summary: string }) {
  const { lang } = useI18n();
  const dark = useContext(DarkContext);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The window, read by the x scale at each redraw.
  const range = useRef<[number, number]>([props.from, props.to]);
  range.current = [props.from, props.to];
  const data = useRef(props.series);
  data.current = props.series;
  const count = props.series.length;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let gone = false;
    let resize: ResizeObserver | undefined;
    const grid = { stroke: cssVar("--border"), width: 1 };
    const time = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
    const axis = { stroke: cssVar("--muted"), font: FONT, grid, ticks: grid };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true, range: () => range.current }, y: { range: [0, 100] } },
      axes: [
        { ...axis, values: (_u, splits) => splits.map((s) => time.format(new Date(s * 1000))) },
        { ...axis, size: 48, values: (_u, splits) => splits.map((v) => `${v}%`) },
      ],
      // The line in the series' colour, the area under it faintly (#rrggbb + alpha).
      series: [{}, ...props.series.map((s, i) => ({ label: s.gpu || props.title, stroke: seriesColour(i), fill: `${seriesColour(i)}1f`, width: 2, points: { show: false } }))],
    };
    void loadUPlot().then((UPlot) => {
      if (gone) return;
      const u = new UPlot(opts, aligned(data.current), el);
      plot.current = u;
      resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
      resize.observe(el);
    });
    return () => {
      gone = true;
      resize?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // A new chart for a new theme, language or number of series; new data only redraws it.
  }, [dark, lang, count]);

  useEffect(() => {
    plot.current?.setData(aligned(props.series));
  }, [props.series, props.from, props.to]);

  return (
    <figure class="chart">
      <figcaption aria-hidden="true">
        <strong>{props.title}</strong>
        {props.summary.startsWith(props.title) ? props.summary.slice(props.title.length) : ` ${props.summary}`}
      </figcaption>
      {count > 1 && (
        <ul class="chart-legend" aria-hidden="true">
          {props.series.map((s, i) => (
            <li key={s.gpu}>
              <span class={`swatch swatch-${i % PALETTE.length}`} />
              GPU {s.gpu}
            </li>
          ))}
        </ul>
      )}
      <div class="plot" role="img" aria-label={props.summary} ref={box} />
    </figure>
  );
}
