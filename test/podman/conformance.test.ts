/**
 * The driver conformance suite (test/conformance/driver-suite.ts) on real podman containers:
 * every machine-contract postcondition, through the agent's executor and fence store, on the
 * podman backend, in wall-clock time. The base image comes from a real registry; the image ids
 * the suite names are platform container images pointing at it. Each test gets fresh agent state;
 * podman's storage is shared by the tests (so the image is pulled once), and every container is
 * removed after each test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after } from "node:test";
import { FenceStore, PodmanBackend } from "@opencompshare/agent";
import { describeDriverConformance, realTime } from "../conformance/driver-suite.js";
import { executorDriver } from "../qemu/executor-driver.js";
import { PODMAN_RUN_ARGS, PODMAN_RUNTIME, podman, podmanWorld, removeStorage, unmountUnder, type PodmanWorld } from "./helpers.js";

const SUITE_IMAGES = ["compshareImage-ubuntu2204", "compshareImage-other"];
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let world: Promise<PodmanWorld> | undefined;
let storage: string | undefined;

after(async () => {
  if (storage) await removeStorage(storage);
  await (await world)?.close();
});

describeDriverConformance("podman backend through the agent's executor (real containers)", async () => {
  world ??= podmanWorld(SUITE_IMAGES);
  const w = await world;
  storage ??= join(w.root, "podman");
  const stateDir = mkdtempSync(join(w.root, "state-"));
  const backend = new PodmanBackend({ stateDir, imagesDir: w.imagesDir, registry: w.registry.url, storageRoot: storage, runtime: PODMAN_RUNTIME, runArgs: PODMAN_RUN_ARGS, log: quiet });
  const driver = executorDriver({ backend, fences: new FenceStore(stateDir), guestMax: { cpus: 1, memory: 512 } });
  return {
    driver,
    // A custom image of a small container takes under a second: time passes in short steps, so that progress is seen part way.
    time: realTime({ runMs: 120_000, quickMs: 15_000, passCapMs: 100 }),
    async close() {
      await backend.close();
      const names = (await podman(storage as string, ["ps", "--all", "--format", "{{.Names}}"])).split("\n").filter(Boolean);
      if (names.length > 0) await podman(storage as string, ["rm", "--force", "--time", "0", ...names]);
      await unmountUnder(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
});
