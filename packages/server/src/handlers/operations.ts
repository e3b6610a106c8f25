/** Handler of our extension: the operation records of an instance. */
import { ApiError } from "@opencompshare/protocol";
import { toOperationModel } from "../operations/records.js";
import { listOperations } from "../store/repositories/operations.js";
import { findOwnedInstance } from "../store/repositories/instances.js";
import type { ActionsOf, HandlerMap } from "./registry.js";
import { ownedOrNotFound, pageOf } from "./instances.js";

const CONSOLE_BYTES = 64 * 1024;

export const operationHandlers: HandlerMap<ActionsOf<"operations">> = {
  async DescribeCompShareInstanceOperations(ctx, req) {
    const { db } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    const { rows, total } = await listOperations(db, req.UHostId, ctx.caller, offset, limit);
    if (total === 0 && !(await findOwnedInstance(db, req.UHostId, ctx.caller.accountId, ctx.caller.projectId))) {
      throw new ApiError("InstanceNotFound", `instance ${req.UHostId} does not exist`);
    }
    return { TotalCount: total, OperationSet: rows.map(toOperationModel) };
  },

  async GetCompShareInstanceConsoleOutput(ctx, req) {
    const inst = await ownedOrNotFound(ctx, req.UHostId);
    const output = await ctx.services.machines.consoleOutput(inst.id, req.Length ?? CONSOLE_BYTES, { signal: AbortSignal.timeout(10_000) });
    return { UHostId: inst.id, Output: output, Timestamp: Math.floor(ctx.services.clock.now() / 1000) };
  },
};
