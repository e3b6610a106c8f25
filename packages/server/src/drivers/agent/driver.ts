/**
 * The agent driver: the machine contract, carried to the host a call's target lives on. Each call
 * becomes a command in that host's queue with the caller's fence (the instance epoch) and waits
 * for the host's report. A host that refuses a stale epoch answers StaleEpoch; a backend that
 * refuses answers DriverError, as the simulated driver would.
 *
 * One generic `send` serves every method: the contract says what each acts on (an instance, an
 * image, a disk), which is how its host is found. What a call means when its target is on no
 * host is the only thing said per method, below.
 */
import { faultMethodOf, MACHINE_CONTRACT, machineProxy, type ImageProgress, type MachineMethod, type MachineStatus } from "@opencompshare/protocol";
import { takeFault } from "../../controls/faults.js";
import { hostOfDisk } from "../../store/repositories/disks.js";
import { imageWhereabouts } from "../../store/repositories/images.js";
import { hostOfInstance as instanceHost } from "../../store/repositories/instances.js";
import type { Db } from "../../store/schema.js";
import { DriverError, StaleEpoch, type Driver, type DriverCall } from "../driver.js";
import type { CommandQueue } from "./queue.js";

const ABSENT: MachineStatus = { power: "absent", bootCount: 0 };

/**
 * The answer of a call whose target is on no host, where that has one. A machine never placed
 * exists nowhere; an image never completed, or a disk never made, has nothing to delete or grow.
 * Any other call on nothing is a DriverError.
 */
const ON_NO_HOST: Partial<Record<MachineMethod, () => unknown>> = {
  status: () => ABSENT,
  settle: () => ABSENT,
  destroy: () => undefined,
  deleteImage: () => undefined,
  resizeDisk: () => undefined,
  deleteDisk: () => undefined,
};

/** Where a call goes: the host, and the instance whose fence record the host keeps for it. */
interface Route {
  hostId: string;
  instanceId: string | null;
}

/** The driver over the hosts' command queues: every method of the machine contract, through one `send`. */
export function agentDriver(db: Db, queue: CommandQueue): Driver {
  /** The host an instance was placed on. Placement never moves an instance, so this never goes stale. */
  const hostOfInstance = (id: string): Promise<string | null> => instanceHost(db, id);

  /**
   * Where an image's files are, or, while it is being made, the host of the instance it is made
   * from. Deleting goes only where the files are: an image never completed has none.
   */
  async function hostOfImage(method: MachineMethod, imageId: string): Promise<Route | null> {
    const image = await imageWhereabouts(db, imageId);
    // A build belongs to the instance it is made from (the host keeps its fence there); a read or a delete to none.
    const instanceId = method === "buildImage" ? (image?.sourceInstanceId ?? null) : null;
    if (image?.hostId) return { hostId: image.hostId, instanceId };
    if (method === "deleteImage") return null;
    const source = image?.sourceInstanceId ? await hostOfInstance(image.sourceInstanceId) : null;
    return source ? { hostId: source, instanceId } : null;
  }

  async function route(method: MachineMethod, target: string): Promise<Route | null> {
    switch (MACHINE_CONTRACT[method].on) {
      case "instance": {
        const hostId = await hostOfInstance(target);
        return hostId ? { hostId, instanceId: target } : null;
      }
      case "disk": {
        const hostId = await hostOfDisk(db, target);
        return hostId ? { hostId, instanceId: null } : null;
      }
      case "image":
        return hostOfImage(method, target);
    }
  }

  async function send(method: MachineMethod, args: unknown[], call: DriverCall, onProgress?: (p: ImageProgress) => Promise<void>): Promise<unknown> {
    const to = await route(method, String(args[0]));
    if (!to) {
      const nothing = ON_NO_HOST[method];
      if (nothing) return nothing();
      throw new DriverError(method, `${MACHINE_CONTRACT[method].on} ${String(args[0])} is on no host`);
    }
    if (call.signal.aborted) throw call.signal.reason;
    // An image's progress is asked outside any operation, whoever asks.
    const fence = method === "imageProgress" ? undefined : call.fence;
    // A fault armed by a test travels with the command: the host's agent applies it before it acts.
    const fault = await takeFault(db, faultMethodOf(method, args), String(args[0]));
    const id = await queue.enqueue({ hostId: to.hostId, method, instanceId: to.instanceId, operationId: fence?.operationId ?? null, epoch: fence?.epoch ?? 0, args, fault });
    const outcome = await queue.wait(id, call.signal, onProgress as ((p: unknown) => Promise<void>) | undefined);
    if (outcome.status === "done") return outcome.value;
    if (outcome.status === "cancelled") throw new DriverError(method, `the command to host ${to.hostId} was cancelled`);
    if (outcome.kind === "stale") throw new StaleEpoch(method, outcome.message);
    throw new DriverError(method, outcome.message);
  }

  return { name: "agent", ...machineProxy<DriverCall>(send) };
}
