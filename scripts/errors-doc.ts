/**
 * Renders the error table of docs/errors.md from the catalogue. `npm run docs:errors` rewrites
 * the file; test/docs/errors-doc.test.ts fails when they drift apart.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ERRORS } from "@opencompshare/protocol";

export const ERRORS_DOC = fileURLToPath(new URL("../docs/errors.md", import.meta.url));
const BEGIN = "<!-- errors:begin -->";
const END = "<!-- errors:end -->";

export function renderErrorTable(): string {
  const rows = Object.entries(ERRORS)
    .sort(([, a], [, b]) => a.retCode - b.retCode)
    .map(([symbol, spec]) => `| ${spec.retCode} | ${symbol} | ${spec.summary} |`);
  return [BEGIN, "| RetCode | symbol | when |", "|---:|---|---|", ...rows, END].join("\n");
}

export function currentErrorTable(text: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  return start < 0 || end < 0 ? "" : text.slice(start, end + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = readFileSync(ERRORS_DOC, "utf8");
  writeFileSync(ERRORS_DOC, text.replace(currentErrorTable(text), renderErrorTable()));
}
