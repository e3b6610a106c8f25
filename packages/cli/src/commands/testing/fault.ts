/** `ocs testing fault arm|list|clear`: faults in the machines (ArmCompShareFault and the rest). */
import { FAULT_METHODS, FAULT_MODES } from "@opencompshare/protocol";
import type { Input } from "@opencompshare/sdk";
import { intOption, str, type Values } from "../../command.js";
import { UsageError } from "../../io.js";
import { formatTime, table } from "../../output.js";
import { nested, printedJson, type Sub } from "./nested.js";

const PREFIX = "ocs testing fault";

/** `--name` checked against `known`: the value, or a usage error that lists them. */
function oneOf<T extends string>(raw: string | undefined, name: string, known: readonly T[]): T {
  if (raw === undefined) throw new UsageError(`--${name} is required: one of ${known.join(", ")}`, `${PREFIX} --help`);
  const found = known.find((k) => k === raw);
  if (!found) throw new UsageError(`--${name} must be one of ${known.join(", ")}, got ${JSON.stringify(raw)}`, `${PREFIX} --help`);
  return found;
}

/** The request of `arm`, its options checked. */
function armInput(values: Values): Input<"ArmCompShareFault"> {
  const input: Input<"ArmCompShareFault"> = {
    Method: oneOf(str(values, "method"), "method", FAULT_METHODS),
    Mode: oneOf(str(values, "mode"), "mode", FAULT_MODES),
    Times: intOption(values, "times", 1, 1),
  };
  const instance = str(values, "instance");
  if (instance) input.UHostId = instance;
  if (values["delay-ms"] !== undefined) input.DelayMs = intOption(values, "delay-ms", 0);
  const message = str(values, "message");
  if (message !== undefined) input.Message = message;
  return input;
}

const arm: Sub = {
  name: "arm",
  args: "--method METHOD --mode MODE",
  maxArgs: 0,
  summary: "Arm a fault: the next --times calls of --method fail, hang, run slow or answer late. Prints its FaultId.",
  options: {
    method: { type: "string", value: "METHOD", describe: `the machine-contract method it catches: ${FAULT_METHODS.join(", ")}` },
    mode: {
      type: "string",
      value: "MODE",
      describe: "fail (fails before it acts, with --message), hang (never answers until its operation gives up), slow (acts --delay-ms later), late (acts, answers --delay-ms late)",
    },
    instance: { type: "string", value: "ID", describe: "only calls on this instance (or the disk or image of a disk or image method); default: any" },
    times: { type: "string", value: "N", describe: "how many calls it catches (default 1)" },
    "delay-ms": { type: "string", value: "MS", describe: "slow and late: how much longer, in ms of the server's clock" },
    message: { type: "string", value: "TEXT", describe: "fail: the error the call fails with" },
  },
  check: (ctx) => void armInput(ctx.values),
  run: async (ctx) => {
    const res = await ctx.client.armCompShareFault(armInput(ctx.values), ctx.call);
    if (!printedJson(ctx, res)) ctx.io.stdout.write(`${res.FaultId}\n`);
    return 0;
  },
};

const list: Sub = {
  name: "list",
  maxArgs: 0,
  summary: "List the faults armed, oldest first: what each catches, how many calls it caught and has left.",
  run: async (ctx) => {
    const res = await ctx.client.describeCompShareFaults({}, ctx.call);
    if (printedJson(ctx, res)) return 0;
    const rows = res.FaultSet.map((f) => [
      f.FaultId,
      f.Method,
      f.Mode,
      f.UHostId || "any",
      `${f.Fired}/${f.Times}`,
      String(f.Remaining),
      f.Mode === "slow" || f.Mode === "late" ? String(f.DelayMs) : "-",
      f.Message || "-",
      formatTime(f.CreateTime),
    ]);
    ctx.io.stdout.write(table(["FaultId", "Method", "Mode", "Instance", "Fired", "Remaining", "DelayMs", "Message", "Created"], rows));
    return 0;
  },
};

const clear: Sub = {
  name: "clear",
  args: "[FAULT_ID]",
  maxArgs: 1,
  summary: "Clear one fault (an unknown one: RetCode 230), or every fault. A call already hung stays hung until its operation gives up on it.",
  run: async (ctx) => {
    const [id] = ctx.args;
    const res = await ctx.client.clearCompShareFaults(id ? { FaultId: id } : {}, ctx.call);
    if (printedJson(ctx, res)) return 0;
    ctx.io.stdout.write(`cleared ${res.Cleared} fault${res.Cleared === 1 ? "" : "s"}\n`);
    return 0;
  },
};

export const fault = nested("fault", PREFIX, "Faults in the machines: arm one, list them, clear one or all.", [arm, list, clear]);
