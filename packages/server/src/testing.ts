/**
 * @opencompshare/server/testing: what tests drive the server with, kept out of its public entry.
 * A clock moved by hand (and `settle`, which lets the work it woke run), and the simulated
 * driver's faults: a method of a machine that fails, hangs or is slow, a set number of times.
 */
export { ManualClock, settle } from "./clock.js";
export { armFault, clearFaults, type FaultSpec } from "./controls/faults.js";
