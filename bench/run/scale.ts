// ---------------------------------------------------------------------------------------------
// One engine: (b), (c), (d), or the limit's (f) rows, at one number of instances

import { describeOneBody, rebootBody, seededId } from "../lib.js";
import type { EngineContext } from "./context.js";
import { FORM, load, LOCKED, OK, scenario, warmUp, writeBodies } from "./measure.js";
import type { Options } from "./options.js";
import { baselines } from "./results.js";

/** The scenario names of the server's rows and of the limit probe's. */
export interface ScaleNames {
  describe: string;
  accepted: string;
  refused: string;
}
export const SERVER_NAMES: ScaleNames = { describe: "b-describe-one", accepted: "c-reboot-accepted", refused: "d-reboot-refused" };
export const LIMIT_NAMES: ScaleNames = { describe: "f-limit-describe", accepted: "f-limit-accepted", refused: "f-limit-refused" };

/**
 * (b), (c), (d) — or the limit's (f) rows — with `instances` in the database; the accepted
 * reboots target instances from `first` on.
 */
export async function runScale(opts: Options, ctx: EngineContext, server: { url: string; pid: number }, instances: number, first: number, names = SERVER_NAMES): Promise<void> {
  const { engine: db, keys } = ctx;
  const { url, pid } = server;
  if (instances > opts.small) await warmUp(opts, url, describeOneBody(seededId(instances - 1), keys), pid);
  await scenario(opts, names.describe, db, instances, { url, contentType: FORM, body: describeOneBody(seededId(Math.floor(instances / 2)), keys), expect: OK }, pid);
  // (c) every request reboots a different Running instance. With 1k instances there are only
  // 1,000 to reboot: the first quarter warms the acceptance path up (it has not run yet in this
  // process), the rest is measured, exactly one request each. With more, enough bodies for the
  // whole window.
  const small = instances === opts.small;
  const warm = small ? Math.floor(opts.small / 4) : 0;
  if (warm > 0) {
    const bodies = Array.from({ length: warm }, (_, i) => rebootBody(seededId(first + i), keys));
    await load({ url, connections: opts.connections, durationS: 1, amount: warm, contentType: FORM, bodiesFile: writeBodies(`warm-${names.accepted}-${db}`, bodies), bodiesMode: "distinct", expect: OK }, pid);
  }
  // Nothing outruns the bare baseline: its best window × the window's length bounds the requests.
  const ceiling = Math.max(20_000, ...baselines.map((x) => x.rps));
  const pool = small ? opts.small - warm : Math.min(instances - first, Math.ceil(ceiling * opts.seconds * 1.2));
  const accepted: string[] = [];
  for (let i = first + warm; i < first + warm + pool; i++) accepted.push(rebootBody(seededId(i), keys));
  const acceptedFile = writeBodies(`${names.accepted}-${db}-${instances}`, accepted);
  await scenario(
    opts,
    names.accepted,
    db,
    instances,
    { url, contentType: FORM, bodiesFile: acceptedFile, bodiesMode: "distinct", expect: OK, ...(small ? { amount: pool } : {}) },
    pid,
  );
  // (d) the same instances again: each is locked by its reboot in flight.
  const refusedFile = writeBodies(`${names.refused}-${db}-${instances}`, accepted.slice(0, 200));
  await scenario(opts, names.refused, db, instances, { url, contentType: FORM, bodiesFile: refusedFile, bodiesMode: "cycle", expect: LOCKED }, pid);
}
