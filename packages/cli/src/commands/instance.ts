/** `ocs instance …`: list, get, ssh, create, the power actions (in batches), and the rest of the lifecycle. */
import { ChargeTypes } from "@opencompshare/protocol";
import {
  RetCodeError,
  waitUntil,
  waitUntilInstanceState,
  type ApiResult,
  type CompShareClient,
  type Input,
  type Instance,
  type InstanceState,
  type Operation,
} from "@opencompshare/sdk";
import {
  API_OPTIONS,
  BATCH_OPTIONS,
  WAIT_OPTIONS,
  api,
  describeError,
  Interrupted,
  perResource,
  report,
  waitOne,
  type ApiContext,
  type Line,
  type WaitSpec,
} from "../api.js";
import { mapLimit } from "../batch.js";
import { intOption, str, type Command, type Family, type Options, type RunContext, type Values } from "../command.js";
import { UsageError } from "../io.js";
import { formatTime, jsonLine, keyValues, Progress, table } from "../output.js";
import { sizeOf, type Size } from "../sizes.js";
import { ssh } from "./ssh.js";
import { terminate } from "./terminate.js";

const common: Array<[string, Options]> = [["Credentials and output", API_OPTIONS]];

const gb = (mb: number) => (mb % 1024 === 0 ? `${mb / 1024} GB` : `${(mb / 1024).toFixed(1)} GB`);

/** `64G`, `64GB`, `512M`, or a number of MB. */
export function parseMemory(raw: string): number {
  const m = /^(\d+)\s*(g|gb|gib|m|mb|mib)?$/i.exec(raw.trim());
  if (!m) throw new UsageError(`--memory must be MB or a size such as 64G, got ${JSON.stringify(raw)}`);
  const n = Number(m[1]);
  return m[2] && m[2].toLowerCase().startsWith("g") ? n * 1024 : n;
}

const b64 = (plain: string) => Buffer.from(plain, "utf8").toString("base64");

const stateOf = (i: Instance) => i.State || "unknown";

function listRow(i: Instance): string[] {
  return [i.UHostId, i.Name, stateOf(i), `${i.GPU} × ${i.GpuType}`, String(i.CPU), gb(i.Memory), i.CompShareImageName || i.CompShareImageId, formatTime(i.CreateTime)];
}

export function instanceView(i: Instance): string {
  const disks = i.DiskSet.map((d) => `${d.DiskId} ${d.IsBoot === "True" ? "boot" : "data"} ${d.Size} GB ${d.DiskType}`).join("; ");
  const ips = i.IPSet.filter((ip) => ip.IP).map((ip) => `${ip.IP} (${ip.Type})`).join(", ");
  return keyValues([
    ["UHostId", i.UHostId],
    ["Name", i.Name],
    ["State", stateOf(i)],
    ["Zone", i.Zone],
    ["GPU", `${i.GPU} × ${i.GpuType}${i.GraphicsMemory?.Value ? ` (${i.GraphicsMemory.Value} GB each)` : ""}`],
    ["MachineType", i.MachineType],
    ["CPU", `${i.CPU}${i.CpuPlatform ? ` (${i.CpuPlatform})` : ""}`],
    ["Memory", gb(i.Memory)],
    ["Disks", disks],
    ["Image", `${i.CompShareImageId}${i.CompShareImageName ? ` (${i.CompShareImageName})` : ""}`],
    ["OS", i.OsName],
    ["IP", ips],
    ["SSH", i.SshLoginCommand],
    ["ChargeType", i.ChargeType],
    ["Created", formatTime(i.CreateTime)],
    ["Started", formatTime(i.StartTime)],
    ["StopScheduled", formatTime(i.StopSchedulerTime)],
    ["Expires", formatTime(i.ExpireTime)],
  ]);
}

const stateWait = (client: CompShareClient, State: InstanceState): WaitSpec => ({
  target: State,
  until: (UHostId, opts) => waitUntilInstanceState(client, { ...opts, UHostId, State }),
});


/**
 * Waits for the operation record that the accepted request started (this project's extension,
 * DescribeCompShareInstanceOperations): for actions that change no state, such as a password reset.
 */
const operationWait = (client: CompShareClient): WaitSpec => ({
  target: "done",
  until: (UHostId, opts, answer) =>
    waitUntil<Operation>(`the operation of request ${answer?.requestId}`, opts, async (call) => {
      const res = await client.describeCompShareInstanceOperations({ UHostId, Limit: 100 }, call);
      const op = res.OperationSet.find((o) => o.RequestId === answer?.requestId);
      if (!op) return { state: undefined, resource: undefined, verdict: { failure: "gone", message: `no operation record of request ${answer?.requestId}` } };
      if (op.Status === "Succeeded") return { state: op.Phase, resource: op, verdict: "success" };
      if (op.Status === "Failed") {
        return { state: op.Phase, resource: op, verdict: { failure: "operation-failed", message: `${op.Action} failed: ${op.ErrorMessage} (RetCode ${op.ErrorCode})` } };
      }
      return { state: op.Phase, resource: op, verdict: "pending" };
    }),
});

/** A power action over one or more instances: the batch of the issue. */
function power(
  name: string,
  action: "StartCompShareInstance" | "StopCompShareInstance" | "RebootCompShareInstance",
  summary: string,
  target: (client: CompShareClient) => WaitSpec,
): Command {
  return {
    name,
    args: "UHOSTID...",
    minArgs: 1,
    summary,
    details: "Several instances are handled at once (--concurrency); one result line each. The exit code is 1 if any failed.",
    options: [["Options", { ...WAIT_OPTIONS, ...BATCH_OPTIONS }], ...common],
    run: api((ctx) =>
      perResource(ctx, [...new Set(ctx.args)], {
        call: (UHostId) => ctx.client.request(action, { UHostId }, ctx.call),
        accepted: `${name} accepted`,
        wait: target(ctx.client),
      }),
    ),
  };
}

/** An action on one instance with options of its own. */
/** What `resize` was asked for, checked: every size a whole number, memory MB or a size such as 128G. */
function resizeAsked(values: Values): { compute: boolean; cpu?: number; memory?: number; gpus?: number; diskSpace?: number } {
  const memory = str(values, "memory");
  const compute = values.cpu !== undefined || values.gpus !== undefined || memory !== undefined;
  const disk = values["disk-size"] !== undefined;
  if (compute && disk) throw new UsageError("a size change and a disk change are separate resizes");
  if (!compute && !disk) throw new UsageError("nothing to change: give --gpus, --cpu, --memory or --disk-size");
  return {
    compute,
    ...(values.cpu !== undefined ? { cpu: intOption(values, "cpu", 0, 1) } : {}),
    ...(memory !== undefined ? { memory: parseMemory(memory) } : {}),
    ...(values.gpus !== undefined ? { gpus: intOption(values, "gpus", 1, 1) } : {}),
    ...(disk ? { diskSpace: intOption(values, "disk-size", 0, 1) } : {}),
  };
}

/** The command, with its options checked before anything is called (a usage error exits 2). */
function checked(command: Command, check: (ctx: RunContext) => void): Command {
  return {
    ...command,
    run: async (ctx) => {
      check(ctx);
      return command.run(ctx);
    },
  };
}

function single(
  name: string,
  summary: string,
  options: Options,
  call: (ctx: ApiContext, UHostId: string) => Promise<ApiResult<unknown>>,
  wait?: (client: CompShareClient) => WaitSpec,
  args = "UHOSTID",
  details?: string,
  accepted = `${name} accepted`,
): Command {
  return {
    name,
    args,
    minArgs: args.split(" ").length,
    maxArgs: args.split(" ").length,
    summary,
    ...(details ? { details } : {}),
    options: [["Options", wait ? { ...options, ...WAIT_OPTIONS } : options], ...common],
    run: api((ctx) =>
      perResource(ctx, [ctx.args[0] as string], {
        call: (id) => call(ctx, id),
        accepted,
        ...(wait ? { wait: wait(ctx.client) } : {}),
      }),
    ),
  };
}

const list: Command = {
  name: "list",
  summary: "List your instances, newest first.",
  details: "--zone, given as a flag, lists that zone only.",
  maxArgs: 0,
  options: [
    [
      "Options",
      {
        limit: { type: "string", value: "N", describe: "at most N (default 20, at most 100)" },
        offset: { type: "string", value: "N", describe: "skip the first N" },
      },
    ],
    ...common,
  ],
  run: api(async (ctx) => {
    const input: Input<"DescribeCompShareInstance"> = { Limit: intOption(ctx.values, "limit", 20), Offset: intOption(ctx.values, "offset", 0) };
    const zone = str(ctx.values, "zone");
    if (zone) input.Zone = zone;
    const res = await ctx.client.describeCompShareInstance(input, ctx.call);
    if (ctx.format === "json") {
      ctx.io.stdout.write(jsonLine(res));
      return 0;
    }
    ctx.io.stdout.write(table(["UHostId", "Name", "State", "GPU", "CPU", "Memory", "Image", "Created"], res.UHostSet.map(listRow)));
    const from = (input.Offset ?? 0) + 1;
    if (res.TotalCount === 0) ctx.io.stderr.write("no instances\n");
    else if (res.TotalCount > res.UHostSet.length) {
      ctx.io.stderr.write(`showing ${res.UHostSet.length ? `${from}–${from + res.UHostSet.length - 1}` : "none"} of ${res.TotalCount}; see --limit and --offset\n`);
    }
    return 0;
  }),
};

const get: Command = {
  name: "get",
  args: "UHOSTID",
  minArgs: 1,
  maxArgs: 1,
  summary: "Show one instance.",
  options: common,
  run: api(async (ctx) => {
    const id = ctx.args[0] as string;
    const res = await ctx.client.describeCompShareInstance({ UHostIds: [id] }, ctx.call);
    const found = res.UHostSet.find((i) => i.UHostId === id);
    if (ctx.format === "json") ctx.io.stdout.write(jsonLine(res));
    else if (found) ctx.io.stdout.write(instanceView(found));
    if (!found) {
      ctx.io.stderr.write(`ocs: InstanceNotFound: instance ${id} is not one of yours (or is gone)\n`);
      return 1;
    }
    return 0;
  }),
};

const consoleOutput: Command = {
  name: "console",
  args: "UHOSTID",
  minArgs: 1,
  maxArgs: 1,
  summary: "Print the tail of an instance's serial console (boot messages, the boot id).",
  details: "Uses GetCompShareInstanceConsoleOutput, which opencompshare adds to the CompShare API.",
  options: [["Options", { bytes: { type: "string", value: "N", describe: "at most N bytes (default 65536)" } }], ...common],
  run: api(async (ctx) => {
    const res = await ctx.client.getCompShareInstanceConsoleOutput({ UHostId: ctx.args[0] as string, Length: intOption(ctx.values, "bytes", 65536, 1) }, ctx.call);
    if (ctx.format === "json") ctx.io.stdout.write(jsonLine(res));
    else ctx.io.stdout.write(res.Output.endsWith("\n") || res.Output === "" ? res.Output : `${res.Output}\n`);
    return 0;
  }),
};

const policy: Command = {
  name: "policy",
  args: "UHOSTID",
  minArgs: 1,
  maxArgs: 1,
  summary: "Show where an instance stands with the lifecycle policies: balance, unpaid, its reclaim timeline and the next step.",
  details: "Uses DescribeCompShareInstancePolicy, which opencompshare adds to the CompShare API.",
  options: common,
  run: api(async (ctx) => {
    const res = await ctx.client.describeCompShareInstancePolicy({ UHostId: ctx.args[0] as string }, ctx.call);
    if (ctx.format === "json") {
      ctx.io.stdout.write(jsonLine(res));
      return 0;
    }
    ctx.io.stdout.write(
      keyValues([
        ["UHostId", res.UHostId],
        ["ChargeType", res.ChargeType],
        ["AutoRenew", res.AutoRenew],
        ["Balance", `${res.Balance.toFixed(2)} CNY`],
        ["Unpaid", `${res.UnpaidAmount.toFixed(2)} CNY`],
        ["ExpireTime", res.ExpireTime ? formatTime(res.ExpireTime) : "-"],
        ["Timeline", res.Timeline || "none"],
        ["TimelineStart", res.TimelineStart ? formatTime(res.TimelineStart) : "-"],
        ["LastStep", res.LastStep || "-"],
        ["NextStep", res.NextStep ? `${res.NextStep} at ${formatTime(res.NextStepTime)}` : "-"],
      ]),
    );
    return 0;
  }),
};

const create: Command = {
  name: "create",
  summary: "Create GPU instances: Initializing, then Running.",
  maxArgs: 0,
  details: [
    "--count N makes N instances, one CreateCompShareInstance call each (a Create is never retried).",
    "Example: ocs instance create --gpu-type 4090 --gpus 1 --image compshareImage-ubuntu2204 --count 2 --wait",
  ].join("\n"),
  options: [
    [
      "Options",
      {
        "gpu-type": { type: "string", value: "TYPE", describe: "GPU type, e.g. 4090 (required)" },
        image: { type: "string", value: "IMAGEID", describe: "CompShareImageId, e.g. compshareImage-ubuntu2204 (required)" },
        gpus: { type: "string", value: "N", describe: "GPUs per instance (default 1)" },
        cpu: { type: "string", value: "N", describe: "vCPUs (default: the GPU count's size)" },
        memory: { type: "string", value: "SIZE", describe: "memory, MB or e.g. 64G (default: the GPU count's smallest size)" },
        "machine-type": { type: "string", value: "TYPE", describe: "machine type (default G)" },
        name: { type: "string", value: "NAME", describe: "instance name (NAME-1, NAME-2… with --count)" },
        password: { type: "string", value: "PASSWORD", describe: "login password, in clear (sent base64-encoded); generated if unset" },
        "charge-type": { type: "string", value: "TYPE", describe: `${ChargeTypes.join(", ")}` },
        quantity: { type: "string", value: "N", describe: "purchase duration, in units of the charge type (the API's Quantity)" },
        "disk-size": { type: "string", value: "GB", describe: "boot disk size in GB" },
        "disk-type": { type: "string", value: "TYPE", describe: "boot disk type (default CLOUD_SSD)" },
        count: { type: "string", value: "N", describe: "how many instances to create (default 1)" },
        ...WAIT_OPTIONS,
        ...BATCH_OPTIONS,
      },
    ],
    ...common,
  ],
  run: api(async (ctx) => {
    const gpuType = str(ctx.values, "gpu-type");
    const image = str(ctx.values, "image");
    if (!gpuType || !image) throw new UsageError("--gpu-type and --image are required", "ocs instance create --help");
    const gpus = intOption(ctx.values, "gpus", 1, 1);
    const memory = str(ctx.values, "memory");
    const size = ctx.values.cpu === undefined || memory === undefined ? await sizeOf(ctx.client, gpuType, gpus, ctx.call.signal) : undefined;
    const input: Input<"CreateCompShareInstance"> = {
      GpuType: gpuType,
      CompShareImageId: image,
      GPU: gpus,
      CPU: ctx.values.cpu === undefined ? (size as Size).cpu : intOption(ctx.values, "cpu", 16, 1),
      Memory: memory === undefined ? (size as Size).memory : parseMemory(memory),
      MachineType: str(ctx.values, "machine-type") ?? "G",
    };
    if (ctx.values.quantity !== undefined) input.Quantity = intOption(ctx.values, "quantity", 1);
    const password = str(ctx.values, "password");
    if (password) input.Password = b64(password);
    const chargeType = str(ctx.values, "charge-type");
    if (chargeType) {
      const known = ChargeTypes.find((c) => c === chargeType);
      if (!known) throw new UsageError(`--charge-type must be one of ${ChargeTypes.join(", ")}`);
      input.ChargeType = known;
    }
    if (ctx.values["disk-size"] !== undefined) {
      input.Disks = [{ IsBoot: true, Size: intOption(ctx.values, "disk-size", 50, 1), Type: str(ctx.values, "disk-type") ?? "CLOUD_SSD" }];
    }
    const count = intOption(ctx.values, "count", 1, 1);
    const name = str(ctx.values, "name");
    const inputs = Array.from({ length: count }, (_, i) => (name ? { ...input, Name: count > 1 ? `${name}-${i + 1}` : name } : input));

    const wait = ctx.values.wait === true ? stateWait(ctx.client, "Running") : undefined;
    const progress = wait ? new Progress(ctx.io.stderr, wait.target) : undefined;
    const raw: string[] = new Array(count).fill("");
    let settled;
    try {
      settled = await mapLimit(inputs, ctx.concurrency, async (one, i): Promise<Line[]> => {
        let res;
        try {
          res = await ctx.client.request("CreateCompShareInstance", one, ctx.call);
        } catch (error) {
          if (error instanceof RetCodeError) raw[i] = jsonLine(error.response);
          throw error;
        }
        raw[i] = jsonLine(res.data);
        return Promise.all(
          res.data.UHostIds.map((id) =>
            wait ? waitOne(ctx, id, wait, progress).catch((error: unknown): Line => ({ id, ok: false, detail: describeError(error) })) : { id, ok: true, detail: "created: Initializing" },
          ),
        );
      });
    } finally {
      progress?.stop();
    }
    if (ctx.signal.aborted) throw new Interrupted();
    const lines = settled.flatMap((r, i): Line[] => (r.ok ? r.value : [{ id: count > 1 ? `(${i + 1} of ${count})` : "-", ok: false, detail: describeError(r.error) }]));
    return report(ctx, lines, "UHostId", raw.join(""));
  }),
};

const passwordOption: Options = { password: { type: "string", value: "PASSWORD", describe: "the new password, in clear (sent base64-encoded; required)" } };
const requirePassword = (ctx: ApiContext) => {
  const p = str(ctx.values, "password");
  if (!p) throw new UsageError("--password is required");
  return b64(p);
};

export const family: Family = {
  name: "instance",
  summary: "GPU instances: list, create, power, reinstall, resize",
  commands: [
    list,
    get,
    ssh,
    policy,
    consoleOutput,
    create,
    power("start", "StartCompShareInstance", "Start stopped instances: Starting, then Running.", (c) => stateWait(c, "Running")),
    power("stop", "StopCompShareInstance", "Stop running instances: Stopping, then Stopped.", (c) => stateWait(c, "Stopped")),
    power("reboot", "RebootCompShareInstance", "Reboot running instances: Rebooting, then Running.", (c) => stateWait(c, "Running")),
    terminate,
    single(
      "reset-password",
      "Set a new login password (a background task).",
      passwordOption,
      (ctx, UHostId) => ctx.client.request("ResetCompShareInstancePassword", { UHostId, Password: requirePassword(ctx) }, ctx.call),
      operationWait,
      "UHOSTID",
      "--wait follows the operation record (DescribeCompShareInstanceOperations, an opencompshare extension).",
    ),
    single(
      "reinstall",
      "Reinstall a stopped instance from an image; it boots when done.",
      { image: { type: "string", value: "IMAGEID", describe: "the image (required)" }, ...{ password: { ...passwordOption.password!, describe: "a new password, in clear (sent base64-encoded)" } } },
      (ctx, UHostId) => {
        const image = str(ctx.values, "image");
        if (!image) throw new UsageError("--image is required");
        const input: Input<"ReinstallCompShareInstance"> = { UHostId, CompShareImageId: image };
        const password = str(ctx.values, "password");
        if (password) input.Password = b64(password);
        return ctx.client.request("ReinstallCompShareInstance", input, ctx.call);
      },
      (c) => stateWait(c, "Running"),
    ),
    checked(
      single(
        "resize",
        "Change the GPUs, CPUs and memory, or a disk's size, of a stopped instance (Resizing, then Stopped). What is left out of a size comes from the GPU count's size.",
        {
          cpu: { type: "string", value: "N", describe: "vCPUs" },
          memory: { type: "string", value: "SIZE", describe: "memory, MB or e.g. 128G" },
          gpus: { type: "string", value: "N", describe: "GPUs (default: as now)" },
          "disk-size": { type: "string", value: "GB", describe: "new size of a disk (the boot disk unless --disk-id)" },
          "disk-id": { type: "string", value: "DISKID", describe: "the disk to grow" },
        },
        async (ctx, UHostId) => {
          const asked = resizeAsked(ctx.values);
          const input: Input<"ResizeCompShareInstance"> = { UHostId };
          if (asked.compute) {
            const now = (await ctx.client.request("DescribeCompShareInstance", { UHostIds: [UHostId] }, ctx.call)).data.UHostSet[0];
            if (!now) throw new UsageError(`instance ${UHostId} is not listed`);
            input.Gpu = asked.gpus ?? now.GPU;
            const size = asked.cpu === undefined || asked.memory === undefined ? await sizeOf(ctx.client, now.GpuType, input.Gpu, ctx.call.signal) : undefined;
            input.Cpu = asked.cpu ?? (size as Size).cpu;
            input.Memory = asked.memory ?? (size as Size).memory;
          }
          if (asked.diskSpace !== undefined) input.DiskSpace = asked.diskSpace;
          const diskId = str(ctx.values, "disk-id");
          if (diskId) input.DiskId = diskId;
          return ctx.client.request("ResizeCompShareInstance", input, ctx.call);
        },
        (c) => stateWait(c, "Stopped"),
      ),
      // A bad size is a usage error (exit 2) before any call, not a failed row.
      (ctx) => void resizeAsked(ctx.values),
    ),
    single("rename", "Rename an instance.", {}, (ctx, UHostId) =>
      ctx.client.request("ModifyCompShareInstanceName", { UHostId, Name: ctx.args[1] as string }, ctx.call),
      undefined,
      "UHOSTID NAME",
      undefined,
      "renamed",
    ),
  ],
};
