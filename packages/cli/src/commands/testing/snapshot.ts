/** `ocs testing snapshot save|restore|list|delete` and `ocs testing reset`: the whole state. */
import type { Command } from "../../command.js";
import { formatTime, table } from "../../output.js";
import { nested, JSON_OPTION, printedJson, testingApi, type Sub } from "./nested.js";
import { API_OPTIONS } from "../../api.js";

/** 2_400_000 → `2.3 MB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

const save: Sub = {
  name: "save",
  args: "NAME",
  minArgs: 1,
  maxArgs: 1,
  summary: "Save the whole state (accounts, instances, disks, images, ledger, events, clock, faults) as NAME. Refused (226610) while operations are in flight.",
  options: { overwrite: { type: "boolean", describe: "replace a snapshot of the same name" } },
  run: async (ctx) => {
    const res = await ctx.client.saveCompShareSnapshot({ Name: ctx.args[0] as string, ...(ctx.values.overwrite === true ? { Overwrite: true } : {}) }, ctx.call);
    if (!printedJson(ctx, res)) ctx.io.stdout.write(`saved ${res.Name}: ${formatBytes(res.Size)} at ${iso(res.CreateTime)} (server time), in ${res.DurationMs} ms\n`);
    return 0;
  },
};

const restore: Sub = {
  name: "restore",
  args: "NAME",
  minArgs: 1,
  maxArgs: 1,
  summary: "Put the state saved as NAME back, the clock's offset included. Refused (226610) while operations are in flight.",
  run: async (ctx) => {
    const res = await ctx.client.restoreCompShareSnapshot({ Name: ctx.args[0] as string }, ctx.call);
    if (!printedJson(ctx, res)) ctx.io.stdout.write(`restored ${res.Name}: the server's time is ${iso(res.Time)}; in ${res.DurationMs} ms\n`);
    return 0;
  },
};

const list: Sub = {
  name: "list",
  maxArgs: 0,
  summary: "List the snapshots, oldest first.",
  run: async (ctx) => {
    const res = await ctx.client.describeCompShareSnapshots({}, ctx.call);
    if (!printedJson(ctx, res)) ctx.io.stdout.write(table(["Name", "Created", "Size"], res.SnapshotSet.map((s) => [s.Name, formatTime(s.CreateTime), formatBytes(s.Size)])));
    return 0;
  },
};

const remove: Sub = {
  name: "delete",
  args: "NAME",
  minArgs: 1,
  maxArgs: 1,
  summary: "Delete the snapshot saved as NAME.",
  run: async (ctx) => {
    const res = await ctx.client.deleteCompShareSnapshot({ Name: ctx.args[0] as string }, ctx.call);
    if (!printedJson(ctx, res)) ctx.io.stdout.write(`deleted ${ctx.args[0]}\n`);
    return 0;
  },
};

export const snapshot = nested("snapshot", "ocs testing snapshot", "The whole state of the server: save it, restore it, list or delete the snapshots.", [save, restore, list, remove]);

export const reset: Command = {
  name: "reset",
  maxArgs: 0,
  summary: "Return to a fresh server at once (it asks nothing): every account, instance, disk, image, bill, event and fault goes, and the clock's offset; the operator keeps its ids, keys and initial balance. Snapshots are kept.",
  options: [
    ["Output", JSON_OPTION],
    ["Credentials and output", API_OPTIONS],
  ],
  run: testingApi(async (ctx) => {
    const res = await ctx.client.resetCompShareState({}, ctx.call);
    if (printedJson(ctx, res)) return 0;
    ctx.io.stdout.write(
      `reset: a fresh server; the operator keeps its ids, keys and initial balance; snapshots are kept; the server's time is ${iso(res.Time)} (offset 0); in ${res.DurationMs} ms\n`,
    );
    return 0;
  }),
};
