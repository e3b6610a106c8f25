/**
 * What every scenario of the fault suite reports with: the time since the suite started, each
 * check printed PASS or FAIL with its detail as it is made, and the list the run's exit code is
 * decided from.
 */

export const started = Date.now();

/** A line of progress, stamped with the seconds since the suite started. */
export const say = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export const checks: Check[] = [];

export function check(name: string, ok: boolean, detail = ""): void {
  checks.push({ name, ok, detail });
  console.log(`${ok ? "PASS" : "FAIL"}  ${name}${detail ? `\n        ${detail.replaceAll("\n", "\n        ")}` : ""}`);
}

/** The first `n` lines, and how many more there were. */
export const sample = (xs: string[], n = 8): string => (xs.length > n ? `${xs.slice(0, n).join("\n")}\n… and ${xs.length - n} more` : xs.join("\n"));

/** `3 Succeeded, 1 Failed`: how often each value occurs, in the order first seen. */
export function histogramOf(xs: string[]): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, n]) => `${n} ${k}`).join(", ");
}

/** An error as a check's detail: its stack when it has one. */
export const describeError = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));
