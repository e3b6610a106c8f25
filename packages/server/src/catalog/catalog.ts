/**
 * The catalog as the server reads it: the defaults, with every top-level key a file gives
 * replacing the default one, checked for consistency, with the lookups handlers need. It is
 * read once at start; `OCS_CATALOG` names the file.
 */
import { readFileSync } from "node:fs";
import { parseWith } from "@opencompshare/protocol";
import { ConfigError } from "../config.js";
import { DEFAULT_CATALOG } from "./defaults.js";
import { CatalogFileSchema, type CatalogFile, type GpuType } from "./schema.js";
import { sizesOf, type MachineSize } from "./sizes.js";

export type CatalogData = Required<CatalogFile>;

export interface ZoneInfo {
  region: string;
  zone: string;
  describe: string;
}

export class Catalog {
  readonly data: CatalogData;
  /** Region → its zones. */
  readonly regions: Record<string, string[]>;
  readonly zones: ZoneInfo[];
  private readonly types = new Map<string, GpuType>();
  private readonly offers = new Map<string, Set<string>>();
  private readonly sizes = new Map<string, MachineSize[]>();

  constructor(data: CatalogData) {
    this.data = data;
    this.zones = data.regions.flatMap((r) => r.zones.map((z) => ({ region: r.region, zone: z.zone, describe: z.describe })));
    this.regions = Object.fromEntries(data.regions.map((r) => [r.region, r.zones.map((z) => z.zone)]));
    for (const type of data.gpuTypes) {
      this.types.set(type.name, type);
      this.sizes.set(type.name, sizesOf(type));
    }
    for (const offer of data.offers) this.offers.set(offer.zone, new Set(offer.gpuTypes));
  }

  gpuType(name: string): GpuType | undefined {
    return this.types.get(name);
  }

  /** The GPU types `zone` sells, in catalog order. */
  typesIn(zone: string): GpuType[] {
    const names = this.offers.get(zone);
    return names ? this.data.gpuTypes.filter((t) => names.has(t.name)) : [];
  }

  /** The type, if `zone` sells it. */
  offered(zone: string, gpuType: string): GpuType | undefined {
    return this.offers.get(zone)?.has(gpuType) ? this.types.get(gpuType) : undefined;
  }

  sizesOf(gpuType: string): MachineSize[] {
    return this.sizes.get(gpuType) ?? [];
  }

  regionOf(zone: string): string | undefined {
    return this.zones.find((z) => z.zone === zone)?.region;
  }
}

/** Reads the catalog: the defaults when `file` is unset. Errors name `OCS_CATALOG` and the bad value. */
export function loadCatalog(file: string | undefined): Catalog {
  if (!file) return new Catalog(DEFAULT_CATALOG);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`OCS_CATALOG: cannot read ${file}${code === "ENOENT" ? ": no such file" : `: ${(error as Error).message}`}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`OCS_CATALOG: ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const { value, issues } = parseWith(CatalogFileSchema, json, "strict");
  if (!value) {
    const first = issues.slice(0, 3).map((i) => `${i.path || "(root)"}: ${i.reason}`).join("; ");
    throw new ConfigError(`OCS_CATALOG: ${file}: ${first}`);
  }
  const data: CatalogData = { ...DEFAULT_CATALOG };
  for (const [key, v] of Object.entries(value)) if (v !== undefined) (data as Record<string, unknown>)[key] = v;
  const problem = inconsistency(data);
  if (problem) throw new ConfigError(`OCS_CATALOG: ${file}: ${problem}`);
  return new Catalog(data);
}

/** The first reference in the catalog that points at nothing, or null. */
export function inconsistency(data: CatalogData): string | null {
  const zones = new Set(data.regions.flatMap((r) => r.zones.map((z) => z.zone)));
  const types = new Set(data.gpuTypes.map((t) => t.name));
  for (const offer of data.offers) {
    if (!zones.has(offer.zone)) return `offers: zone ${offer.zone} is in no region`;
    for (const t of offer.gpuTypes) if (!types.has(t)) return `offers: GPU type ${t} of ${offer.zone} is not in gpuTypes`;
  }
  for (const f of data.fleet) {
    if (!zones.has(f.zone)) return `fleet: zone ${f.zone} is in no region`;
    if (!types.has(f.gpuType)) return `fleet: GPU type ${f.gpuType} is not in gpuTypes`;
  }
  for (const t of data.gpuTypes) {
    if (t.memoryPerGpuGb.length === 0) return `gpuTypes: ${t.name} has no memory choice`;
  }
  for (const offer of data.offers) {
    for (const t of offer.gpuTypes) if (!data.prices.gpu[t]) return `prices.gpu: no price for ${t}, sold in ${offer.zone}`;
  }
  return null;
}
