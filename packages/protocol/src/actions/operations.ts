/** Operation records: this project's extension to the CompShare API. */
import { t } from "../schema.js";
import { OperationModel } from "../models.js";
import { defineAction, limit, offset, onInstanceAnyZone, optionalScope, uhostId } from "./contract.js";

export const DescribeCompShareInstanceOperations = defineAction({
  name: "DescribeCompShareInstanceOperations",
  family: "operations",
  summary: "Extension: the durable operation records of an instance, newest first.",
  idempotent: true,
  extension: true,
  request: t.object({
    ...optionalScope,
    UHostId: uhostId(),
    Offset: offset(),
    Limit: limit(),
  }),
  response: t.object({ TotalCount: t.int(), OperationSet: t.array(OperationModel, { max: 100 }) }),
});

export const GetCompShareInstanceConsoleOutput = defineAction({
  name: "GetCompShareInstanceConsoleOutput",
  family: "operations",
  summary: "Extension: the tail of the instance's serial console (EC2's GetConsoleOutput); Length bytes at most, 64 KiB by default.",
  idempotent: true,
  extension: true,
  request: t.object({ ...onInstanceAnyZone, Length: t.optional(t.int({ min: 1, max: 1024 * 1024 })) }),
  response: t.object({ UHostId: t.string(), Output: t.string(), Timestamp: t.int() }),
});
