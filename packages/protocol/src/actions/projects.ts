/** UCloud's account API, as much of it as the CompShare CLI uses: the project list. */
import { t } from "../schema.js";
import { defineAction, optionalScope } from "./contract.js";

export const GetProjectList = defineAction({
  name: "GetProjectList",
  family: "projects",
  summary: "The caller's projects; the default one has IsDefault true (UCloud's GetProjectList).",
  idempotent: true,
  request: t.object({ ...optionalScope, IsFinance: t.optional(t.string({ maxLength: 16 })) }),
  response: t.object({
    ProjectCount: t.int(),
    ProjectSet: t.array(
      t.object({
        ProjectId: t.string(),
        ProjectName: t.string(),
        ParentId: t.string(),
        ParentName: t.string(),
        CreateTime: t.int(),
        IsDefault: t.bool(),
        ResourceCount: t.int(),
        MemberCount: t.int(),
      }),
      { max: 1000 },
    ),
  }),
});
