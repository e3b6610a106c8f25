/**
 * Community versions are reviewed (`ocs image review`): a published version is `Reviewing` until
 * an operator approves it (`Available`) or rejects it (`Rejected`, the reason in `failed_reason`).
 *
 * - `approved_at`: when the version was approved (0: never). A version taken down and put up
 *   again (UpdateCompShareImage Visibility) is Available again only if it was approved once;
 *   otherwise it goes back to review. Versions published before this migration were Available at
 *   once: they count as approved when they were published.
 * - `derived_from`: the community image of another account (or of the platform) that an image
 *   descends from, through the instances it was made from ('' when none). Such an image cannot be
 *   published again. Custom images made before this migration from such an image directly are
 *   marked; deeper ones cannot be traced any more.
 */
import { sql, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable("images").addColumn("approved_at", "bigint", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("images").addColumn("derived_from", "text", (c) => c.notNull().defaultTo("")).execute();
  await sql`update images set approved_at = published_at where type = 'Community' and status in ('Available', 'Offline')`.execute(db);
  await sql`update images set derived_from = source_image_id
    where type = 'Custom'
      and exists (select 1 from images src where src.id = images.source_image_id and src.type = 'Community'
                  and (src.account_id is null or src.account_id <> images.account_id))`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable("images").dropColumn("derived_from").execute();
  await db.schema.alterTable("images").dropColumn("approved_at").execute();
}
