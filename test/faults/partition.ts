/**
 * The agent partition during a reboot (issue 27, defect 2, on a real guest): one `ocs serve` with
 * OCS_DRIVER=agent on a database of its own on the suite's PostgreSQL, `ocs host add`, one
 * `ocs agent` process with the real QEMU backend (TCG, emulated GPUs) and the busybox guest of
 * `npm run guest-image`, one instance Running. Then a RebootCompShareInstance with a short
 * OCS_SOFT_TIMEOUT_MS; once its soft reboot command is delivered (its host_commands row is
 * 'delivered') and the guest has gone down for it (`ocs-guest: shutdown` on the serial console,
 * which QEMU writes itself), about 1 s after the delivery, the agent process (and only it: QEMU
 * is a daemon of its own and goes on) is stopped with SIGSTOP. It stays stopped past the soft
 * timeout and a margin, until the control plane has sent the hard fallback and the guest has
 * finished the soft reboot (bounded, well inside the host's lease), then SIGCONT.
 *
 * Invariants: the operation ends Succeeded; exactly one new boot id (the guest's `ocs-boot-id:`
 * lines, through GetCompShareInstanceConsoleOutput and in serial.log alike); its Phase is
 * `soft-finished-late` when the soft reboot finished during the pause (the hard reboot carries
 * the boot count the operation started from, and the host compares before it acts: commit
 * 564de3c); no Describe sample reads the state empty; nothing transitional longer than
 * OCS_LOCK_TTL_S + OCS_LEASE_MS + OCS_RECOVERY_INTERVAL_MS.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TRANSITIONAL } from "@opencompshare/protocol";
import type { KillablePostgres } from "../../scripts/embedded-postgres.js";
import { IMAGE_ID, defaultPaths } from "../../scripts/guest-image/build.js";
import { ocs } from "../cli/run-ocs.js";
import { DEFAULT_KEYS, REGION } from "../helpers/server.js";
import { guestImage, imagesDir, killQemusUnder, qemuPidsUnder } from "../qemu/helpers.js";
import { Api, enveloped, histogram } from "./api.js";
import { check, histogramOf, say, secs } from "./checks.js";
import { freshDatabase, query } from "./database.js";
import { FROM_SOURCE, checkStopped, procState, qemuRoots, spawnAgent, spawnReplica, terminate, type AgentProcess } from "./processes.js";
import type { ServerProcess } from "../helpers/process.js";

export const PARTITION = "agent partition during a reboot";

/** Short enough for the suite, long enough for the guest to be asked (the soft reboot itself finishes during the pause). */
const SOFT_TIMEOUT_MS = 12_000;
/** The agent is stopped this long after the soft reboot command is delivered (or once the guest went down, if later). */
const STOP_AFTER_DELIVERY_MS = 1000;
/** How long after the soft timeout the agent stays stopped, at least. */
const PAUSE_MARGIN_MS = 3000;
/** The longest the agent stays stopped (a TCG guest's reboot on a busy machine may take 30 s). */
const MAX_PAUSE_MS = 45_000;
/** Longer than the longest pause: the host is never given up on (test/agent/partition.test.ts has a host silent past its lease). */
const HOST_LEASE_MS = 90_000;
const LOCK_TTL_S = 90;
const LEASE_MS = 15_000;
const RECOVERY_INTERVAL_MS = 5000;
/** The longest an instance may be transitional: the lock's TTL, the operation's lease, a recovery pass. */
const TRANSIT_BOUND_MS = LOCK_TTL_S * 1000 + LEASE_MS + RECOVERY_INTERVAL_MS;
/** A Describe every SAMPLE_MS while the scenario runs; at most MAX_SAMPLES. */
const SAMPLE_MS = 500;
const MAX_SAMPLES = 1200;
/** The first boot of a TCG guest on a busy 2-core machine. */
const BOOT_MAX_MS = 150_000;
const PASSWORD = Buffer.from("Faults-pass-1").toString("base64");
const BOOT_ID = /ocs-boot-id: ([0-9a-f-]{36})/g;

const bootIds = (text: string): string[] => [...text.matchAll(BOOT_ID)].map((m) => m[1] as string);
const readIf = (file: string): string => (existsSync(file) ? readFileSync(file, "utf8") : "");

/** The guest image `npm run guest-image` built (./data/images), else the QEMU tests' cached build (made when missing). */
async function guestImageFolder(): Promise<string> {
  const built = defaultPaths().out;
  if (existsSync(join(built, "image.json"))) return built;
  return (await guestImage()).folder;
}

interface CommandRow {
  id: string;
  method: string;
  status: string;
  created_at: string;
  delivered_at: string | null;
  done_at: string | null;
}

/** Polls `cond` every `everyMs` until it holds or `ms` pass; resolves with whether it held. */
async function waitFor(cond: () => Promise<boolean> | boolean, ms: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < Math.ceil(ms / everyMs) + 1; i++) {
    if (await Promise.resolve(cond()).catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
  return false;
}

export async function partitionScenario(server: KillablePostgres): Promise<void> {
  const dbUrl = await freshDatabase(server, "ocs_faults_partition");
  const root = mkdtempSync(join(tmpdir(), "ocs-faults-partition-"));
  qemuRoots.push(root);
  const dataDir = join(root, "data");
  const agentState = join(root, "agent");
  mkdirSync(dataDir);
  const api = new Api();
  const exits: string[] = [];
  let replica: ServerProcess | undefined;
  let agent: AgentProcess | undefined;
  let id = "";
  const samples: Array<{ at: number; state: string }> = [];
  let sampling = true;
  let sampler: Promise<void> = Promise.resolve();
  try {
    const images = imagesDir(root, await guestImageFolder());
    const env = {
      OCS_DATA_DIR: dataDir,
      OCS_DATABASE_URL: dbUrl,
      OCS_MASTER_KEY: "a".repeat(64),
      OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
      OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
    };
    replica = await spawnReplica("partition-server", {
      ...env,
      OCS_DRIVER: "agent",
      OCS_SOFT_TIMEOUT_MS: String(SOFT_TIMEOUT_MS),
      OCS_HOST_LEASE_MS: String(HOST_LEASE_MS),
      OCS_LOCK_TTL_S: String(LOCK_TTL_S),
      OCS_LEASE_MS: String(LEASE_MS),
      OCS_RECOVERY_INTERVAL_MS: String(RECOVERY_INTERVAL_MS),
      OCS_RATE_LIMIT_RPS: "0",
      OCS_LOG_LEVEL: "warn",
    });
    const serve = replica;
    void replica.exited.then((how) => exits.push(`ocs serve exited (${String(how)})`));
    const added = await ocs(["host", "add", "faults-host-1"], { ...env, NODE_OPTIONS: FROM_SOURCE });
    if (added.code !== 0) throw new Error(`ocs host add: ${added.stderr}`);
    const token = (JSON.parse(added.stdout) as { Token: string }).Token;
    agent = spawnAgent("partition-agent", ["--server", replica.url, "--token", token, "--state-dir", agentState, "--images-dir", images, "--accel", "tcg", "--gpus", "emulated:4090x8", "--heartbeat-ms", "1000"], { OCS_LOG_LEVEL: "info" });
    const stoppedPid = agent.pid;
    void agent.exited.then((how) => exits.push(`ocs agent exited (${String(how)})`));
    say(`ocs serve (OCS_DRIVER=agent) on ${replica.url}, database ocs_faults_partition; ocs agent pid ${agent.pid}, state in ${agentState}`);
    const listed = await waitFor(async () => {
      const res = await api.call(serve, "DescribeCompShareImages", { ...REGION, ImageType: "System" }, 10_000);
      return ((res.body.ImageSet ?? []) as Array<{ CompShareImageId: string }>).some((i) => i.CompShareImageId === IMAGE_ID);
    }, 60_000);
    if (!listed) throw new Error(`the host did not offer ${IMAGE_ID} within 60 s:\n${agent.output().slice(-3000)}`);

    // One instance, Running on a real guest. From here on, Describe is sampled.
    const createdAt = Date.now();
    const created = await api.call(replica, "CreateCompShareInstance", { ...REGION, MachineType: "G", GpuType: "4090", GPU: 1, CPU: 16, Memory: 65536, CompShareImageId: IMAGE_ID, ChargeType: "Postpay", Password: PASSWORD, Name: "faults-partition" }, 30_000);
    if (created.retCode !== 0) throw new Error(`create: ${JSON.stringify(created.body)} ${created.error}`);
    id = (created.body.UHostIds as string[])[0] as string;
    const instanceId = id;
    const describeState = async (): Promise<string | undefined> => {
      const res = await api.call(serve, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": instanceId }, 10_000);
      if (res.retCode !== 0) return undefined;
      return ((res.body.UHostSet ?? []) as Array<{ State?: string }>)[0]?.State ?? "(missing)";
    };
    sampler = (async () => {
      for (let i = 0; i < MAX_SAMPLES && sampling; i++) {
        const state = await describeState();
        if (state !== undefined) samples.push({ at: Date.now(), state });
        await sleep(SAMPLE_MS);
      }
    })();
    const serialLog = join(agentState, "machines", id, "serial.log");
    const serial = (): string => readIf(serialLog);
    const running = await waitFor(async () => samples.at(-1)?.state === "Running" && bootIds(serial()).length >= 1, BOOT_MAX_MS, 500);
    const bootMs = Date.now() - createdAt;
    check(`[${PARTITION}] the instance is Running on a real QEMU guest (TCG) with one boot id on its console`, running && bootIds(serial()).length === 1, `${secs(bootMs)} from CreateCompShareInstance; boot ids ${bootIds(serial()).join(", ") || "none"}`);
    if (!running) throw new Error(`the instance did not become Running within ${secs(BOOT_MAX_MS)}:\n${agent.output().slice(-3000)}`);
    const qemuPid = Number(readIf(join(agentState, "machines", id, "qemu.pid")).trim());
    const before = bootIds(serial());
    const downsBefore = serial().split("ocs-guest: shutdown").length;

    // The reboot; its soft command delivered; the agent stopped about 1 s later, once the guest went down.
    const reboot = await api.call(replica, "RebootCompShareInstance", { ...REGION, UHostId: id }, 20_000);
    if (reboot.retCode !== 0) throw new Error(`reboot: ${JSON.stringify(reboot.body)} ${reboot.error}`);
    const commands = (): Promise<CommandRow[]> => query<CommandRow>(dbUrl, "select id, method, status, created_at, delivered_at, done_at from host_commands where instance_id = $1 and method = 'reboot' order by created_at", [instanceId]);
    let soft: CommandRow | undefined;
    await waitFor(async () => {
      soft = (await commands())[0];
      return soft?.delivered_at !== null && soft?.delivered_at !== undefined;
    }, 30_000, 100);
    if (!soft?.delivered_at) throw new Error(`the soft reboot command was not delivered within 30 s: ${JSON.stringify(soft)}`);
    const deliveredAt = Number(soft.delivered_at);
    const wentDown = await waitFor(() => Date.now() >= deliveredAt + STOP_AFTER_DELIVERY_MS && serial().split("ocs-guest: shutdown").length > downsBefore, 15_000, 50);
    process.kill(agent.pid, "SIGSTOP");
    const stoppedAt = Date.now();
    // How the agent asked the guest (machine.json's pending reboot): through the guest agent, the guest reboots on its own.
    const via = (/"via":\s*"(\w+)"/.exec(readIf(join(agentState, "machines", id, "machine.json"))) ?? [])[1] ?? "?";
    say(`agent stopped (SIGSTOP to pid ${agent.pid}) ${secs(stoppedAt - deliveredAt)} after the soft reboot command was delivered${wentDown ? ", the guest going down" : " (the guest had not gone down yet)"}; soft reboot asked via ${via}`);

    // Stopped past the soft timeout and the margin, until the hard fallback is sent and the guest booted again.
    const softDeadline = Number(soft.created_at) + SOFT_TIMEOUT_MS + PAUSE_MARGIN_MS;
    let states = { agent: "", qemu: "" };
    let hardSent = false;
    let bootedInPause = false;
    await waitFor(async () => {
      states = { agent: procState(stoppedPid), qemu: qemuPid ? procState(qemuPid) : "no pidfile" };
      hardSent = (await commands()).length >= 2;
      bootedInPause = bootIds(serial()).length > before.length;
      return Date.now() >= softDeadline && hardSent && bootedInPause;
    }, MAX_PAUSE_MS, 250);
    const bootsInPause = bootIds(serial()).length - before.length;
    process.kill(agent.pid, "SIGCONT");
    const resumedAt = Date.now();
    say(`agent continued (SIGCONT) after ${secs(resumedAt - stoppedAt)}: ${Math.max(0, bootsInPause)} new boot(s) on the console meanwhile; hard fallback sent: ${hardSent}`);
    check(
      `[${PARTITION}] the agent was stopped about 1 s after the soft reboot command was delivered, and QEMU went on`,
      stoppedAt - deliveredAt >= STOP_AFTER_DELIVERY_MS && stoppedAt - deliveredAt < STOP_AFTER_DELIVERY_MS + 10_000 && states.agent === "T" && !["T", "gone", "no pidfile"].includes(states.qemu),
      `stopped ${secs(stoppedAt - deliveredAt)} after the delivery (the guest ${wentDown ? "was going down" : "had not gone down"}); during the pause the agent's state was ${states.agent}, QEMU's (pid ${qemuPid}) ${states.qemu}`,
    );
    check(
      `[${PARTITION}] the agent stayed stopped past the soft timeout + ${secs(PAUSE_MARGIN_MS)}, and the control plane sent the hard fallback meanwhile`,
      resumedAt >= softDeadline && hardSent,
      `stopped for ${secs(resumedAt - stoppedAt)}, resumed ${secs(resumedAt - Number(soft.created_at))} after the soft command was made (soft timeout ${secs(SOFT_TIMEOUT_MS)}); reboot commands: ${(await commands()).map((c) => c.status).join(", ")}`,
    );
    check(`[${PARTITION}] the guest finished the soft reboot during the pause (a new boot id on the console before SIGCONT)`, bootsInPause === 1, `${bootsInPause} new boot id(s) before SIGCONT`);

    // The operation ends, and the instance is Running again.
    const opOf = async (): Promise<{ Status: string; Phase: string } | undefined> => {
      const res = await api.call(serve, "DescribeCompShareInstanceOperations", { Region: REGION.Region, UHostId: instanceId, Limit: 100 }, 10_000);
      return ((res.body.OperationSet ?? []) as Array<{ RequestId: string; Status: string; Phase: string }>).find((o) => o.RequestId === reboot.requestId);
    };
    let op: { Status: string; Phase: string } | undefined;
    await waitFor(async () => {
      op = await opOf();
      return op !== undefined && op.Status !== "Running" && samples.at(-1)?.state === "Running";
    }, Math.max(0, reboot.at + TRANSIT_BOUND_MS - Date.now()), 500);
    const endedAt = Date.now();
    say(`the reboot operation is ${op?.Status ?? "missing"} (phase ${op?.Phase ?? "?"}), ${secs(endedAt - resumedAt)} after SIGCONT`);
    await sleep(2000); // a late second boot, had the hard reboot been done, would show by now (it shows within the wait above too)
    sampling = false;
    await sampler;

    // -- the checks
    const consoleOut = await api.call(replica, "GetCompShareInstanceConsoleOutput", { ...REGION, UHostId: id, Length: 1024 * 1024 }, 20_000);
    const viaApi = bootIds(String(consoleOut.body.Output ?? ""));
    const onSerial = bootIds(serial());
    const newViaApi = viaApi.filter((b) => !before.includes(b));
    const newOnSerial = onSerial.filter((b) => !before.includes(b));
    check(`[${PARTITION}] the operation ended Succeeded`, op?.Status === "Succeeded", `Status ${op?.Status ?? "missing"}, Phase ${op?.Phase ?? "?"}`);
    check(
      `[${PARTITION}] exactly one new boot id (GetCompShareInstanceConsoleOutput and serial.log agree)`,
      newViaApi.length === 1 && newOnSerial.length === 1 && newViaApi[0] === newOnSerial[0] && consoleOut.retCode === 0,
      `before: ${before.join(", ")}; new through the API: ${newViaApi.join(", ") || "none"}; new in serial.log: ${newOnSerial.join(", ") || "none"}`,
    );
    if (bootsInPause >= 1) {
      check(`[${PARTITION}] the soft reboot finished during the pause, so its Phase is soft-finished-late (the hard fallback compared and did not reset)`, op?.Phase === "soft-finished-late", `Phase ${op?.Phase ?? "?"}${agent.output().includes("has booted since: not done again") ? "; the agent logged: reboot asked of a machine that has booted since: not done again" : ""}`);
    }
    const empty = samples.filter((s) => s.state === "" || s.state === "(missing)");
    check(`[${PARTITION}] no Describe sample read the state empty`, samples.length > 0 && empty.length === 0, `${samples.length} samples: ${histogramOf(samples.map((s) => s.state || '""'))}`);
    let longest = 0;
    let since: number | undefined;
    for (const s of samples) {
      if (TRANSITIONAL.has(s.state)) since ??= s.at;
      else since = undefined;
      if (since !== undefined) longest = Math.max(longest, s.at - since);
    }
    const lastTransitional = samples.at(-1) && TRANSITIONAL.has(samples.at(-1)?.state ?? "");
    check(
      `[${PARTITION}] nothing transitional longer than OCS_LOCK_TTL_S + OCS_LEASE_MS + OCS_RECOVERY_INTERVAL_MS (${secs(TRANSIT_BOUND_MS)})`,
      longest <= TRANSIT_BOUND_MS && !lastTransitional,
      `longest transitional run in the samples: ${secs(longest)}; last sample ${samples.at(-1)?.state ?? "none"}; the reboot took ${secs(endedAt - reboot.at)}`,
    );
    const answers = api.answers.filter((a) => a.action !== "DescribeCompShareImages");
    check(`[${PARTITION}] every API answer was an envelope with HTTP 200`, answers.every(enveloped), `${answers.length} answers: ${histogram(answers)}`);
    check(`[${PARTITION}] ocs serve and ocs agent lived through it`, exits.length === 0, exits.join("; "));
  } finally {
    sampling = false;
    await sampler;
    // The server first, with the agent connected (its long-poll is answered at once), then the agent, then QEMU, each by pid.
    checkStopped(PARTITION, await terminate(replica ? [{ label: "ocs serve (OCS_DRIVER=agent, ocs agent connected)", ...replica }] : []));
    let agentEnd = "not started";
    if (agent) {
      agent.child.kill("SIGCONT");
      const [how] = await terminate([agent]);
      agentEnd = typeof how?.code === "number" ? `exit ${how.code} after ${secs(how.ms)}` : String(how?.code);
    }
    const pidFile = id ? join(agentState, "machines", id, "qemu.pid") : "";
    const qemuPid = pidFile ? Number(readIf(pidFile).trim()) : 0;
    // By the pidfile's pid, when that pid is a QEMU of this scenario's folder; then any other left under it.
    if (qemuPid && qemuPidsUnder(root).includes(qemuPid)) {
      process.kill(qemuPid, "SIGKILL");
      await waitFor(() => procState(qemuPid) === "gone" || procState(qemuPid) === "Z", 5000, 50);
    }
    const leftover = killQemusUnder(root);
    say(`stopped: ocs agent (SIGTERM: ${agentEnd}), QEMU pid ${qemuPid || "none"} (SIGKILL)${leftover.length ? `, leftover QEMU ${leftover.join(", ")}` : ""}`);
    rmSync(root, { recursive: true, force: true });
  }
}
