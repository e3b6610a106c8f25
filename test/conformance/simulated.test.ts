/** The driver conformance suite against the simulated driver, on a real SQLite file. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate, openStore, SimulatedDriver } from "@opencompshare/server";
import { ManualClock } from "@opencompshare/server/testing";
import { describeDriverConformance, manualTime } from "./driver-suite.js";

describeDriverConformance("SimulatedDriver", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-conformance-"));
  const store = await openStore({ dataDir });
  await migrate(store.db);
  const clock = new ManualClock(Date.UTC(2026, 10, 26, 12, 0, 0));
  const driver = new SimulatedDriver(store.db, clock, { bootMs: 3000, imageMs: 30000 });
  return {
    driver,
    time: manualTime(clock),
    async close() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
