/** Operation records: this project's extension to the CompShare API. */
import { t } from "../schema.js";
import { OperationModel } from "../models.js";
import { defineAction, limit, offset, optionalScope, uhostId } from "./contract.js";

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
