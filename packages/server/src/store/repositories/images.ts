/**
 * Images (`images`): the one place their rows are read and written, but for what `community.ts`
 * holds (sharing, community versions, groups and favorites) and the platform's own writes at start
 * (`platform-images.ts`). Rows leave as records (numbers, booleans, the JSON columns parsed); the
 * handlers say who may see, make, change and delete an image, the image procedures and recovery
 * say when, and this says how it is stored.
 */
import { sql, type Insertable } from "kysely";
import { prepared, rowsOf } from "../prepared.js";
import type { Executor, ImageRow, ImagesTable } from "../schema.js";

/** The `softwares` column, parsed. */
export interface ImageSoftwares {
  Applications: string[];
  CUDAVersion: string;
  Framework: string;
  FrameworkVersion: string;
}

/** A port an image's software listens on (the `ports` column, parsed). */
export interface SoftwarePort {
  Software: string;
  Port: number;
}

/** An image as stored, its JSON columns parsed as they are (not completed). */
export interface ImageRecord {
  id: string;
  /** null: a platform image (System, App, …, or an official community version). */
  accountId: string | null;
  projectId: string | null;
  name: string;
  description: string;
  type: string;
  status: string;
  sourceInstanceId: string | null;
  opId: string | null;
  gpuType: string;
  osName: string;
  size: number;
  softwares: ImageSoftwares;
  tags: string[];
  progress: number;
  createdAt: number;
  readyAt: number;
  failedReason: string;
  groupId: string;
  sourceImageId: string;
  versionName: string;
  versionDesc: string;
  author: string;
  price: number;
  visibility: number;
  cover: string;
  readme: string;
  autoStart: boolean;
  supportedGpuTypes: string[];
  ports: SoftwarePort[];
  container: boolean;
  isOfficial: boolean;
  publishedAt: number;
  updatedAt: number;
  hostId: string;
  /** A community version: when it was approved (0: never). */
  approvedAt: number;
  /** The community image of another account (or of the platform) this image descends from ('' when none). */
  derivedFrom: string;
}

export function toImageRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    type: r.type,
    status: r.status,
    sourceInstanceId: r.source_instance_id,
    opId: r.op_id,
    gpuType: r.gpu_type,
    osName: r.os_name,
    size: Number(r.size),
    softwares: JSON.parse(r.softwares) as ImageSoftwares,
    tags: JSON.parse(r.tags) as string[],
    progress: Number(r.progress),
    createdAt: Number(r.created_at),
    readyAt: Number(r.ready_at),
    failedReason: r.failed_reason,
    groupId: r.group_id,
    sourceImageId: r.source_image_id,
    versionName: r.version_name,
    versionDesc: r.version_desc,
    author: r.author,
    price: Number(r.price),
    visibility: Number(r.visibility),
    cover: r.cover,
    readme: r.readme,
    autoStart: Number(r.auto_start) === 1,
    supportedGpuTypes: JSON.parse(r.supported_gpu_types || "[]") as string[],
    ports: JSON.parse(r.ports || "[]") as SoftwarePort[],
    container: Number(r.container) === 1,
    isOfficial: Number(r.is_official) === 1,
    publishedAt: Number(r.published_at),
    updatedAt: Number(r.updated_at),
    hostId: r.host_id,
    approvedAt: Number(r.approved_at),
    derivedFrom: r.derived_from,
  };
}

/** The `softwares` column: { Applications, CUDAVersion, Framework, FrameworkVersion }. */
export function softwaresJson(s: { Applications?: string[]; CUDAVersion?: string; Framework?: string; FrameworkVersion?: string } = {}): string {
  return JSON.stringify({ Applications: s.Applications ?? [], CUDAVersion: s.CUDAVersion ?? "", Framework: s.Framework ?? "", FrameworkVersion: s.FrameworkVersion ?? "" });
}

/** A complete image row: an Available platform System image, unless `set` says otherwise. */
export function imageRow(id: string, now: number, set: Partial<Insertable<ImagesTable>> = {}): Insertable<ImagesTable> {
  return {
    id,
    account_id: null,
    project_id: null,
    name: id,
    description: "",
    type: "System",
    status: "Available",
    source_instance_id: null,
    op_id: null,
    gpu_type: "",
    os_name: "",
    size: 0,
    softwares: softwaresJson(),
    tags: "[]",
    progress: 100,
    created_at: now,
    ready_at: now,
    failed_reason: "",
    group_id: "",
    source_image_id: "",
    version_name: "",
    version_desc: "",
    author: "",
    price: 0,
    visibility: 0,
    cover: "",
    readme: "",
    auto_start: 0,
    supported_gpu_types: "[]",
    ports: "[]",
    container: 0,
    is_official: 0,
    published_at: 0,
    updated_at: now,
    host_id: "",
    approved_at: 0,
    derived_from: "",
    ...set,
  };
}

/** `%text%` for LIKE, the text's wildcards and escapes dropped. */
export const like = (s: string): string => `%${s.replace(/[%_\\]/g, "")}%`;

/** LIKE text matching a JSON array (the `tags` column) that holds `tag`. */
export const tagLike = (tag: string): string => `%${JSON.stringify(tag)}%`;

export interface Page {
  offset: number;
  limit: number;
}

// ---------------------------------------------------------------------------------------------
// Lookups.

/** The platform's image types; another value of the ImageType filter matches nothing. */
export const PLATFORM_IMAGE_TYPES: ReadonlySet<string> = new Set(["System", "App", "Game", "Other"]);

export interface ImageOwner {
  accountId: string;
  projectId: string;
}

/**
 * An Available image the owner may boot: a platform image, one of the owner's custom images, a
 * custom image another account shared with the owner, or a published community version.
 */
export async function findUsableImage(db: Executor, id: string, owner: ImageOwner): Promise<ImageRecord | undefined> {
  const row = await db
    .selectFrom("images")
    .selectAll()
    .where("id", "=", id)
    .where("status", "=", "Available")
    .where((eb) =>
      eb.or([
        eb.and([eb("account_id", "is", null), eb("type", "!=", "Community")]),
        eb.and([eb("type", "=", "Community"), eb("visibility", "=", 1)]),
        eb.and([eb("account_id", "=", owner.accountId), eb("project_id", "=", owner.projectId)]),
        eb.exists(eb.selectFrom("image_shares").select("image_shares.image_id").whereRef("image_shares.image_id", "=", "images.id").where("image_shares.account_id", "=", owner.accountId)),
      ]),
    )
    .executeTakeFirst();
  return row && toImageRecord(row);
}

/** An image being deleted (TerminateCompShareCustomImage's operation) reads as gone. */
const imageById = prepared(1, (db, id: string) => db.selectFrom("images").selectAll().where("id", "=", id).where("status", "!=", "Deleting"));

/** Images by id (one being deleted reads as gone): the instances' images, for the instance list. */
export async function imagesById(db: Executor, ids: readonly string[]): Promise<Map<string, ImageRecord>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = unique.length === 1 ? await rowsOf(imageById(db, unique[0] as string)) : await db.selectFrom("images").selectAll().where("id", "in", unique).where("status", "!=", "Deleting").execute();
  return new Map(rows.map((r) => [r.id, toImageRecord(r)]));
}

/** Where an image's files are (its host, "" until a host holds them) and the instance it is made from (null: none). */
export async function imageWhereabouts(db: Executor, id: string): Promise<{ hostId: string; sourceInstanceId: string | null } | undefined> {
  const row = await db.selectFrom("images").select(["host_id", "source_instance_id"]).where("id", "=", id).executeTakeFirst();
  return row && { hostId: row.host_id, sourceInstanceId: row.source_instance_id };
}

/** One of the owner's own custom images (not a community version, not one being deleted). */
export async function findOwnCustomImage(db: Executor, id: string, owner: ImageOwner): Promise<ImageRecord | undefined> {
  const row = await db
    .selectFrom("images")
    .selectAll()
    .where("id", "=", id)
    .where("type", "=", "Custom")
    .where("account_id", "=", owner.accountId)
    .where("project_id", "=", owner.projectId)
    .where("status", "!=", "Deleting")
    .executeTakeFirst();
  return row && toImageRecord(row);
}

/** A custom image or community version of the account that is not being deleted (of any project: the caller checks). */
export async function findEditableImage(db: Executor, id: string, accountId: string): Promise<ImageRecord | undefined> {
  const row = await db
    .selectFrom("images")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .where("type", "in", ["Custom", "Community"])
    .where("status", "!=", "Deleting")
    .executeTakeFirst();
  return row && toImageRecord(row);
}

/** What DescribeCompShareImages filters on; `liveSince`: only images a host seen since then can boot. */
export interface PlatformImageQuery {
  type?: string;
  id?: string;
  name?: string;
  author?: string;
  tag?: string;
  liveSince?: number;
}

/** A page of the platform images (oldest first), with how many match. */
export async function platformImagesPage(db: Executor, f: PlatformImageQuery, page: Page): Promise<{ images: ImageRecord[]; total: number }> {
  let q = db.selectFrom("images").where("account_id", "is", null).where("type", "in", [...PLATFORM_IMAGE_TYPES]);
  if (f.type) q = q.where("type", "=", f.type);
  if (f.id) q = q.where("id", "=", f.id);
  if (f.name) q = q.where("name", "like", like(f.name));
  if (f.author) q = q.where("author", "=", f.author);
  if (f.tag) q = q.where("tags", "like", tagLike(f.tag));
  const since = f.liveSince;
  if (since !== undefined) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom("host_images")
          .innerJoin("hosts", "hosts.id", "host_images.host_id")
          .select("host_images.image_id")
          .whereRef("host_images.image_id", "=", "images.id")
          .where("hosts.last_seen", ">=", since),
      ),
    );
  }
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy("created_at", "asc").orderBy("id").offset(page.offset).limit(page.limit).execute(),
    q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { images: rows.map(toImageRecord), total: Number(count.n) };
}

/** A page of the owner's custom images (newest first, none being deleted), with how many there are. */
export async function customImagesPage(db: Executor, owner: ImageOwner, id: string | undefined, page: Page): Promise<{ images: ImageRecord[]; total: number }> {
  let q = db.selectFrom("images").where("account_id", "=", owner.accountId).where("project_id", "=", owner.projectId).where("type", "=", "Custom").where("status", "!=", "Deleting");
  if (id) q = q.where("id", "=", id);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy("created_at", "desc").orderBy("id").offset(page.offset).limit(page.limit).execute(),
    q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { images: rows.map(toImageRecord), total: Number(count.n) };
}

/** The id of a community version published from the image that is Available or in review, if any. */
export async function publishedVersionOf(db: Executor, imageId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("images")
    .select("id")
    .where("source_image_id", "=", imageId)
    .where("type", "=", "Community")
    .where("status", "in", ["Available", "Reviewing"])
    .executeTakeFirst();
  return row?.id;
}

// ---------------------------------------------------------------------------------------------
// Writes.

/** A custom image being made from an instance. */
export interface NewCustomImage {
  id: string;
  accountId: string;
  projectId: string;
  name: string;
  description: string;
  sourceInstanceId: string;
  opId: string;
  gpuType: string;
  /** The instance's image: its OS, size (50 GB if it is gone) and supported GPU types are the new image's. */
  sourceImageId: string;
  softwares: Partial<ImageSoftwares>;
  /** What the instance is (fixed at create), not what its current image was made for. */
  container: boolean;
  now: number;
}

/**
 * Adds a custom image, Making, from its instance's image. It descends from that image when it is
 * a community version of someone else (another account, or the platform), else from what that
 * image descends from: such images are not publishable.
 */
export async function insertCustomImage(tx: Executor, c: NewCustomImage): Promise<void> {
  const source = await tx
    .selectFrom("images")
    .select(["os_name", "size", "container", "supported_gpu_types", "type", "account_id", "derived_from"])
    .where("id", "=", c.sourceImageId)
    .executeTakeFirst();
  const derivedFrom = source?.type === "Community" && source.account_id !== c.accountId ? c.sourceImageId : (source?.derived_from ?? "");
  await tx
    .insertInto("images")
    .values(
      imageRow(c.id, c.now, {
        account_id: c.accountId,
        project_id: c.projectId,
        name: c.name,
        description: c.description,
        type: "Custom",
        status: "Making",
        source_instance_id: c.sourceInstanceId,
        op_id: c.opId,
        gpu_type: c.gpuType,
        os_name: source?.os_name ?? "",
        size: Number(source?.size ?? 50),
        softwares: softwaresJson(c.softwares),
        progress: 0,
        ready_at: 0,
        source_image_id: c.sourceImageId,
        supported_gpu_types: source?.supported_gpu_types ?? "[]",
        container: c.container ? 1 : 0,
        derived_from: derivedFrom,
      }),
    )
    .execute();
}

/** The image as the operation `opId` deleting it: only from `from`; returns whether it was. */
export async function enterDeleting(tx: Executor, id: string, from: string, opId: string, now: number): Promise<boolean> {
  const entered = await tx.updateTable("images").set({ status: "Deleting", op_id: opId, updated_at: now }).where("id", "=", id).where("status", "=", from).executeTakeFirst();
  return Number(entered.numUpdatedRows) === 1;
}

/** What UpdateCompShareImage may change; absent: unchanged. */
export interface ImageChanges {
  updatedAt: number;
  name?: string;
  description?: string;
  price?: number;
  cover?: string;
  readme?: string;
  tags?: string[];
  versionName?: string;
  versionDesc?: string;
  supportedGpuTypes?: string[];
  autoStart?: boolean;
  visibility?: number;
  status?: string;
}

export async function updateImage(db: Executor, id: string, c: ImageChanges): Promise<void> {
  const set: Partial<ImageRow> = { updated_at: c.updatedAt };
  if (c.name !== undefined) set.name = c.name;
  if (c.description !== undefined) set.description = c.description;
  if (c.price !== undefined) set.price = c.price;
  if (c.cover !== undefined) set.cover = c.cover;
  if (c.readme !== undefined) set.readme = c.readme;
  if (c.tags !== undefined) set.tags = JSON.stringify(c.tags);
  if (c.versionName !== undefined) set.version_name = c.versionName;
  if (c.versionDesc !== undefined) set.version_desc = c.versionDesc;
  if (c.supportedGpuTypes !== undefined) set.supported_gpu_types = JSON.stringify(c.supportedGpuTypes);
  if (c.autoStart !== undefined) set.auto_start = c.autoStart ? 1 : 0;
  if (c.visibility !== undefined) set.visibility = c.visibility;
  if (c.status !== undefined) set.status = c.status;
  await db.updateTable("images").set(set).where("id", "=", id).execute();
}

/** The build's progress, while the image is Making. */
export async function setImageProgress(tx: Executor, id: string, percent: number): Promise<void> {
  await tx.updateTable("images").set({ progress: percent }).where("id", "=", id).where("status", "=", "Making").execute();
}

/** The image is made: Available. */
export async function markImageAvailable(tx: Executor, id: string, now: number): Promise<void> {
  await tx.updateTable("images").set({ status: "Available", progress: 100, ready_at: now, updated_at: now }).where("id", "=", id).execute();
}

/** The host holding the image's files (instances of it are placed there). */
export async function setImageHost(tx: Executor, id: string, hostId: string): Promise<void> {
  await tx.updateTable("images").set({ host_id: hostId }).where("id", "=", id).execute();
}

/** The build failed: UnAvailable, with why. */
export async function markImageFailed(tx: Executor, id: string, reason: string): Promise<void> {
  await tx.updateTable("images").set({ status: "UnAvailable", failed_reason: reason }).where("id", "=", id).execute();
}

/** A deletion by operation `deletingOp` failed: the image's status and operation from before it. */
export async function restoreDeleting(tx: Executor, id: string, deletingOp: string, status: string, opId: string | null, now: number): Promise<void> {
  await tx.updateTable("images").set({ status, op_id: opId, updated_at: now }).where("id", "=", id).where("status", "=", "Deleting").where("op_id", "=", deletingOp).execute();
}

/** A deletion left by no operation was not done: UnAvailable (never booted, may be deleted again). Returns whether it was still so left. */
export async function abandonDeleting(tx: Executor, id: string, opId: string | null, now: number): Promise<boolean> {
  const res = await tx
    .updateTable("images")
    .set({ status: "UnAvailable", op_id: null, updated_at: now })
    .where("id", "=", id)
    .where("status", "=", "Deleting")
    .where((eb) => (opId === null ? eb("op_id", "is", null) : eb("op_id", "=", opId)))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Removes the image deleted by operation `opId` (null: by none) and its shares, if it is still
 * Deleting by it; returns whether it was. The hosts' copies are for the caller to forget.
 */
export async function removeDeletedImage(tx: Executor, id: string, opId: string | null): Promise<boolean> {
  const gone = await tx
    .deleteFrom("images")
    .where("id", "=", id)
    .where("status", "=", "Deleting")
    .where((eb) => (opId === null ? eb("op_id", "is", null) : eb("op_id", "=", opId)))
    .executeTakeFirst();
  if (Number(gone.numDeletedRows) !== 1) return false;
  await tx.deleteFrom("image_shares").where("image_id", "=", id).execute();
  return true;
}

/** Images left Deleting with no running operation (at most 500). */
export async function imagesLeftDeleting(db: Executor): Promise<Array<{ id: string; opId: string | null }>> {
  const rows = await db
    .selectFrom("images")
    .select(["id", "op_id"])
    .where("status", "=", "Deleting")
    .where(sql<boolean>`not exists (select 1 from operations where operations.id = ${sql.ref("images.op_id")} and operations.status = 'running')`)
    .limit(500)
    .execute();
  return rows.map((r) => ({ id: r.id, opId: r.op_id }));
}
