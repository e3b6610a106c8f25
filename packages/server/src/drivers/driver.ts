/**
 * The driver: what the control plane asks of a hypervisor, which is the machine contract of the
 * protocol. The simulated driver is its executable specification, and
 * `test/conformance/driver-suite.ts` is the suite every driver must pass.
 *
 * Every method takes a DriverCall last. Calls made by an operation carry its fence (the operation
 * and the instance epoch it acts under); a driver that reaches real hosts hands it down, and a
 * host refuses a call from an older epoch than one it has seen, so a stale runner can never act
 * twice.
 */
import type { MachineMethods, ReadMachineMethod } from "@opencompshare/protocol";

export type { ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode, PowerState, RebootResult } from "@opencompshare/protocol";

/** The operation a call belongs to, and the instance epoch it acts under. */
export interface Fence {
  operationId: string;
  epoch: number;
}

export interface DriverCall {
  signal: AbortSignal;
  /** Present on calls made by an operation; absent on reads made outside one. */
  fence?: Fence;
}

export class DriverError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`driver ${method}: ${message}`);
  }
}

/** A host refused the call: its epoch is older than one the host has seen (a stale runner). */
export class StaleEpoch extends DriverError {
  constructor(method: string, message: string) {
    super(method, message);
  }
}

/**
 * A driver: the machine contract (`MACHINE_CONTRACT` in the protocol, where each method's
 * arguments, result and postcondition are written once), with a DriverCall as each call's context.
 */
export type Driver = MachineMethods<DriverCall> & { readonly name: string };

/** The reads of a driver (status, progress, console, metrics, access): all a request handler may ask of a machine. */
export type MachineView = Pick<Driver, ReadMachineMethod>;
