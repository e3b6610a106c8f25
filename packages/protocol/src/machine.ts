/**
 * The machine contract: every method the control plane may ask of a machine, written once. Each
 * entry gives the method's arguments (as schemas, so that a host validates what it receives), its
 * result type, what it acts on, and whether it only reads. Everything else derives from it:
 *
 * - the server's `Driver` is `MachineMethods<DriverCall>` (the operation's fence rides in the call);
 * - the host agent's `Backend` is `MachineMethods<AbortSignal>` plus what a host reports of itself;
 * - the list of methods that travel to a host, and the read-only ones;
 * - `machineProxy()`, one generic marshaller that turns calls into (method, arguments) and back,
 *   used by the agent driver and by every adapter that carries calls somewhere.
 *
 * The rules every implementation keeps (the simulated driver is their executable specification,
 * `test/conformance/driver-suite.ts` the suite every driver passes):
 * - every method takes its caller's context last (and an `onProgress` after it, where it has
 *   one). When the context's signal fires, the method rejects promptly; the machine may still
 *   finish the action on its own, as hardware does;
 * - every method is safe to call again, also after a crash: a call made while the same action is
 *   in flight joins it instead of starting a second one;
 * - an implementation observes before it acts, and never trusts its memory over what it observes.
 */
import { MachineDiskSchema, MachineSpecSchema, POWER_MODES, type ImageProgress, type MachineAccess, type MachineMetrics, type MachineStatus, type RebootResult } from "./host.js";
import { t, type AnySchema, type Infer, type Issue } from "./schema.js";

/** What a method acts on, which is how a call finds its host: an instance's, an image's, a disk's. */
export type MachineTarget = "instance" | "image" | "disk";

/** A result type, carried by the type system only: results are the implementation's, not validated. */
export interface Returns<R> {
  readonly __returns?: R;
}
const returns = <R>(): Returns<R> => ({});

interface MethodSpec {
  on: MachineTarget;
  /** Only reads: runs outside any operation, carries no fence, and a host never records it. */
  read: boolean;
  args: readonly AnySchema[];
  result: Returns<unknown>;
  /** Reports progress (0–100) while it runs, to an `onProgress` after the context. */
  progress?: true;
}

const machineId = () => t.string({ maxLength: 128 });
const imageId = () => t.string({ maxLength: 128 });
const diskId = () => t.string({ maxLength: 128 });
const powerMode = () => t.string({ enum: POWER_MODES });
const bootCount = () => t.int({ min: 0 });

export const MACHINE_CONTRACT = {
  /** Postcondition: the machine exists with `spec`, powered off. Idempotent. */
  provision: { on: "instance", read: false, args: [machineId(), MachineSpecSchema], result: returns<void>() },
  /** Postcondition: the machine runs and its guest booted again (a new boot id). A no-op when it runs already. */
  powerOn: { on: "instance", read: false, args: [machineId()], result: returns<void>() },
  /** Postcondition: the machine is stopped. `soft` asks the guest; `hard` cuts power at once. */
  powerOff: { on: "instance", read: false, args: [machineId(), powerMode()], result: returns<void>() },
  /**
   * Postcondition: the guest booted again since boot count `fromBootCount` (the count the caller
   * read before it asked: the boot count grew, a new boot id) and runs. Compare-and-act: when the
   * machine has booted since `fromBootCount` already (a soft reboot that finished while its answer
   * was lost, a partition, a caller that resumes), it acts no further and answers
   * `alreadyBooted: true`, so a late hard fallback never reboots twice. `soft` asks the guest (its
   * agent, else ACPI); `hard` resets at once, and cuts a soft reboot in flight short.
   */
  reboot: { on: "instance", read: false, args: [machineId(), powerMode(), bootCount()], result: returns<RebootResult>() },
  /** The power state now, with the boot count and boot id. Changes nothing, except completing an action whose time is up. */
  status: { on: "instance", read: true, args: [machineId()], result: returns<MachineStatus>() },
  /** Waits for any action in flight to end, then returns the status. */
  settle: { on: "instance", read: true, args: [machineId()], result: returns<MachineStatus>() },
  /** Postcondition: a point-in-time copy of the disks is being made for the image; the machine goes on. */
  snapshot: { on: "instance", read: false, args: [machineId(), imageId()], result: returns<void>() },
  /** Postcondition: the image is complete and bootable. Progress 0–100 from the real copy. */
  buildImage: { on: "image", read: false, args: [imageId()], result: returns<void>(), progress: true },
  /** How far the build of the image has come. */
  imageProgress: { on: "image", read: true, args: [imageId()], result: returns<ImageProgress>() },
  /** Postcondition: the image and its files are gone. Idempotent. */
  deleteImage: { on: "image", read: false, args: [imageId()], result: returns<void>() },
  /**
   * Postcondition: a complete container image is also the community version `asImageId`, a copy
   * of its own in the registry's community namespace that any host runs by that id, and that
   * outlives the image. Idempotent. An image of a virtual machine is refused.
   */
  publishImage: { on: "image", read: false, args: [imageId(), imageId()], result: returns<void>() },
  /** Postcondition: the boot disk holds a fresh copy of the image; the machine is stopped. */
  reinstall: { on: "instance", read: false, args: [machineId(), imageId()], result: returns<void>() },
  /** Postcondition: the machine has `spec` from its next boot (CPU, memory, disk grown); it is stopped. */
  resize: { on: "instance", read: false, args: [machineId(), MachineSpecSchema], result: returns<void>() },
  /** Postcondition: the guest's login password is `password` (plain text, never logged). */
  resetPassword: { on: "instance", read: false, args: [machineId(), t.string({ maxLength: 512 })], result: returns<void>() },
  /** Postcondition: the machine and its boot disk no longer exist (status `absent`). Idempotent. */
  destroy: { on: "instance", read: false, args: [machineId()], result: returns<void>() },
  /** Postcondition: the data disk exists (created empty if new) and is attached (hot-plugged when running). Idempotent. */
  attachDisk: { on: "instance", read: false, args: [machineId(), MachineDiskSchema], result: returns<void>() },
  /** Postcondition: the data disk is no longer attached; it is kept. Needs a stopped machine. Idempotent. */
  detachDisk: { on: "instance", read: false, args: [machineId(), diskId()], result: returns<void>() },
  /** Postcondition: the data disk has `sizeGb` (never smaller). */
  resizeDisk: { on: "disk", read: false, args: [diskId(), t.int({ min: 1 })], result: returns<void>() },
  /** Postcondition: the data disk is gone. Idempotent. */
  deleteDisk: { on: "disk", read: false, args: [diskId()], result: returns<void>() },
  /** The tail of the machine's serial console, at most `bytes`. */
  consoleOutput: { on: "instance", read: true, args: [machineId(), t.int({ min: 0 })], result: returns<string>() },
  /** CPU, memory and GPU usage over the last `seconds`, as percentages. */
  metrics: { on: "instance", read: true, args: [machineId(), t.int({ min: 0 })], result: returns<MachineMetrics>() },
  /** Where the machine's SSH server is reachable, or null when it has none yet. */
  access: { on: "instance", read: true, args: [machineId()], result: returns<MachineAccess | null>() },
} as const satisfies Record<string, MethodSpec>;

type Contract = typeof MACHINE_CONTRACT;
export type MachineMethod = keyof Contract;
/** The arguments of a method as they travel (the context and `onProgress` excluded). */
export type MachineArgs<M extends MachineMethod> = InferArgs<Contract[M]["args"]>;
/** Homomorphic over a type parameter, so a tuple of schemas gives a tuple of values. */
type InferArgs<A> = { -readonly [K in keyof A]: Infer<A[K]> };
export type MachineResult<M extends MachineMethod> = Contract[M]["result"] extends Returns<infer R> ? R : never;
type Progress<M extends MachineMethod> = Contract[M] extends { progress: true } ? [onProgress?: (p: ImageProgress) => Promise<void>] : [];

/** The machine contract as methods whose last argument is the caller's context `Ctx`. */
export type MachineMethods<Ctx> = {
  [M in MachineMethod]: (...args: [...MachineArgs<M>, ctx: Ctx, ...Progress<M>]) => Promise<MachineResult<M>>;
};

/** The methods that only read. */
export type ReadMachineMethod = { [M in MachineMethod]: Contract[M]["read"] extends true ? M : never }[MachineMethod];

/** Every method, in the contract's order. */
export const MACHINE_METHODS = Object.keys(MACHINE_CONTRACT) as MachineMethod[];
/** The methods that only read: they carry no fence and are never recorded. */
export const READ_METHODS: ReadonlySet<MachineMethod> = new Set(MACHINE_METHODS.filter((m) => MACHINE_CONTRACT[m].read));

export const isMachineMethod = (name: unknown): name is MachineMethod => typeof name === "string" && Object.hasOwn(MACHINE_CONTRACT, name);

/** The tuple schema of a method's arguments, as a host checks what it receives. */
const ARGS = new Map<MachineMethod, ReturnType<typeof t.tuple>>(MACHINE_METHODS.map((m) => [m, t.tuple(MACHINE_CONTRACT[m].args)]));

/** Checks a method's arguments as received: the parsed arguments, or why they are refused. */
export function parseMachineArgs<M extends MachineMethod>(method: M, args: unknown): { ok: true; args: MachineArgs<M> } | { ok: false; reason: string } {
  const issues: Issue[] = [];
  const parsed = ARGS.get(method)!.parse(args, "args", "strict", issues);
  if (parsed === undefined || issues.length > 0) return { ok: false, reason: issues.map((i) => `${i.path} ${i.reason}`).join("; ") || "args not valid" };
  return { ok: true, args: parsed as MachineArgs<M> };
}

/** One call as it travels: the method, its arguments, the caller's context, and where progress goes. */
export type MachineSend<Ctx> = (method: MachineMethod, args: unknown[], ctx: Ctx, onProgress?: (p: ImageProgress) => Promise<void>) => Promise<unknown>;

/** The machine contract over one `send`: every method marshals its arguments and awaits what `send` answers. */
export function machineProxy<Ctx>(send: MachineSend<Ctx>): MachineMethods<Ctx> {
  const proxy: Record<string, (...all: unknown[]) => Promise<unknown>> = {};
  for (const method of MACHINE_METHODS) {
    const arity = MACHINE_CONTRACT[method].args.length;
    proxy[method] = (...all) => send(method, all.slice(0, arity), all[arity] as Ctx, all[arity + 1] as ((p: ImageProgress) => Promise<void>) | undefined);
  }
  return proxy as unknown as MachineMethods<Ctx>;
}

/** Calls `method` of an implementation with arguments as they travelled: the inverse of machineProxy. */
export function invokeMachine<Ctx>(target: MachineMethods<Ctx>, method: MachineMethod, args: readonly unknown[], ctx: Ctx, onProgress?: (p: ImageProgress) => Promise<void>): Promise<unknown> {
  const fn = target[method] as (...all: unknown[]) => Promise<unknown>;
  return "progress" in MACHINE_CONTRACT[method] ? fn.call(target, ...args, ctx, onProgress) : fn.call(target, ...args, ctx);
}

/**
 * What only reads of an implementation, and nothing else, even at run time: what a request
 * handler gets, since a handler never changes a machine (an operation does).
 */
export function readOnlyMachines<Ctx>(target: MachineMethods<Ctx>): Pick<MachineMethods<Ctx>, ReadMachineMethod> {
  const view: Record<string, unknown> = {};
  for (const method of READ_METHODS) view[method] = (target[method] as (...all: unknown[]) => Promise<unknown>).bind(target);
  return view as Pick<MachineMethods<Ctx>, ReadMachineMethod>;
}
