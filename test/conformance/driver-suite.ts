/**
 * The driver conformance suite: every postcondition of `packages/server/src/drivers/driver.ts`,
 * as node:test blocks any driver can be run against. `describeDriverConformance` is the entry: a
 * driver's test file calls it with the name of the driver and a function that makes one (with its
 * TimeControl, `manualTime` or `realTime`).
 *
 * The suite's parts, each the tests of one concern: machines.ts (provision, status, destroy),
 * power.ts (powerOn, powerOff, reboot, settle), images.ts (snapshot, buildImage, imageProgress,
 * deleteImage), changes.ts (reinstall, resize, resetPassword) and abort.ts (every call's signal);
 * context.ts gives each test its fresh driver and the steps the tests are written in, time.ts
 * how time moves.
 */
import { describe } from "node:test";
import { describeAbort } from "./abort.js";
import { describeChanges } from "./changes.js";
import { conformanceContext, type DriverUnderTest } from "./context.js";
import { describeImages } from "./images.js";
import { describeMachines } from "./machines.js";
import { describePower } from "./power.js";

export type { DriverUnderTest } from "./context.js";
export { flush, manualTime, realTime, track, type TimeControl, type Tracked } from "./time.js";

export function describeDriverConformance(name: string, makeDriver: () => Promise<DriverUnderTest>): void {
  describe(`driver conformance: ${name}`, () => {
    const c = conformanceContext(makeDriver);
    describeMachines(c);
    describePower(c);
    describeImages(c);
    describeChanges(c);
    describeAbort(c);
  });
}
