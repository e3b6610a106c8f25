/** The migrations, in order. A new one is a new file added here; applied ones never change. */
import type { Migration, MigrationProvider } from "kysely";
import * as m001 from "./001_initial.js";
import * as m002 from "./002_sim_journal.js";
import * as m003 from "./003_hot_path_indexes.js";
import * as m004 from "./004_fleet_disks_images.js";
import * as m005 from "./005_host_commands.js";
import * as m006 from "./006_policies.js";
import * as m007 from "./007_events.js";
import * as m008 from "./008_console_sessions.js";
import * as m009 from "./009_webhooks.js";
import * as m010 from "./010_account_status_key_origin.js";
import * as m011 from "./011_operation_source.js";
import * as m012image from "./012_image_review.js";
import * as m013 from "./013_account_level.js";
import * as m014 from "./014_money.js";
import * as m015 from "./015_sim_access.js";
import * as m016 from "./016_test_controls.js";

const all: Record<string, Migration> = {
  "001_initial": m001,
  "002_sim_journal": m002,
  "003_hot_path_indexes": m003,
  "004_fleet_disks_images": m004,
  "005_host_commands": m005,
  "006_policies": m006,
  "007_events": m007,
  "008_console_sessions": m008,
  "009_webhooks": m009,
  "010_account_status_key_origin": m010,
  "011_operation_source": m011,
  "012_image_review": m012image,
  "013_account_level": m013,
  "014_money": m014,
  "015_sim_access": m015,
  "016_test_controls": m016,
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => all };
