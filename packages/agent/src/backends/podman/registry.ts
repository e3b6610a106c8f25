/**
 * The OCI registry, over the distribution API (v2): where custom container images go, so that
 * any host can pull them. Custom images are tags of one repository, `<prefix>/ocs/custom:<imageId>`
 * (a tag keeps the image id's case, which a repository name may not), so that one call lists them
 * all and a deleted image leaves no tag behind. Platform images name their own reference.
 */
const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export class Registry {
  /** `host:port` or `host:port/prefix`, as podman names references. */
  readonly host: string;
  /** The repository path before `ocs/…` (empty, or `team/` with its slash). */
  private readonly prefix: string;
  readonly tls: boolean;
  private readonly base: string;

  constructor(setting: string) {
    const m = /^(?:(https?):\/\/)?([^/]+)(\/.*)?$/.exec(setting.trim());
    if (!m) throw new Error(`OCS_REGISTRY must be a registry address such as http://127.0.0.1:5000, got ${JSON.stringify(setting)}`);
    this.tls = m[1] !== "http";
    this.host = m[2] as string;
    const path = (m[3] ?? "").replace(/^\/+|\/+$/g, "");
    this.prefix = path ? `${path}/` : "";
    this.base = `${this.tls ? "https" : "http"}://${this.host}`;
  }

  /** The repository of custom images. */
  get customRepository(): string {
    return `${this.prefix}ocs/custom`;
  }

  /** Where a custom image is pushed and pulled from. */
  customReference(imageId: string): string {
    return `${this.host}/${this.customRepository}:${imageId}`;
  }

  /** podman's flag for this registry's transport. */
  get tlsFlag(): string {
    return `--tls-verify=${this.tls}`;
  }

  /** The custom images the registry holds (their ids). */
  async customImages(signal: AbortSignal): Promise<string[]> {
    const res = await fetch(`${this.base}/v2/${this.customRepository}/tags/list`, { signal });
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`registry ${this.host}: listing custom images answered HTTP ${res.status}`);
    const body = (await res.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  /** Whether the registry answers the v2 API (the doctor's check). */
  async ping(signal: AbortSignal): Promise<boolean> {
    const res = await fetch(`${this.base}/v2/`, { signal }).catch(() => undefined);
    return res !== undefined && (res.ok || res.status === 401);
  }

  /** Deletes a custom image's manifest (its tag goes with it). Idempotent. */
  async deleteCustom(imageId: string, signal: AbortSignal): Promise<void> {
    const url = `${this.base}/v2/${this.customRepository}/manifests/${encodeURIComponent(imageId)}`;
    const head = await fetch(url, { method: "HEAD", headers: { Accept: MANIFEST_TYPES }, signal });
    if (head.status === 404) return;
    const digest = head.headers.get("docker-content-digest");
    if (!head.ok || !digest) throw new Error(`registry ${this.host}: the manifest of ${imageId} answered HTTP ${head.status}`);
    const del = await fetch(`${this.base}/v2/${this.customRepository}/manifests/${digest}`, { method: "DELETE", signal });
    if (del.status === 405) throw new Error(`registry ${this.host} refuses deletes: enable storage.delete in its configuration`);
    if (!del.ok && del.status !== 404) throw new Error(`registry ${this.host}: deleting ${imageId} answered HTTP ${del.status}`);
  }
}
