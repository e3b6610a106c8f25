/**
 * The API as the fault suite calls it: signed form posts to one replica with a timeout, every
 * answer recorded (when, through which replica, its HTTP status, its RetCode, or why none came),
 * and the summaries the checks print.
 */
import type { NestedValue } from "@opencompshare/protocol";
import { signedParams } from "../helpers/client.js";
import type { ServerProcess } from "../helpers/process.js";
import { DEFAULT_KEYS } from "../helpers/server.js";

export interface Answer {
  at: number;
  via: string;
  action: string;
  uhostId: string;
  /** HTTP status; 0 when no answer came (reset, refused, timeout). */
  status: number;
  /** RetCode of the envelope; null when the answer was not one. */
  retCode: number | null;
  requestId: string;
  body: Record<string, unknown>;
  error: string;
}

export class Api {
  readonly answers: Answer[] = [];

  async call(server: Pick<ServerProcess, "url">, action: string, params: Record<string, NestedValue>, timeoutMs: number): Promise<Answer> {
    const flat = signedParams(action, params, DEFAULT_KEYS);
    const form = new URLSearchParams(Object.entries(flat).map(([k, v]): [string, string] => [k, v === null ? "" : String(v)]));
    const answer: Answer = { at: Date.now(), via: server.url, action, uhostId: typeof params.UHostId === "string" ? params.UHostId : "", status: 0, retCode: null, requestId: "", body: {}, error: "" };
    try {
      const res = await fetch(`${server.url}/`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
      });
      answer.status = res.status;
      answer.requestId = res.headers.get("x-ucloud-request-uuid") ?? "";
      const text = await res.text();
      try {
        answer.body = JSON.parse(text) as Record<string, unknown>;
        answer.retCode = typeof answer.body.RetCode === "number" ? answer.body.RetCode : null;
      } catch {
        answer.error = `not JSON: ${text.slice(0, 200)}`;
      }
    } catch (error) {
      answer.error = error instanceof Error ? `${error.name}: ${error.message}${error.cause ? ` (${String((error.cause as Error).message ?? error.cause)})` : ""}` : String(error);
    }
    this.answers.push(answer);
    return answer;
  }
}

export const enveloped = (a: Answer): boolean => a.status === 200 && a.retCode !== null;

/** `12 × RetCode 0, 3 × RetCode 8433`: the answers by what they were, most frequent first. */
export function histogram(answers: Answer[]): string {
  const m = new Map<string, number>();
  for (const a of answers) {
    const key = enveloped(a) ? `RetCode ${a.retCode}` : a.status ? `HTTP ${a.status}` : `no answer (${a.error.slice(0, 80)})`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return [...m].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${n} × ${k}`).join(", ") || "none";
}

/** The three most frequent messages of the answers with `retCode`. */
export function messages(answers: Answer[], retCode: number): string {
  const m = new Map<string, number>();
  for (const a of answers) if (a.retCode === retCode) m.set(String(a.body.Message ?? ""), (m.get(String(a.body.Message ?? "")) ?? 0) + 1);
  return [...m].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([k, n]) => `${n} × "${k.slice(0, 120)}"`).join("; ");
}
