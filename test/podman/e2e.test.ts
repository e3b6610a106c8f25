/**
 * Container instances through the whole control plane, as a CompShare user meets them: `ocs
 * serve` (OCS_DRIVER=agent) and two `ocs agent` processes on this machine, each with its own
 * podman storage root (two hosts), and one docker-registry serving both.
 *
 * 1. Create from the base image (on whichever host placement picks); SSH in as root on port 23 with the password; write a file.
 * 2. Reboot: a new /run/ocs/boot-id, and one more `ocs-boot-id:` line on the console.
 * 3. A custom image (commit + push); an instance of it on the other host, pulled from the registry: the file is there.
 * 4. CompShare's own CLI, `compshare instance ssh`, runs a command in the container.
 * 5. `kill -9` of the first instance's agent in the middle of a reboot: one reboot operation, one new boot.
 * 6. Terminate both and delete the image: nothing is left in either storage root, nor in the registry.
 *
 *   npm run test:podman
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pythonVenv } from "../compat/venv.js";
import { call, type Keys } from "../helpers/client.js";
import { bootIds, spawnAgent, type AgentProcess } from "../helpers/agent-process.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { ocs } from "../cli/run-ocs.js";
import { sshLogin } from "../qemu/helpers.js";
import { BASE_IMAGE_ID, PODMAN_RUN_ARGS, PODMAN_RUNTIME, podman, podmanWorld, removeStorage, unmountUnder, type PodmanWorld } from "./helpers.js";

const KEYS: Keys = { PublicKey: "podman-e2e-public", PrivateKey: "podman-e2e-private" };
const ZONE = { Region: "cn-wlcb", Zone: "cn-wlcb-01" };
const ROOT_DIR = new URL("../..", import.meta.url).pathname;
const PASSWORD = "Podman-e2e-pass1";
const TEST_MS = 300_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("container instances through the control plane (podman, two hosts, one registry)", { timeout: 30 * 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "ocs-podman-e2e-"));
  const env = { OCS_DATA_DIR: join(root, "data"), OCS_PUBLIC_KEY: KEYS.PublicKey, OCS_PRIVATE_KEY: KEYS.PrivateKey };
  const hosts = ["podman-host-1", "podman-host-2"] as const;
  const state = (i: number) => join(root, `agent-${i + 1}`);
  const storage = (i: number) => join(state(i), "podman");
  const tokens: string[] = [];
  const agents: Array<AgentProcess | undefined> = [undefined, undefined];
  let world: PodmanWorld;
  let server: ServerProcess;
  let cliPython = "";

  const api = async (action: string, params: Record<string, unknown> = {}) => {
    const res = await call(server.url, KEYS, action, params as never);
    assert.equal(res.body.RetCode, 0, `${action}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const describeOne = async (id: string) => ((await api("DescribeCompShareInstance", { ...ZONE, "UHostIds.0": id })).UHostSet as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
  const until = async (what: string, cond: () => Promise<boolean>, ms = 180_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await cond().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${agents.map((a) => a?.output().slice(-2000) ?? "").join("\n")}`);
      await sleep(300);
    }
  };
  const consoleOf = async (id: string) => (await api("GetCompShareInstanceConsoleOutput", { ...ZONE, UHostId: id })).Output as string;
  const login = (command: string) => {
    const m = /^ssh -p (\d+) (\w+)@([\d.]+)$/.exec(command);
    assert.ok(m, `SshLoginCommand: ${command}`);
    return { port: Number(m[1]), user: m[2] as string };
  };
  const ssh = async (id: string, command: string) => {
    const inst = await describeOne(id);
    const { port, user } = login(inst.SshLoginCommand as string);
    assert.equal(user, "root");
    const r = await sshLogin(root, port, user, PASSWORD, command);
    assert.ok(r.ok, r.output);
    return r.output.slice(r.output.indexOf("ocs-ssh-login-ok") + "ocs-ssh-login-ok".length).trim();
  };

  const startAgent = (i: number): AgentProcess =>
    spawnAgent(["--server", server.url, "--token", tokens[i] as string, "--state-dir", state(i), "--images-dir", world.imagesDir, "--backends", "podman", "--registry", world.registry.url, "--podman-runtime", PODMAN_RUNTIME, `--podman-run-args=${PODMAN_RUN_ARGS.join(" ")}`, "--gpus", "emulated:4090x1", "--heartbeat-ms", "1000"]);

  const create = async (imageId: string, name: string): Promise<string> => {
    const body = await api("CreateCompShareInstance", { ...ZONE, MachineType: "G", GpuType: "4090", GPU: 1, CPU: 16, Memory: 65536, CompShareImageId: imageId, Name: name, ChargeType: "Postpay", Password: Buffer.from(PASSWORD).toString("base64") });
    const id = (body.UHostIds as string[])[0] as string;
    await until(`${name} Running`, async () => (await describeOne(id)).State === "Running");
    return id;
  };

  before(async () => {
    world = await podmanWorld();
    cliPython = await pythonVenv(join(ROOT_DIR, "test/compat/compshare-cli/requirements.txt"), "compshare-cli", (l) => console.log(`# compshare-cli: ${l}`));
    server = await spawnServer({ ...env, OCS_DRIVER: "agent", OCS_LOG_LEVEL: "warn", OCS_HOST_LEASE_MS: "5000" });
    for (const h of hosts) {
      const added = await ocs(["host", "add", h], env);
      assert.equal(added.code, 0, added.stderr);
      tokens.push((JSON.parse(added.stdout) as { Token: string }).Token);
    }
    agents[0] = startAgent(0);
    agents[1] = startAgent(1);
    // The base image is listed as a base image (App, a container) once a host has registered it.
    let seen: unknown;
    await until("the base image is listed", async () => {
      const body = (await call(server.url, KEYS, "DescribeCompShareImages", { ...ZONE, ImageType: "App" })).body;
      seen = body;
      return (body.ImageSet as Array<{ CompShareImageId: string }> | undefined)?.some((i) => i.CompShareImageId === BASE_IMAGE_ID) ?? false;
    }, 120_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nDescribeCompShareImages: ${JSON.stringify(seen).slice(0, 3000)}`);
    });
  });

  after(async () => {
    for (const p of [...agents, server]) {
      if (!p) continue;
      p.child.kill("SIGTERM");
      const code = await Promise.race([p.exited, sleep(60_000).then(() => "timeout")]);
      if (code === "timeout") {
        p.child.kill("SIGKILL");
        assert.fail(`a process did not stop on SIGTERM within 60 s:\n${p.output()}`);
      }
    }
    for (const i of [0, 1]) await removeStorage(storage(i));
    await unmountUnder(root);
    await world.close();
    rmSync(root, { recursive: true, force: true });
  });

  let first = "";
  let second = "";
  let image = "";
  /** The host (0 or 1) whose storage holds the container of instance `id`: placement picks it. */
  let firstHost = 0;
  const hostOf = async (id: string): Promise<number> => {
    const on = await Promise.all([0, 1].map(async (i) => (await podman(storage(i), ["ps", "--all", "--format", "{{.Names}}"])).split("\n").includes(`ocs-${id}`)));
    assert.equal(on.filter(Boolean).length, 1, `instance ${id} has its container on exactly one host: ${JSON.stringify(on)}`);
    return on.indexOf(true);
  };

  it("creates from the base image; root logs in on port 23 with the password; a reboot gives a new /run/ocs/boot-id", { timeout: TEST_MS }, async () => {
    const listed = ((await api("DescribeCompShareImages", { ...ZONE, ImageType: "App" })).ImageSet as Array<Record<string, unknown>>).find((i) => i.CompShareImageId === BASE_IMAGE_ID);
    assert.equal(listed?.Container, "True", JSON.stringify(listed));
    const t0 = Date.now();
    first = await create(BASE_IMAGE_ID, "podman-e2e-1");
    console.log(`# create to Running: ${Date.now() - t0} ms`);
    firstHost = await hostOf(first);
    const before = await ssh(first, "cat /run/ocs/boot-id; echo made-here > /root/e2e-file");
    assert.match(before, /^[0-9a-f-]{36}$/m);
    assert.equal(bootIds(await consoleOf(first)).at(-1), before.split("\n")[0]);
    const t1 = Date.now();
    await api("RebootCompShareInstance", { ...ZONE, UHostId: first });
    await until("Rebooting seen or done", async () => ((await api("DescribeCompShareInstanceOperations", { ...ZONE, UHostId: first })).OperationSet as Array<{ Action: string; Status: string }>)[0]?.Status === "Succeeded");
    console.log(`# reboot to Running: ${Date.now() - t1} ms`);
    const after = await ssh(first, "cat /run/ocs/boot-id; cat /root/e2e-file");
    const [bootId, file] = after.split("\n");
    assert.notEqual(bootId, before.split("\n")[0], "a new boot id");
    assert.equal(file, "made-here", "the container's files survive a reboot");
    const ids = bootIds(await consoleOf(first));
    assert.deepEqual(ids.slice(-2), [before.split("\n")[0], bootId], "the console shows both boots");
  });

  it("a custom image of it, pushed to the registry, starts on the other host with the file in it", { timeout: TEST_MS }, async () => {
    const t0 = Date.now();
    image = (await api("CreateCompShareCustomImage", { ...ZONE, UHostId: first, Name: "podman-e2e-image" })).CompShareImageId as string;
    await until("the custom image is Available", async () => ((await api("DescribeCompShareCustomImages", { ...ZONE, CompShareImageId: image })).ImageSet as Array<{ Status: string }>)[0]?.Status === "Available");
    console.log(`# custom image of the base image: ${Date.now() - t0} ms`);
    const tags = (await (await fetch(`${world.registry.url}/v2/ocs/custom/tags/list`)).json()) as { tags: string[] };
    assert.ok(tags.tags.includes(image), JSON.stringify(tags));
    // The first instance's host gave it its only GPU: the second goes to the other host, which pulls the image.
    second = await create(image, "podman-e2e-2");
    assert.equal(await hostOf(second), 1 - firstHost, "the second instance runs on the other host");
    assert.equal(await ssh(second, "cat /root/e2e-file"), "made-here");
  });

  it("CompShare's own CLI runs a command in the container: compshare instance ssh", { timeout: TEST_MS }, async () => {
    const home = join(root, "cli-home");
    mkdirSync(home, { recursive: true });
    const run = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(cliPython, [join(ROOT_DIR, "test/compat/compshare-cli/compshare_local.py"), "--json", "instance", "ssh", second, "--no-cache", "--", "cat", "/root/e2e-file"], {
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("COMPSHARE_"))),
          // The CLI's askpass helper is a script of its venv.
          PATH: `${dirname(cliPython)}:${process.env.PATH ?? ""}`,
          HOME: home,
          XDG_CONFIG_HOME: join(home, ".config"),
          XDG_CACHE_HOME: join(home, ".cache"),
          COMPSHARE_CONFIG_FILE: join(home, "config.json"),
          COMPSHARE_SSH_CACHE_FILE: join(home, "ssh-cache.json"),
          COMPSHARE_PUBLIC_KEY: KEYS.PublicKey,
          COMPSHARE_PRIVATE_KEY: KEYS.PrivateKey,
          COMPSHARE_LANG: "en",
          OCS_COMPAT_BASE_URL: server.url,
          PYTHONDONTWRITEBYTECODE: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("close", (code) => resolve({ code, out, err }));
    });
    assert.equal(run.code, 0, `${run.out}\n${run.err}`);
    const doc = JSON.parse(run.out.trim().split("\n").pop() as string) as { ok: boolean; data: { instance: string; exit_code: number; stdout: string; credential_source: string } };
    assert.equal(doc.ok, true, run.out);
    assert.deepEqual([doc.data.instance, doc.data.exit_code, doc.data.stdout.trim(), doc.data.credential_source], [second, 0, "made-here", "api"], run.out);
  });

  it("kill -9 of the agent in the middle of a reboot: one reboot operation, one new boot", { timeout: TEST_MS }, async () => {
    const before = bootIds(await consoleOf(first));
    await api("RebootCompShareInstance", { ...ZONE, UHostId: first });
    // The soft stop is under way: the container is going down or down.
    await until("the container goes down for the reboot", async () => !(await podman(storage(firstHost), ["ps", "--format", "{{.Names}}"])).includes(`ocs-${first}`), 60_000);
    const killed = agents[firstHost] as AgentProcess;
    killed.child.kill("SIGKILL");
    assert.equal(await killed.exited, "SIGKILL");
    agents[firstHost] = startAgent(firstHost);
    await until("Running again", async () => {
      const ops = (await api("DescribeCompShareInstanceOperations", { ...ZONE, UHostId: first })).OperationSet as Array<{ Action: string; Status: string }>;
      return ops[0]?.Status === "Succeeded" && (await describeOne(first)).State === "Running";
    });
    const after = bootIds(await consoleOf(first));
    assert.equal(after.length, before.length + 1, "exactly one new boot");
    const ops = (await api("DescribeCompShareInstanceOperations", { ...ZONE, UHostId: first })).OperationSet as Array<{ Action: string; Status: string }>;
    assert.deepEqual(
      ops.filter((o) => o.Action === "RebootCompShareInstance").map((o) => o.Status),
      ["Succeeded", "Succeeded"],
    );
    assert.equal((await ssh(first, "cat /run/ocs/boot-id")).split("\n")[0], after.at(-1));
  });

  it("terminating both and deleting the image leaves nothing in either storage root, nor in the registry", { timeout: TEST_MS }, async () => {
    for (const id of [first, second]) {
      await api("StopCompShareInstance", { ...ZONE, UHostId: id });
      await until(`${id} Stopped`, async () => (await describeOne(id)).State === "Stopped");
      await api("TerminateCompShareInstance", { ...ZONE, UHostId: id });
    }
    for (const id of [first, second]) await until(`${id} released`, async () => ((await api("DescribeCompShareInstance", { ...ZONE, "UHostIds.0": id })).UHostSet as unknown[]).length === 0);
    await api("TerminateCompShareCustomImage", { ...ZONE, CompShareImageId: image });
    await until("the image's tag is gone from the registry", async () => {
      const tags = (await (await fetch(`${world.registry.url}/v2/ocs/custom/tags/list`)).json()) as { tags: string[] | null };
      return !(tags.tags ?? []).includes(image);
    });
    for (const i of [0, 1]) {
      assert.equal((await podman(storage(i), ["ps", "--all", "--format", "{{.Names}}"])).trim(), "", `no container on host ${i + 1}`);
      assert.equal((await podman(storage(i), ["images", "--format", "{{.Repository}}:{{.Tag}}"])).trim(), "", `no image on host ${i + 1}`);
    }
  });
});
