/** Runs the `ocs` binary as a user would, and gives back its exit code and output. */
import { execFile } from "node:child_process";
import { OCS_BIN } from "../helpers/process.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` replaces the UCLOUD_* and OCS_* variables of this process; nothing of the caller's leaks in. */
export function ocs(args: string[], env: Record<string, string> = {}, input?: string, cwd?: string): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("UCLOUD_") && !k.startsWith("OCS_")));
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [OCS_BIN, ...args], { env: { ...base, ...env }, ...(cwd ? { cwd } : {}) }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** The data lines of a table (the header dropped), split on runs of two or more spaces. */
export const rows = (stdout: string): string[][] =>
  stdout
    .trimEnd()
    .split("\n")
    .slice(1)
    .map((l) => l.split(/ {2,}/));
