/** `ocs image …`: platform and custom images, and the operator's review of community versions. */
import { waitUntilImageAvailable, type Image, type Input } from "@opencompshare/sdk";
import { API_OPTIONS, BATCH_OPTIONS, WAIT_OPTIONS, api, perResource, report, waitOne, type WaitSpec } from "../api.js";
import { intOption, str, type Command, type Family, type Options, type RunContext } from "../command.js";
import { UsageError } from "../io.js";
import { formatTime, jsonLine, keyValues, Progress, table } from "../output.js";

const common: Array<[string, Options]> = [["Credentials and output", API_OPTIONS]];

function imageView(i: Image, progress?: number): string {
  const sw = i.Softwares;
  const software = [sw.Framework && `${sw.Framework} ${sw.FrameworkVersion}`.trim(), sw.CUDAVersion && `CUDA ${sw.CUDAVersion}`, ...sw.Applications]
    .filter(Boolean)
    .join(", ");
  return keyValues([
    ["CompShareImageId", i.CompShareImageId],
    ["Name", i.Name],
    ["Description", i.Description],
    ["Type", i.ImageType],
    ["Status", progress !== undefined && i.Status === "Making" ? `Making (${progress}%)` : i.Status],
    ["FailedReason", i.FailedReason],
    ["Size", i.Size ? `${i.Size} GB` : ""],
    ["SourceGpuType", i.SourceGpuType],
    ["Software", software],
    ["Tags", i.Tags.join(", ")],
    ["Author", i.Author],
    ["Created", formatTime(i.CreateTime)],
  ]);
}

const imageWait = (ctx: { client: Parameters<typeof waitUntilImageAvailable>[0] }): WaitSpec => ({
  target: "Available",
  until: (CompShareImageId, opts) => waitUntilImageAvailable(ctx.client, { ...opts, CompShareImageId }),
});

/**
 * The server settings `ocs image review` reads: where the database is. Declared here, not taken
 * from the server's SETTINGS: the API commands never load the server until they run.
 */
const REVIEW_SETTINGS: Options = {
  "data-dir": { type: "string", value: "DIR", describe: "the server's data directory (OCS_DATA_DIR, default ./data)" },
  "database-url": { type: "string", value: "URL", describe: "the server's database; unset means SQLite in the data directory (OCS_DATABASE_URL)" },
  "master-key": { type: "string", value: "KEY", describe: "the server's master key, when it is not in the data directory (OCS_MASTER_KEY)" },
};

async function review(ctx: RunContext): Promise<number> {
  const approve = ctx.values.approve === true;
  const reject = ctx.values.reject === true;
  const reason = str(ctx.values, "reason");
  if (approve === reject) throw new UsageError("give one of --approve and --reject", "ocs image review --help");
  if (approve && reason !== undefined) throw new UsageError("--reason goes with --reject", "ocs image review --help");
  if (reject && !reason?.trim()) throw new UsageError("--reject needs --reason TEXT: the owner sees it as the version's FailedReason", "ocs image review --help");
  // The server (and its SQLite binding) is loaded only now.
  const { ConfigError, ReviewError, loadConfig, withAdmin } = await import("@opencompshare/server");
  try {
    const config = loadConfig(ctx.values as Record<string, string | undefined>, ctx.io.env);
    const verdict = approve ? ({ approve: true } as const) : { approve: false as const, reason: reason ?? "" };
    const done = await withAdmin(config, (a) => a.reviewImage(ctx.args[0] as string, verdict));
    ctx.io.stdout.write(JSON.stringify(done) + "\n");
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ReviewError) {
      ctx.io.stderr.write(`ocs: ${error.message}\n`);
      return error instanceof ConfigError ? 2 : 1;
    }
    throw error;
  }
}

const reviewCommand: Command = {
  name: "review",
  args: "IMAGEID",
  minArgs: 1,
  maxArgs: 1,
  summary: "Operator: approve a community version in review (Available: listed and usable by every account), or reject it with a reason (Rejected).",
  details:
    "Runs on the server's data directory and database, like `ocs account`. A published version is Reviewing until then; its owner sees the status, and a rejection's reason as FailedReason, in DescribeSelfCommunityImages. Prints the version as JSON.",
  options: [
    [
      "Verdict",
      {
        approve: { type: "boolean", describe: "approve the version" },
        reject: { type: "boolean", describe: "reject the version (needs --reason)" },
        reason: { type: "string", value: "TEXT", describe: "why it is rejected, shown to its owner" },
      },
    ],
    ["Server settings (each also read from its environment variable)", REVIEW_SETTINGS],
  ],
  run: review,
};

export const family: Family = {
  name: "image",
  summary: "platform images and your custom images; review of community versions (operator)",
  commands: [
    {
      name: "list",
      summary: "List platform images, or your custom images with --custom.",
      maxArgs: 0,
      options: [
        [
          "Options",
          {
            custom: { type: "boolean", describe: "your custom images instead of the platform's" },
            type: { type: "string", value: "System|App", describe: "only platform images of this type" },
            name: { type: "string", value: "TEXT", describe: "only platform images whose name contains TEXT" },
            limit: { type: "string", value: "N", describe: "at most N (default 20, at most 100)" },
            offset: { type: "string", value: "N", describe: "skip the first N" },
          },
        ],
        ...common,
      ],
      run: api(async (ctx) => {
        const page = { Limit: intOption(ctx.values, "limit", 20), Offset: intOption(ctx.values, "offset", 0) };
        let res;
        if (ctx.values.custom === true) {
          if (ctx.values.type !== undefined || ctx.values.name !== undefined) throw new UsageError("--type and --name filter platform images, not --custom ones");
          res = await ctx.client.describeCompShareCustomImages(page, ctx.call);
        } else {
          const input: Input<"DescribeCompShareImages"> = { ...page };
          const type = str(ctx.values, "type");
          if (type) {
            if (type !== "System" && type !== "App") throw new UsageError("--type must be System or App");
            input.ImageType = type;
          }
          const name = str(ctx.values, "name");
          if (name) input.Name = name;
          res = await ctx.client.describeCompShareImages(input, ctx.call);
        }
        if (ctx.format === "json") {
          ctx.io.stdout.write(jsonLine(res));
          return 0;
        }
        const rows = res.ImageSet.map((i) => [i.CompShareImageId, i.Name, i.ImageType, i.Status, i.Size ? `${i.Size} GB` : "", i.SourceGpuType, formatTime(i.CreateTime)]);
        ctx.io.stdout.write(table(["ImageId", "Name", "Type", "Status", "Size", "GPU", "Created"], rows));
        if (res.TotalCount > res.ImageSet.length) ctx.io.stderr.write(`showing ${res.ImageSet.length} of ${res.TotalCount}; see --limit and --offset\n`);
        return 0;
      }),
    },
    {
      name: "get",
      args: "IMAGEID",
      minArgs: 1,
      maxArgs: 1,
      summary: "Show one image, platform or custom (with its progress while it is made).",
      options: common,
      run: api(async (ctx) => {
        const id = ctx.args[0] as string;
        let res = await ctx.client.describeCompShareImages({ CompShareImageId: id }, ctx.call);
        let image = res.ImageSet.find((i) => i.CompShareImageId === id);
        if (!image) {
          res = await ctx.client.describeCompShareCustomImages({ CompShareImageId: id }, ctx.call);
          image = res.ImageSet.find((i) => i.CompShareImageId === id);
        }
        if (ctx.format === "json") ctx.io.stdout.write(jsonLine(res));
        if (!image) {
          ctx.io.stderr.write(`ocs: ImageNotFound: image ${id} is neither a platform image nor one of yours\n`);
          return 1;
        }
        if (ctx.format === "table") {
          const progress = image.Status === "Making" ? (await ctx.client.getCompShareImageCreateProgress({ CompShareImageId: id }, ctx.call)).Process : undefined;
          ctx.io.stdout.write(imageView(image, progress === undefined ? undefined : Math.round(progress)));
        }
        return 0;
      }),
    },
    {
      name: "create",
      args: "UHOSTID",
      minArgs: 1,
      maxArgs: 1,
      summary: "Make a custom image of an instance: Making, then Available.",
      options: [
        [
          "Options",
          {
            name: { type: "string", value: "NAME", describe: "image name (required)" },
            description: { type: "string", value: "TEXT", describe: "description" },
            cuda: { type: "string", value: "VERSION", describe: "CUDA version installed" },
            framework: { type: "string", value: "NAME", describe: "framework installed, e.g. PyTorch" },
            "framework-version": { type: "string", value: "VERSION", describe: "its version" },
            app: { type: "string", multiple: true, value: "NAME", describe: "an application installed" },
            ...WAIT_OPTIONS,
          },
        ],
        ...common,
      ],
      run: api(async (ctx) => {
        const name = str(ctx.values, "name");
        if (!name) throw new UsageError("--name is required", "ocs image create --help");
        const input: Input<"CreateCompShareCustomImage"> = { UHostId: ctx.args[0] as string, Name: name };
        const description = str(ctx.values, "description");
        if (description) input.Description = description;
        const softwares: NonNullable<Input<"CreateCompShareCustomImage">["Softwares"]> = {};
        if (str(ctx.values, "cuda")) softwares.CUDAVersion = str(ctx.values, "cuda");
        if (str(ctx.values, "framework")) softwares.Framework = str(ctx.values, "framework");
        if (str(ctx.values, "framework-version")) softwares.FrameworkVersion = str(ctx.values, "framework-version");
        if (Array.isArray(ctx.values.app)) softwares.Application = ctx.values.app;
        if (Object.keys(softwares).length > 0) input.Softwares = softwares;
        const res = await ctx.client.request("CreateCompShareCustomImage", input, ctx.call);
        const id = res.data.CompShareImageId;
        if (ctx.values.wait !== true) return report(ctx, [{ id, ok: true, detail: "created: Making" }], "ImageId", jsonLine(res.data));
        const progress = new Progress(ctx.io.stderr, "Available", { noun: "images" });
        try {
          const line = await waitOne(ctx, id, imageWait(ctx), progress);
          return report(ctx, [line], "ImageId", jsonLine(res.data));
        } finally {
          progress.stop();
        }
      }),
    },
    {
      name: "delete",
      args: "IMAGEID...",
      minArgs: 1,
      summary: "Delete custom images that are not being made.",
      options: [["Options", BATCH_OPTIONS], ...common],
      run: api((ctx) =>
        perResource(ctx, [...new Set(ctx.args)], {
          call: (CompShareImageId) => ctx.client.request("TerminateCompShareCustomImage", { CompShareImageId }, ctx.call),
          accepted: "deleted",
          idHeader: "ImageId",
          noun: "images",
        }),
      ),
    },
    reviewCommand,
  ],
};
