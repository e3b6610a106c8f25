/**
 * The machine contract is written once (protocol machine.ts) and everything that carries a call
 * derives from it: the generic proxy marshals every method into (method, arguments) and
 * invokeMachine calls an implementation back with exactly those, the context and, for a build,
 * its progress; a host checks arguments against the contract's schemas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invokeMachine, MACHINE_CONTRACT, MACHINE_METHODS, machineProxy, parseMachineArgs, READ_METHODS, type MachineMethod, type MachineMethods } from "@opencompshare/protocol";

const SPEC = { cpu: 16, memory: 65536, gpu: 1, gpuType: "4090", imageId: "compshareImage-ubuntu2204", diskGb: 100, gpuDevices: ["0000:01:00.0"], dataDisks: [{ id: "bsi-1", sizeGb: 20 }] };

/** One valid argument list per method, as it travels. */
const SAMPLE: { [M in MachineMethod]: unknown[] } = {
  provision: ["uhost-1", SPEC],
  powerOn: ["uhost-1"],
  powerOff: ["uhost-1", "soft"],
  reboot: ["uhost-1", "hard", 3],
  status: ["uhost-1"],
  settle: ["uhost-1"],
  snapshot: ["uhost-1", "compshareImage-custom"],
  buildImage: ["compshareImage-custom"],
  imageProgress: ["compshareImage-custom"],
  deleteImage: ["compshareImage-custom"],
  publishImage: ["compshareImage-custom", "compshareImage-version"],
  reinstall: ["uhost-1", "compshareImage-ubuntu2204"],
  resize: ["uhost-1", SPEC],
  resetPassword: ["uhost-1", "Gpu-guest-1"],
  destroy: ["uhost-1"],
  attachDisk: ["uhost-1", { id: "bsi-1", sizeGb: 20 }],
  detachDisk: ["uhost-1", "bsi-1"],
  resizeDisk: ["bsi-1", 40],
  deleteDisk: ["bsi-1"],
  consoleOutput: ["uhost-1", 65536],
  metrics: ["uhost-1", 3600],
  access: ["uhost-1"],
};

describe("the machine contract", () => {
  it("a call through the proxy reaches the implementation with the same arguments, the context, and a build's progress", async () => {
    const seen: Array<{ method: string; all: unknown[] }> = [];
    const recorder = Object.fromEntries(MACHINE_METHODS.map((m) => [m, async (...all: unknown[]) => (seen.push({ method: m, all }), `${m} answered`)])) as unknown as MachineMethods<string>;
    const proxy = machineProxy<string>((method, args, ctx, onProgress) => invokeMachine(recorder, method, args, ctx, onProgress));
    const onProgress = async () => undefined;
    for (const method of MACHINE_METHODS) {
      const call = proxy[method] as (...all: unknown[]) => Promise<unknown>;
      const answer = await call(...SAMPLE[method], "ctx", onProgress);
      assert.equal(answer, `${method} answered`);
      const last = seen.at(-1)!;
      assert.equal(last.method, method);
      const expected = "progress" in MACHINE_CONTRACT[method] ? [...SAMPLE[method], "ctx", onProgress] : [...SAMPLE[method], "ctx"];
      assert.deepEqual(last.all, expected, method);
    }
    assert.equal(seen.length, MACHINE_METHODS.length);
  });

  it("every method's sample arguments pass its schema, and wrong ones are refused, naming the place", () => {
    for (const method of MACHINE_METHODS) {
      const ok = parseMachineArgs(method, SAMPLE[method]);
      assert.ok(ok.ok, `${method}: ${ok.ok ? "" : ok.reason}`);
      assert.deepEqual(ok.ok && ok.args, SAMPLE[method]);
      const short = parseMachineArgs(method, SAMPLE[method].slice(1));
      assert.ok(!short.ok, `${method} with one argument too few`);
      assert.match(short.ok ? "" : short.reason, /^args (expected \d+ items|\.\d )/);
    }
    const bad = parseMachineArgs("reboot", ["uhost-1", "gently", 3]);
    assert.deepEqual(bad, { ok: false, reason: "args.1 one of soft, hard" });
    // A reboot carries the boot count it starts from: a whole number, never negative.
    assert.deepEqual(parseMachineArgs("reboot", ["uhost-1", "hard", -1]), { ok: false, reason: "args.2 at least 0" });
    const spec = parseMachineArgs("provision", ["uhost-1", { ...SPEC, memory: "lots" }]);
    assert.deepEqual(spec, { ok: false, reason: "args.1.memory expected an integer" });
    assert.deepEqual(parseMachineArgs("status", "uhost-1"), { ok: false, reason: "args expected a list" });
  });

  it("the read-only methods are those that change nothing", () => {
    assert.deepEqual([...READ_METHODS].sort(), ["access", "consoleOutput", "imageProgress", "metrics", "settle", "status"]);
  });
});
