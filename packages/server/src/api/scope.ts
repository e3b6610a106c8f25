/**
 * Dispatch's scope stage, after validate: the Region and Zone must be ones the catalog offers,
 * and the ProjectId one of the caller's (the default project when absent; ProjectNotExists when
 * unknown).
 */
import { commonErrors } from "@opencompshare/protocol";
import { resolveProject } from "../accounts/accounts.js";
import type { Catalog } from "../catalog/catalog.js";
import type { Executor } from "../store/schema.js";

export async function scope(db: Executor, catalog: Catalog, accountId: string, request: Record<string, unknown>): Promise<string> {
  const region = request.Region as string | undefined;
  const zone = request.Zone as string | undefined;
  if (region !== undefined && !Object.hasOwn(catalog.regions, region)) {
    throw commonErrors.invalidParam("Region", `${region} is not a region of this service (${Object.keys(catalog.regions).join(", ")})`);
  }
  if (zone !== undefined) {
    const zones = region !== undefined ? catalog.regions[region] ?? [] : Object.values(catalog.regions).flat();
    if (!zones.includes(zone)) throw commonErrors.invalidParam("Zone", `${zone} is not a zone of ${region ?? "any region"} (${zones.join(", ")})`);
  }
  return resolveProject(db, accountId, request.ProjectId as string | undefined);
}
