/** GetProjectList: the caller's projects, as UCloud's account API answers. */
import type { ActionsOf, HandlerMap } from "./registry.js";

export const projectHandlers: HandlerMap<ActionsOf<"projects">> = {
  async GetProjectList(ctx) {
    const { db } = ctx.services;
    const projects = await db.selectFrom("projects").selectAll().where("account_id", "=", ctx.caller.accountId).orderBy("created_at").orderBy("id").execute();
    const counts = await db
      .selectFrom("instances")
      .select(["project_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("account_id", "=", ctx.caller.accountId)
      .groupBy("project_id")
      .execute();
    const byProject = new Map(counts.map((c) => [c.project_id, Number(c.n)]));
    return {
      ProjectCount: projects.length,
      ProjectSet: projects.map((p) => ({
        ProjectId: p.id,
        ProjectName: p.name,
        ParentId: "",
        ParentName: "",
        CreateTime: Math.floor(Number(p.created_at) / 1000),
        IsDefault: Number(p.is_default) === 1,
        ResourceCount: byProject.get(p.id) ?? 0,
        MemberCount: 1,
      })),
    };
  },
};
