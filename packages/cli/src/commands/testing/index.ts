/**
 * `ocs testing`: the test controls of a server in testing mode (OCS_TESTING=1), for the
 * operator's keys: faults in the machines, time travel, and snapshots of the whole state
 * (docs/testing.md). Elsewhere they answer 161, and these commands say why.
 */
import type { Family } from "../../command.js";
import { clock } from "./clock.js";
import { fault } from "./fault.js";
import { reset, snapshot } from "./snapshot.js";

export const family: Family = {
  name: "testing",
  summary: "test controls of a server in testing mode (OCS_TESTING=1; the operator's keys only)",
  commands: [fault, clock, snapshot, reset],
};
