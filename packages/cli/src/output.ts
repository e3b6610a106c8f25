/**
 * What commands print: aligned tables, key/value views, raw JSON, and the live line of --wait
 * (a spinner, the current state and the elapsed time on a terminal; plain lines otherwise).
 */
import type { OutStream } from "./io.js";

export type OutputFormat = "table" | "json";

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Columns a string takes on a terminal: wide (CJK, fullwidth, emoji) characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(ANSI, "")) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 32 || (cp >= 0x300 && cp <= 0x36f) || cp === 0x200b) continue;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1f300 && cp <= 0x1faff) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - displayWidth(text)));

/** `text` cut to at most `width` columns, with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = "";
  for (const ch of text) {
    if (displayWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** An aligned table: a header row in capitals, columns two spaces apart, no trailing spaces. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers.map((h) => h.toUpperCase()), ...rows];
  const widths = headers.map((_, c) => Math.max(...all.map((r) => displayWidth(r[c] ?? ""))));
  return all.map((r) => headers.map((_, c) => pad(r[c] ?? "", widths[c] as number)).join("  ").trimEnd()).join("\n") + "\n";
}

/** Aligned `key  value` lines; empty values are left out. */
export function keyValues(pairs: readonly (readonly [string, string | number | undefined])[]): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== "");
  const width = Math.max(0, ...shown.map(([k]) => displayWidth(k)));
  return shown.map(([k, v]) => `${pad(k, width)}  ${String(v)}`).join("\n") + "\n";
}

/** One JSON document per line: the raw response. */
export const jsonLine = (value: unknown): string => JSON.stringify(value) + "\n";

/** Unix seconds → `2026-11-26 12:00:00` in local time; 0 → "". */
export function formatTime(unixSeconds: number | undefined): string {
  if (!unixSeconds) return "";
  const d = new Date(unixSeconds * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** 3400 → "3.4s", 65000 → "1m05s". */
export function formatElapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface ProgressOptions {
  /** Redraw one live line (a terminal) or print a plain line per change. Default: the stream's isTTY. */
  live?: boolean;
  now?: () => number;
  /** Redraw period of the live line, ms. */
  tickMs?: number;
  /** What is waited for, in the plural: "instances", "images". */
  noun?: string;
}

/**
 * The progress of --wait over one or more resources. On a terminal: one line redrawn in place,
 * `⠹ uhost-1a2b  Rebooting → Running  3.2s` (or `⠹ 3 instances: 2 Rebooting, 1 Running → Running  3.2s`).
 * Elsewhere: a plain line each time a state changes, `uhost-1a2b: Rebooting (0.0s)`.
 */
export class Progress {
  private readonly live: boolean;
  private readonly now: () => number;
  private readonly start: number;
  private readonly states = new Map<string, string>();
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private drawn = false;
  private readonly noun: string;

  constructor(
    private readonly stream: OutStream,
    private readonly target: string,
    opts: ProgressOptions = {},
  ) {
    this.live = opts.live ?? Boolean(stream.isTTY);
    this.now = opts.now ?? Date.now;
    this.start = this.now();
    this.noun = opts.noun ?? "instances";
    if (this.live) {
      this.timer = setInterval(() => this.draw(), opts.tickMs ?? 100);
      this.timer.unref();
    }
  }

  /** Records the state seen for `id` (undefined: gone). */
  update(id: string, state: string | undefined): void {
    const shown = state === undefined ? "gone" : state === "" ? "unknown" : state;
    const changed = this.states.get(id) !== shown;
    this.states.set(id, shown);
    if (this.live) this.draw();
    else if (changed) this.stream.write(`${id}: ${shown} (${formatElapsed(this.now() - this.start)})\n`);
  }

  /** The text of the live line, without the spinner. */
  line(): string {
    const elapsed = formatElapsed(this.now() - this.start);
    if (this.states.size <= 1) {
      const [id, state] = [...this.states][0] ?? ["", "waiting"];
      return `${id ? `${id}  ` : ""}${state} → ${this.target}  ${elapsed}`;
    }
    const counts = new Map<string, number>();
    for (const s of this.states.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
    const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
    return `${this.states.size} ${this.noun}: ${summary} → ${this.target}  ${elapsed}`;
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    // Wider than the terminal, the line would wrap and could not be redrawn in place.
    this.stream.write(`\r\x1b[2K${truncate(`${FRAMES[this.frame]} ${this.line()}`, (this.stream.columns ?? Infinity) - 1)}`);
    this.drawn = true;
  }

  /** Stops the spinner and clears the live line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live && this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }
}
