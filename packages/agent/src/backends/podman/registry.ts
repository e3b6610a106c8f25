/**
 * The OCI registry, over the distribution API (v2): where custom container images go, so that
 * any host can pull them. Custom images are tags of one repository, `<prefix>/ocs/custom:<imageId>`
 * (a tag keeps the image id's case, which a repository name may not), so that one call lists them
 * all and a deleted image leaves no tag behind. Community versions are tags of another,
 * `<prefix>/ocs/community:<imageId>`: a publish copies a custom image there (its blobs mounted
 * across repositories, its manifest put again), so a version outlives the image it came from.
 * Platform images name their own reference.
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

  /** The repository of community versions. */
  get communityRepository(): string {
    return `${this.prefix}ocs/community`;
  }

  /** Where a custom image is pushed and pulled from. */
  customReference(imageId: string): string {
    return `${this.host}/${this.customRepository}:${imageId}`;
  }

  /** Where a community version is pulled from. */
  communityReference(imageId: string): string {
    return `${this.host}/${this.communityRepository}:${imageId}`;
  }

  /** podman's flag for this registry's transport. */
  get tlsFlag(): string {
    return `--tls-verify=${this.tls}`;
  }

  /** The custom images the registry holds (their ids). */
  customImages(signal: AbortSignal): Promise<string[]> {
    return this.tags(this.customRepository, signal);
  }

  /** The community versions the registry holds (their ids). */
  communityImages(signal: AbortSignal): Promise<string[]> {
    return this.tags(this.communityRepository, signal);
  }

  private async tags(repository: string, signal: AbortSignal): Promise<string[]> {
    const res = await fetch(`${this.base}/v2/${repository}/tags/list`, { signal });
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`registry ${this.host}: listing ${repository} answered HTTP ${res.status}`);
    const body = (await res.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  /**
   * Copies custom image `imageId` to community version `asImageId`: each blob is mounted from the
   * custom repository (or, where the registry will not mount, copied), then the manifest is put
   * under the version's tag, byte for byte. Idempotent: a version already there is put again.
   */
  async publish(imageId: string, asImageId: string, signal: AbortSignal): Promise<void> {
    const from = this.customRepository;
    const to = this.communityRepository;
    const res = await fetch(`${this.base}/v2/${from}/manifests/${encodeURIComponent(imageId)}`, { headers: { Accept: MANIFEST_TYPES }, signal });
    if (res.status === 404) throw new Error(`registry ${this.host}: custom image ${imageId} is not in the registry`);
    if (!res.ok) throw new Error(`registry ${this.host}: the manifest of ${imageId} answered HTTP ${res.status}`);
    const type = res.headers.get("content-type") ?? "";
    const body = Buffer.from(await res.arrayBuffer());
    const manifest = JSON.parse(body.toString("utf8")) as { config?: { digest: string }; layers?: Array<{ digest: string }>; manifests?: unknown[] };
    if (manifest.manifests || !manifest.config) throw new Error(`registry ${this.host}: ${imageId} is an image index; only single-platform images are published`);
    for (const digest of [manifest.config.digest, ...(manifest.layers ?? []).map((l) => l.digest)]) await this.mountBlob(digest, from, to, signal);
    const put = await fetch(`${this.base}/v2/${to}/manifests/${encodeURIComponent(asImageId)}`, { method: "PUT", headers: { "Content-Type": type }, body, signal });
    if (!put.ok) throw new Error(`registry ${this.host}: putting the manifest of ${asImageId} answered HTTP ${put.status}`);
  }

  /** Makes blob `digest` of repository `from` one of `to` too. */
  private async mountBlob(digest: string, from: string, to: string, signal: AbortSignal): Promise<void> {
    const head = await fetch(`${this.base}/v2/${to}/blobs/${digest}`, { method: "HEAD", signal });
    if (head.ok) return;
    const mount = await fetch(`${this.base}/v2/${to}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { method: "POST", signal });
    if (mount.status === 201) return;
    if (mount.status !== 202) throw new Error(`registry ${this.host}: mounting ${digest} answered HTTP ${mount.status}`);
    // The registry started an upload instead: the blob is sent through it.
    const location = mount.headers.get("location");
    if (!location) throw new Error(`registry ${this.host}: an upload of ${digest} without a location`);
    const blob = await fetch(`${this.base}/v2/${from}/blobs/${digest}`, { signal });
    if (!blob.ok) throw new Error(`registry ${this.host}: reading ${digest} answered HTTP ${blob.status}`);
    const url = new URL(location, this.base);
    url.searchParams.set("digest", digest);
    // Streamed: a layer may be larger than the agent's memory.
    const length = blob.headers.get("content-length");
    const init = { method: "PUT", headers: { "Content-Type": "application/octet-stream", ...(length ? { "Content-Length": length } : {}) }, body: blob.body, duplex: "half", signal };
    const done = await fetch(url, init as RequestInit);
    if (!done.ok) throw new Error(`registry ${this.host}: uploading ${digest} answered HTTP ${done.status}`);
  }

  /** Whether the registry answers the v2 API (the doctor's check). */
  async ping(signal: AbortSignal): Promise<boolean> {
    const res = await fetch(`${this.base}/v2/`, { signal }).catch(() => undefined);
    return res !== undefined && (res.ok || res.status === 401);
  }

  /** Deletes the manifest of a custom image or community version (its tag goes with it). Idempotent. */
  async deleteImage(imageId: string, signal: AbortSignal): Promise<void> {
    await this.deleteTag(this.customRepository, imageId, signal);
    await this.deleteTag(this.communityRepository, imageId, signal);
  }

  private async deleteTag(repository: string, imageId: string, signal: AbortSignal): Promise<void> {
    const url = `${this.base}/v2/${repository}/manifests/${encodeURIComponent(imageId)}`;
    const head = await fetch(url, { method: "HEAD", headers: { Accept: MANIFEST_TYPES }, signal });
    if (head.status === 404) return;
    const digest = head.headers.get("docker-content-digest");
    if (!head.ok || !digest) throw new Error(`registry ${this.host}: the manifest of ${imageId} answered HTTP ${head.status}`);
    const del = await fetch(`${this.base}/v2/${repository}/manifests/${digest}`, { method: "DELETE", signal });
    if (del.status === 405) throw new Error(`registry ${this.host} refuses deletes: enable storage.delete in its configuration`);
    if (!del.ok && del.status !== 404) throw new Error(`registry ${this.host}: deleting ${imageId} answered HTTP ${del.status}`);
  }
}
