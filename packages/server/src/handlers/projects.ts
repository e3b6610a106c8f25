/** GetProjectList: the caller's projects, as UCloud's account API answers. */
import { instancesPerProject, projectsOf } from "../store/repositories/accounts.js";
import type { ActionsOf, HandlerMap } from "./registry.js";

export const projectHandlers: HandlerMap<ActionsOf<"projects">> = {
  async GetProjectList(ctx) {
    const { db } = ctx.services;
    const projects = await projectsOf(db, ctx.caller.accountId);
    const byProject = await instancesPerProject(db, ctx.caller.accountId);
    return {
      ProjectCount: projects.length,
      ProjectSet: projects.map((p) => ({
        ProjectId: p.id,
        ProjectName: p.name,
        ParentId: "",
        ParentName: "",
        CreateTime: Math.floor(p.createdAt / 1000),
        IsDefault: p.isDefault,
        ResourceCount: byProject.get(p.id) ?? 0,
        MemberCount: 1,
      })),
    };
  },
};
