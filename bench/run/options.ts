// ---------------------------------------------------------------------------------------------
// Options

import { readFileSync } from "node:fs";

export type Engine = "sqlite" | "postgres";

export interface Options {
  seconds: number;
  connections: number;
  engines: Engine[];
  small: number;
  big: number;
  moto: boolean;
  info: boolean;
  profile: boolean;
}

export class UsageError extends Error {}

export function parseOptions(argv: string[]): Options {
  const o: Options = { seconds: 5, connections: 10, engines: ["sqlite", "postgres"], small: 1000, big: 1_000_000, moto: true, info: true, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const int = (min: number, max: number) => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${a} must be an integer from ${min} to ${max}`);
      return v;
    };
    if (a === "--seconds") o.seconds = int(1, 60);
    else if (a === "--connections") o.connections = int(1, 256);
    else if (a === "--instances") o.big = int(1000, 5_000_000);
    else if (a === "--db") {
      const v = value();
      if (v === "both") o.engines = ["sqlite", "postgres"];
      else if (v === "sqlite" || v === "postgres") o.engines = [v];
      else throw new UsageError("--db is sqlite, postgres or both");
    } else if (a === "--no-moto") o.moto = false;
    else if (a === "--no-info") o.info = false;
    else if (a === "--profile") o.profile = true;
    else if (a === "--help" || a === "-h") {
      // The usage is the doc comment at the top of bench/run.ts, the entry point.
      process.stdout.write(readFileSync(new URL("../run.ts", import.meta.url), "utf8").split("*/")[0] + "*/\n");
      process.exit(0);
    } else throw new UsageError(`unknown option ${a} (see --help)`);
  }
  return o;
}
