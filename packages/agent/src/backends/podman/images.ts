/**
 * The container images this host can run: the platform's, each a folder of the images directory
 * whose image.json says `"kind": "container"` and names a registry reference (written by `npm run
 * base-image`), and the custom images and community versions the registry holds, which any host
 * can pull. The registry's lists are cached for a few seconds: a heartbeat asks for them every
 * time.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerImage } from "../backend.js";
import type { Registry } from "./registry.js";

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CACHE_MS = 5000;

/** image.json of a container image. */
interface ContainerImageFile {
  kind: "container";
  reference: string;
  name?: string;
  osName?: string;
  sshUser?: string;
  sizeGb?: number;
}

export class ContainerImages {
  private cached: { at: number; images: ContainerImage[] } | undefined;

  constructor(
    private readonly imagesDir: string,
    private readonly registry: Registry | undefined,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  /** A platform container image of the images directory. */
  platform(id: string): ContainerImage | undefined {
    if (!ID.test(id)) return undefined;
    let file: ContainerImageFile;
    try {
      file = JSON.parse(readFileSync(join(this.imagesDir, id, "image.json"), "utf8")) as ContainerImageFile;
    } catch {
      return undefined;
    }
    if (file.kind !== "container" || typeof file.reference !== "string") return undefined;
    return { id, kind: "container", reference: file.reference, name: file.name ?? id, osName: file.osName ?? "", sshUser: file.sshUser ?? "root", sizeGb: Number(file.sizeGb ?? 0) };
  }

  /** A custom image or community version of the registry, as a host runs it (its login and OS are its source's, as the control plane records them). */
  private ofRegistry(id: string, reference: string): ContainerImage {
    return { id, kind: "container", reference, name: id, osName: "", sshUser: "root", sizeGb: 0 };
  }

  /** The image of that id: a platform one, else a custom one or a community version the registry holds. */
  async get(id: string, signal: AbortSignal): Promise<ContainerImage | undefined> {
    const p = this.platform(id);
    if (p) return p;
    return (await this.registryImages(signal, true)).find((i) => i.id === id);
  }

  /** Every image this host can run now. */
  async list(signal: AbortSignal): Promise<ContainerImage[]> {
    const out: ContainerImage[] = [];
    if (existsSync(this.imagesDir)) {
      for (const name of readdirSync(this.imagesDir).sort()) {
        const image = this.platform(name);
        if (image) out.push(image);
      }
    }
    for (const image of await this.registryImages(signal, false)) if (!out.some((i) => i.id === image.id)) out.push(image);
    return out;
  }

  /** Forgets the registry's list (an image was pushed or deleted here). */
  invalidate(): void {
    this.cached = undefined;
  }

  /** The custom images, then the community versions, of the registry. */
  private async registryImages(signal: AbortSignal, fresh: boolean): Promise<ContainerImage[]> {
    const registry = this.registry;
    if (!registry) return [];
    if (!fresh && this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.images;
    try {
      const custom = (await registry.customImages(signal)).filter((t) => ID.test(t));
      const community = (await registry.communityImages(signal)).filter((t) => ID.test(t) && !custom.includes(t));
      const images = [...custom.map((id) => this.ofRegistry(id, registry.customReference(id))), ...community.map((id) => this.ofRegistry(id, registry.communityReference(id)))];
      this.cached = { at: Date.now(), images };
      return images;
    } catch (error) {
      if (signal.aborted) throw error;
      // A registry that does not answer takes nothing away from what was known.
      this.log.warn({ registry: registry.host, err: String(error) }, "the registry did not list its images");
      return this.cached?.images ?? [];
    }
  }

}
