/** `ocs operation list UHOSTID`: the durable operation records of an instance (an opencompshare extension). */
import { API_OPTIONS, api } from "../api.js";
import { intOption, type Family } from "../command.js";
import { formatElapsed, formatTime, jsonLine, table } from "../output.js";

export const family: Family = {
  name: "operation",
  summary: "the operation records of an instance (opencompshare extension)",
  commands: [
    {
      name: "list",
      args: "UHOSTID",
      minArgs: 1,
      maxArgs: 1,
      summary: "List the operations run on an instance, newest first: what, when, how it ended.",
      details: "Uses DescribeCompShareInstanceOperations, which opencompshare adds to the CompShare API.",
      options: [
        [
          "Options",
          {
            limit: { type: "string", value: "N", describe: "at most N (default 20, at most 100)" },
            offset: { type: "string", value: "N", describe: "skip the first N" },
          },
        ],
        ["Credentials and output", API_OPTIONS],
      ],
      run: api(async (ctx) => {
        const res = await ctx.client.describeCompShareInstanceOperations(
          { UHostId: ctx.args[0] as string, Limit: intOption(ctx.values, "limit", 20), Offset: intOption(ctx.values, "offset", 0) },
          ctx.call,
        );
        if (ctx.format === "json") {
          ctx.io.stdout.write(jsonLine(res));
          return 0;
        }
        const rows = res.OperationSet.map((o) => [
          o.OperationId,
          o.Action,
          o.Status + (o.Recovered ? " (recovered)" : ""),
          o.Phase,
          formatTime(o.StartTime),
          o.EndTime ? formatElapsed((o.EndTime - o.StartTime) * 1000) : "",
          o.ErrorCode ? `${o.ErrorCode}: ${o.ErrorMessage}` : "",
        ]);
        ctx.io.stdout.write(table(["OperationId", "Action", "Status", "Phase", "Started", "Took", "Error"], rows));
        if (res.TotalCount > res.OperationSet.length) ctx.io.stderr.write(`showing ${res.OperationSet.length} of ${res.TotalCount}; see --limit and --offset\n`);
        return 0;
      }),
    },
  ],
};
