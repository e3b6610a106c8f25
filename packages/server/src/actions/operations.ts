/** Handler of our extension: the operation records of an instance. */
import { ApiError } from "@opencompshare/protocol";
import { listOperations, toOperationModel } from "../operations/records.js";
import { findOwnedInstance } from "../store/repositories/instances.js";
import type { ActionsOf, HandlerMap } from "./registry.js";
import { pageOf } from "./instances.js";

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
};
