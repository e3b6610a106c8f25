/**
 * How images reach other accounts: shared with them (`image_shares`), or published to the
 * community as versions of a group (`community_groups`, the `images` rows of type Community) that
 * accounts favor (`image_favorites`). The one place these are read and written; rows leave as
 * records. What may be shared or published, how versions are numbered and how listings are
 * grouped and sorted is decided in `handlers/images.ts` and `handlers/community.ts`.
 */
import { randomBytes } from "node:crypto";
import type { Executor } from "../schema.js";
import { like, softwaresJson, tagLike, toImageRecord, type ImageRecord, type ImageSoftwares, type Page, type SoftwarePort } from "./images.js";
import { upsertImage } from "./platform-images.js";

// ---------------------------------------------------------------------------------------------
// Sharing.

/** Shares the image with the account (nothing changes when it is already). */
export async function shareImage(tx: Executor, imageId: string, accountId: string, now: number): Promise<void> {
  await tx.insertInto("image_shares").values({ image_id: imageId, account_id: accountId, created_at: now }).onConflict((oc) => oc.doNothing()).execute();
}

export async function unshareImage(tx: Executor, imageId: string, accountId: string): Promise<void> {
  await tx.deleteFrom("image_shares").where("image_id", "=", imageId).where("account_id", "=", accountId).execute();
}

/** The accounts the image is shared with, by number. */
export async function shareAccounts(db: Executor, imageId: string): Promise<Array<{ number: number; name: string }>> {
  const rows = await db
    .selectFrom("image_shares")
    .innerJoin("accounts", "accounts.id", "image_shares.account_id")
    .select(["accounts.org_id", "accounts.name"])
    .where("image_shares.image_id", "=", imageId)
    .orderBy("accounts.org_id")
    .execute();
  return rows.map((r) => ({ number: Number(r.org_id), name: r.name }));
}

/** A page of the Available images shared with the account (newest first), with how many there are. */
export async function sharedImagesPage(db: Executor, accountId: string, id: string | undefined, page: Page): Promise<{ images: ImageRecord[]; total: number }> {
  let q = db.selectFrom("images").innerJoin("image_shares", "image_shares.image_id", "images.id").where("image_shares.account_id", "=", accountId).where("images.status", "=", "Available");
  if (id) q = q.where("images.id", "=", id);
  const [rows, count] = await Promise.all([
    q.selectAll("images").orderBy("images.created_at", "desc").orderBy("images.id").offset(page.offset).limit(page.limit).execute(),
    q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { images: rows.map(toImageRecord), total: Number(count.n) };
}

// ---------------------------------------------------------------------------------------------
// Community versions.

export const newGroupId = (): string => `group-${randomBytes(6).toString("hex")}`;

/** Whose versions a listing shows: all public ones, all of one account's, or one account's public ones. */
export type VersionScope = { kind: "public" } | { kind: "self"; accountId: string } | { kind: "user"; accountId: string };

/** What the community listings filter versions on. */
export interface VersionQuery {
  id?: string;
  groupId?: string;
  name?: string;
  author?: string;
  /** In the name or the author. */
  text?: string;
  tags?: readonly string[];
  isFree?: boolean;
  isOfficial?: boolean;
  autoStart?: boolean;
}

/** The community versions in scope that match, newest published first (at most `max`). */
export async function communityVersions(db: Executor, scope: VersionScope, f: VersionQuery, max: number): Promise<ImageRecord[]> {
  let q = db.selectFrom("images").selectAll().where("type", "=", "Community");
  if (scope.kind === "self") q = q.where("account_id", "=", scope.accountId);
  else {
    q = q.where("visibility", "=", 1).where("status", "=", "Available");
    if (scope.kind === "user") q = q.where("account_id", "=", scope.accountId);
  }
  if (f.id) q = q.where("id", "=", f.id);
  if (f.groupId) q = q.where("group_id", "=", f.groupId);
  if (f.name) q = q.where("name", "like", like(f.name));
  if (f.author) q = q.where("author", "=", f.author);
  if (f.text) {
    const text = like(f.text);
    q = q.where((eb) => eb.or([eb("name", "like", text), eb("author", "like", text)]));
  }
  for (const tag of f.tags ?? []) q = q.where("tags", "like", tagLike(tag));
  if (f.isFree !== undefined) q = f.isFree ? q.where("price", "=", 0) : q.where("price", ">", 0);
  if (f.isOfficial !== undefined) q = q.where("is_official", "=", f.isOfficial ? 1 : 0);
  if (f.autoStart !== undefined) q = q.where("auto_start", "=", f.autoStart ? 1 : 0);
  const rows = await q.orderBy("published_at", "desc").orderBy("id").limit(max).execute();
  return rows.map(toImageRecord);
}

/** Whether the group has a public, Available version. */
export async function hasPublicVersion(db: Executor, groupId: string): Promise<boolean> {
  const found = await db
    .selectFrom("images")
    .select("id")
    .where("group_id", "=", groupId)
    .where("type", "=", "Community")
    .where("visibility", "=", 1)
    .where("status", "=", "Available")
    .executeTakeFirst();
  return found !== undefined;
}

/** The version names a group has (of any status but Rejected: a rejected version's name may be published again). */
export async function versionNamesOf(db: Executor, groupId: string): Promise<string[]> {
  return (await db.selectFrom("images").select("version_name").where("group_id", "=", groupId).where("status", "!=", "Rejected").execute()).map((v) => v.version_name);
}

/** What a new version sets; the rest (owner, OS, size, ports, container…) is its source's. */
export interface NewVersion {
  id: string;
  groupId: string;
  name: string;
  description: string;
  versionName: string;
  versionDesc: string;
  author: string;
  price: number;
  cover: string;
  readme: string;
  autoStart: boolean;
  tags: string[];
  /** Absent: the source's. */
  supportedGpuTypes?: string[];
  /** Absent: the source's. */
  softwares?: Partial<ImageSoftwares>;
  now: number;
}

/** Adds a public community version of the custom image `source`, Reviewing until an operator approves or rejects it. */
export async function insertVersion(tx: Executor, source: ImageRecord, v: NewVersion): Promise<void> {
  const sw = v.softwares;
  await tx
    .insertInto("images")
    .values({
      id: v.id,
      // What a version keeps of its source.
      account_id: source.accountId,
      project_id: source.projectId,
      gpu_type: source.gpuType,
      os_name: source.osName,
      size: source.size,
      progress: source.progress,
      ready_at: source.readyAt,
      failed_reason: "",
      ports: JSON.stringify(source.ports),
      container: source.container ? 1 : 0,
      host_id: source.hostId,
      type: "Community",
      status: "Reviewing",
      name: v.name,
      description: v.description,
      source_instance_id: null,
      op_id: null,
      group_id: v.groupId,
      source_image_id: source.id,
      version_name: v.versionName,
      version_desc: v.versionDesc,
      author: v.author,
      price: v.price,
      visibility: 1,
      cover: v.cover,
      readme: v.readme,
      auto_start: v.autoStart ? 1 : 0,
      supported_gpu_types: JSON.stringify(v.supportedGpuTypes ?? source.supportedGpuTypes),
      tags: JSON.stringify(v.tags),
      softwares: JSON.stringify(
        sw ? { Applications: sw.Applications ?? [], CUDAVersion: sw.CUDAVersion ?? "", Framework: sw.Framework ?? "", FrameworkVersion: sw.FrameworkVersion ?? "" } : source.softwares,
      ),
      is_official: 0,
      approved_at: 0,
      derived_from: source.derivedFrom,
      created_at: v.now,
      published_at: v.now,
      updated_at: v.now,
    })
    .execute();
}

/** A user's community version (not an official one), as the operator reviews it. */
export async function findUserVersion(db: Executor, id: string): Promise<ImageRecord | undefined> {
  const row = await db.selectFrom("images").selectAll().where("id", "=", id).where("type", "=", "Community").where("account_id", "is not", null).executeTakeFirst();
  return row && toImageRecord(row);
}

/**
 * The review's verdict on a version still Reviewing: approved, it is Available; rejected, it is
 * Rejected with the reason. Returns whether the version was still Reviewing.
 */
export async function setReviewVerdict(tx: Executor, id: string, verdict: { approve: true } | { approve: false; reason: string }, now: number): Promise<boolean> {
  const set = verdict.approve ? { status: "Available", approved_at: now, failed_reason: "", updated_at: now } : { status: "Rejected", failed_reason: verdict.reason, updated_at: now };
  const res = await tx.updateTable("images").set(set).where("id", "=", id).where("type", "=", "Community").where("status", "=", "Reviewing").executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

// ---------------------------------------------------------------------------------------------
// Groups.

export interface GroupRecord {
  id: string;
  /** null: an official group, of the catalog. */
  accountId: string | null;
  name: string;
  description: string;
  createdCount: number;
  useSeconds: number;
  createdAt: number;
}

/** The groups of these ids. */
export async function groupsByIds(db: Executor, ids: readonly string[]): Promise<GroupRecord[]> {
  const rows = await db.selectFrom("community_groups").selectAll().where("id", "in", [...ids]).execute();
  return rows.map((g) => ({
    id: g.id,
    accountId: g.account_id,
    name: g.name,
    description: g.description,
    createdCount: Number(g.created_count),
    useSeconds: Number(g.use_seconds),
    createdAt: Number(g.created_at),
  }));
}

/** Whether the group is the account's. */
export async function isOwnGroup(db: Executor, groupId: string, accountId: string): Promise<boolean> {
  return (await db.selectFrom("community_groups").select("id").where("id", "=", groupId).where("account_id", "=", accountId).executeTakeFirst()) !== undefined;
}

/**
 * Takes back a version whose publish failed (its copy to the registry's community namespace), and
 * its group when that publish made the group and it has no other version.
 */
export async function removeFailedVersion(tx: Executor, versionId: string, groupId: string, groupMade: boolean): Promise<void> {
  await tx.deleteFrom("images").where("id", "=", versionId).where("type", "=", "Community").execute();
  if (!groupMade) return;
  const other = await tx.selectFrom("images").select("id").where("group_id", "=", groupId).limit(1).executeTakeFirst();
  if (!other) await tx.deleteFrom("community_groups").where("id", "=", groupId).execute();
}

export async function insertGroup(tx: Executor, g: { id: string; accountId: string; name: string; description: string; now: number }): Promise<void> {
  await tx.insertInto("community_groups").values({ id: g.id, account_id: g.accountId, name: g.name, description: g.description, created_count: 0, use_seconds: 0, created_at: g.now }).execute();
}

/** An official group of the catalog: added, or its name and description as the catalog has them. */
export async function upsertOfficialGroup(db: Executor, g: { id: string; name: string; description: string }, now: number): Promise<void> {
  await db
    .insertInto("community_groups")
    .values({ id: g.id, account_id: null, name: g.name, description: g.description, created_count: 0, use_seconds: 0, created_at: now })
    .onConflict((oc) => oc.column("id").doUpdateSet({ name: g.name, description: g.description }))
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Favorites.

/** How many accounts favor each of these groups (groups no one favors are absent). */
export async function favoriteCounts(db: Executor, groupIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("image_favorites")
    .select(["group_id", (eb) => eb.fn.countAll<number>().as("n")])
    .where("group_id", "in", [...groupIds])
    .groupBy("group_id")
    .execute();
  return new Map(rows.map((f) => [f.group_id, Number(f.n)]));
}

/** Which of these groups the account favors. */
export async function favoredBy(db: Executor, accountId: string, groupIds: readonly string[]): Promise<Set<string>> {
  const rows = await db.selectFrom("image_favorites").select("group_id").where("account_id", "=", accountId).where("group_id", "in", [...groupIds]).execute();
  return new Set(rows.map((m) => m.group_id));
}

/** The account favors the group (nothing changes when it did). */
export async function addFavorite(db: Executor, accountId: string, groupId: string, now: number): Promise<void> {
  await db.insertInto("image_favorites").values({ account_id: accountId, group_id: groupId, created_at: now }).onConflict((oc) => oc.doNothing()).execute();
}

export async function removeFavorite(db: Executor, accountId: string, groupId: string): Promise<void> {
  await db.deleteFrom("image_favorites").where("account_id", "=", accountId).where("group_id", "=", groupId).execute();
}

// ---------------------------------------------------------------------------------------------
// The catalog's official versions, written at start.

/** An official community version of the catalog (its group is `upsertOfficialGroup`'s). */
export interface CatalogVersion {
  id: string;
  groupId: string;
  name: string;
  description: string;
  versionName: string;
  sizeGb: number;
  tags: string[];
  author: string;
  price: number;
  autoStart: boolean;
  supportedGpuTypes: string[];
  ports: SoftwarePort[];
}

/** Adds the official community version, or sets what the catalog says of it (Available, public, published now). */
export async function upsertOfficialVersion(db: Executor, v: CatalogVersion, now: number): Promise<void> {
  await upsertImage(db, v.id, now, {
    name: v.name,
    description: v.description,
    type: "Community",
    status: "Available",
    os_name: "Ubuntu 22.04",
    size: v.sizeGb,
    softwares: softwaresJson(),
    tags: JSON.stringify(v.tags),
    group_id: v.groupId,
    version_name: v.versionName,
    author: v.author,
    price: v.price,
    visibility: 1,
    auto_start: v.autoStart ? 1 : 0,
    supported_gpu_types: JSON.stringify(v.supportedGpuTypes),
    ports: JSON.stringify(v.ports),
    container: 1,
    is_official: 1,
    published_at: now,
    updated_at: now,
  });
}
