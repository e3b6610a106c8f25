/**
 * Replicas started together on a fresh database all come up: the migrations, the catalog's sync
 * and the default account are written once, whoever comes first, and nobody exits on a
 * duplicate key. Ten rounds of three replicas spawned at the same instant, each on a database of
 * its own (issue 27: one of three exited with `hosts_pkey` in 13 of 17 trials).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { call } from "../helpers/client.js";
import { databaseEnv, testDatabase } from "../helpers/database.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { DEFAULT_KEYS, REGION } from "../helpers/server.js";

const ROUNDS = 10;
const REPLICAS = 3;

describe("replicas started together on a fresh database", () => {
  it(`${ROUNDS} rounds of ${REPLICAS} replicas at the same instant: every one serves`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const db = await testDatabase();
      const dirs = Array.from({ length: REPLICAS }, () => mkdtempSync(join(tmpdir(), "ocs-first-start-")));
      const started = await Promise.allSettled(
        dirs.map((dir) =>
          spawnServer({ OCS_DATA_DIR: dir, OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey, OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey, OCS_LOG_LEVEL: "warn", ...databaseEnv(db) }),
        ),
      );
      const up = started.filter((s): s is PromiseFulfilledResult<ServerProcess> => s.status === "fulfilled").map((s) => s.value);
      try {
        const failures = started.filter((s): s is PromiseRejectedResult => s.status === "rejected").map((s) => String(s.reason).slice(0, 600));
        assert.deepEqual(failures, [], `round ${round}: a replica did not start`);
        for (const replica of up) {
          const res = await call(replica.url, DEFAULT_KEYS, "DescribeCompShareInstance", REGION);
          assert.equal(res.body.RetCode, 0, `round ${round}: ${JSON.stringify(res.body)}`);
        }
      } finally {
        for (const replica of up) {
          replica.child.kill("SIGKILL");
          await replica.exited;
        }
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
        await db.drop();
      }
    }
  });
});
