/**
 * The `ocs` CLI → a real server (a child process, real time, short simulated boots): instances
 * with --wait, batch reboot, images, operations, the output formats, exit codes and credentials.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CompShareClient } from "@opencompshare/sdk";
import { databaseEnv, testDatabase, type TestDatabase } from "../helpers/database.js";
import { poll, spawnServer, type ServerProcess } from "../helpers/process.js";
import { DEFAULT_KEYS } from "../helpers/server.js";
import { ocs, rows, type Run } from "./run-ocs.js";

const REQUEST_ID = /\[request id [0-9a-f-]{36}\]/;

describe("ocs → server", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-cli-api-"));
  let db: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  let env: Record<string, string>;
  let client: CompShareClient;
  const run = (...args: string[]) => ocs(args, env);
  const ok = (r: Run) => assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const state = async (id: string) => (await client.describeCompShareInstance({ UHostIds: [id] })).UHostSet[0]?.State;
  let a = "";
  let b = "";

  before(async () => {
    db = await testDatabase();
    server = await spawnServer({
      ...databaseEnv(db),
      OCS_DATA_DIR: dataDir,
      OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
      OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
      OCS_SIM_BOOT_MS: "300",
      OCS_SIM_IMAGE_MS: "3000",
      OCS_LOG_LEVEL: "warn",
    });
    env = {
      UCLOUD_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
      UCLOUD_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
      UCLOUD_BASE_URL: server.url,
      OCS_CONFIG: join(dataDir, "no-such-config.json"),
      OCS_POLL_INTERVAL_MS: "100",
    };
    client = new CompShareClient({ publicKey: DEFAULT_KEYS.PublicKey, privateKey: DEFAULT_KEYS.PrivateKey, baseUrl: server.url });
  });
  after(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
    rmSync(dataDir, { recursive: true, force: true });
    await db?.drop();
  });

  it("instance create --wait: one Running line per instance, the states as plain lines off a terminal", async () => {
    const r = await run("instance", "create", "--gpu-type", "4090", "--image", "compshareImage-ubuntu2204", "--gpus", "1", "--memory", "96G", "--count", "2", "--name", "cli", "--wait");
    ok(r);
    const lines = rows(r.stdout);
    assert.equal(lines.length, 2);
    for (const [id, result, detail] of lines) {
      assert.match(id ?? "", /^uhost-/);
      assert.equal(result, "ok");
      assert.match(detail ?? "", /^Running after \d/);
    }
    [a, b] = lines.map((l) => l[0] as string) as [string, string];
    assert.match(r.stderr, new RegExp(`^${a}: Running \\([\\d.]+s\\)$`, "m"), "a plain line per state seen");
    assert.ok(!r.stderr.includes("\x1b["), "no live line when stderr is not a terminal");
    assert.equal(await state(a), "Running");
    assert.equal((await client.describeCompShareInstance({ UHostIds: [a] })).UHostSet[0]?.Memory, 98304);
  });

  it("instance list: an aligned table, or the raw response as JSON", async () => {
    const table = await run("instance", "list");
    ok(table);
    const [header, ...lines] = table.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^UHOSTID +NAME +STATE +GPU +CPU +MEMORY +IMAGE +CREATED$/);
    const stateColumn = (header ?? "").indexOf("STATE");
    for (const id of [a, b]) {
      const line = lines.find((l) => l.startsWith(id)) ?? "";
      assert.equal(line.slice(stateColumn, stateColumn + 7), "Running", "columns are aligned");
      assert.match(line, /1 × 4090 +16 +96 GB/);
    }
    const json = await run("instance", "list", "-o", "json");
    ok(json);
    const body = JSON.parse(json.stdout) as { Action: string; RetCode: number; TotalCount: number; UHostSet: Array<{ UHostId: string }> };
    assert.equal(body.Action, "DescribeCompShareInstanceResponse");
    assert.equal(body.RetCode, 0);
    assert.deepEqual(body.UHostSet.map((i) => i.UHostId).sort(), [a, b].sort());
  });

  it("instance get: a key/value view, JSON, and exit 1 for an instance that is not listed", async () => {
    const view = await run("instance", "get", a);
    ok(view);
    assert.match(view.stdout, new RegExp(`^UHostId +${a}$`, "m"));
    assert.match(view.stdout, /^State +Running$/m);
    assert.match(view.stdout, /^Image +compshareImage-ubuntu2204 /m);
    const json = await run("instance", "get", a, "--output", "json");
    assert.equal((JSON.parse(json.stdout) as { UHostSet: unknown[] }).UHostSet.length, 1);
    const missing = await run("instance", "get", "uhost-000000000000");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /InstanceNotFound/);
  });

  it("batch reboot: one result line per instance in the given order, exit 1 because one failed", async () => {
    const r = await run("instance", "reboot", a, "uhost-000000000000", b, "--wait", "--concurrency", "2");
    assert.equal(r.code, 1, r.stderr);
    const lines = rows(r.stdout);
    assert.deepEqual(lines.map((l) => l[0]), [a, "uhost-000000000000", b]);
    assert.deepEqual(lines.map((l) => l[1]), ["ok", "failed", "ok"]);
    assert.match(lines[0]?.[2] ?? "", /^Running after /);
    assert.match(lines[1]?.[2] ?? "", /^InstanceNotFound \(RetCode 8039\): instance uhost-000000000000 does not exist /);
    assert.match(lines[1]?.[2] ?? "", REQUEST_ID);
    assert.match(r.stderr, /1 of 3 failed/);
    assert.match(r.stderr, new RegExp(`^${b}: Running \\(`, "m"));
    assert.equal(await state(a), "Running");
    assert.equal(await state(b), "Running");
    const ops = await client.describeCompShareInstanceOperations({ UHostId: b });
    assert.equal(ops.OperationSet.filter((o) => o.Action === "RebootCompShareInstance" && o.Status === "Succeeded").length, 1);
  });

  it("batch reboot of healthy instances: exit 0; without --wait each is accepted", async () => {
    const r = await run("instance", "reboot", a, b);
    ok(r);
    assert.deepEqual(rows(r.stdout).map((l) => l.slice(1)), [["ok", "reboot accepted"], ["ok", "reboot accepted"]]);
    const waited = await run("instance", "reboot", a, "--wait");
    // Either still locked by the reboot above (refused, exit 1) or accepted and waited for: both end Running.
    if (waited.code === 0) assert.match(waited.stdout, /Running after/);
    else assert.match(waited.stdout, /InstanceOperationInProgress \(RetCode 226610\)/);
    await poll(async () => (await state(a)) === "Running" && (await state(b)) === "Running");
  });

  it("an API error: symbol, RetCode, message and request id, exit 1; -o json prints the raw error answer", async () => {
    ok(await run("instance", "stop", b, "--wait"));
    assert.equal(await state(b), "Stopped");
    const refused = await run("instance", "reboot", b);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /failed +InstanceStateInvalid \(RetCode 8905\): instance .* is Stopped/);
    assert.match(refused.stdout, REQUEST_ID);
    const json = await run("instance", "reboot", b, "-o", "json");
    assert.equal(json.code, 1);
    const body = JSON.parse(json.stdout) as { Action: string; RetCode: number; Message: string };
    assert.deepEqual([body.Action, body.RetCode], ["RebootCompShareInstanceResponse", 8905]);
    assert.match(json.stderr, /InstanceStateInvalid \(RetCode 8905\)/);
    const badKey = await ocs(["instance", "list"], { ...env, UCLOUD_PRIVATE_KEY: "wrong" });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /^ocs: SignatureError \(RetCode 171\): Signature VerifyAC Error \[request id [0-9a-f-]{36}\]$/m);
  });

  it("resize, reinstall, start, rename and reset-password, each waited for", async () => {
    const resize = await run("instance", "resize", b, "--gpus", "2", "--cpu", "32", "--memory", "131072", "--wait");
    ok(resize);
    assert.match(resize.stdout, /ok +Stopped after/);
    const resized = (await client.describeCompShareInstance({ UHostIds: [b] })).UHostSet[0];
    assert.deepEqual([resized?.CPU, resized?.Memory], [32, 131072]);
    const reinstall = await run("instance", "reinstall", b, "--image", "compshareImage-pytorch24", "--password", "s3cret!", "--wait");
    ok(reinstall);
    assert.match(reinstall.stdout, /ok +Running after/);
    ok(await run("instance", "rename", b, "训练机"));
    assert.equal((await client.describeCompShareInstance({ UHostIds: [b] })).UHostSet[0]?.Name, "训练机");
    const reset = await run("instance", "reset-password", b, "--password", "n3w-secret", "--wait");
    ok(reset);
    assert.match(reset.stdout, /ok +done after/);
    const op = (await client.describeCompShareInstanceOperations({ UHostId: b })).OperationSet.find((o) => o.Action === "ResetCompShareInstancePassword");
    assert.equal(op?.Status, "Succeeded");
    const stopped = await run("instance", "stop", b, "--wait");
    ok(stopped);
    const started = await run("instance", "start", b, "--wait");
    ok(started);
    assert.match(started.stdout, /ok +Running after/);
  });

  it("image create --wait, list, get and delete", async () => {
    const made = await run("image", "create", a, "--name", "snap", "--cuda", "12.4", "--app", "jupyter", "--app", "comfyui", "--wait");
    ok(made);
    const [[imageId, result, detail]] = rows(made.stdout) as [[string, string, string]];
    assert.match(imageId, /^compshareImage-/);
    assert.equal(result, "ok");
    assert.match(detail, /^Available after /);
    assert.match(made.stderr, new RegExp(`^${imageId}: Available \\(`, "m"));

    const custom = await run("image", "list", "--custom");
    ok(custom);
    assert.ok(rows(custom.stdout).some((l) => l[0] === imageId && l[1] === "snap" && l[3] === "Available"));
    const platform = await run("image", "list", "--type", "System", "-o", "json");
    assert.ok((JSON.parse(platform.stdout) as { ImageSet: Array<{ ImageType: string }> }).ImageSet.every((i) => i.ImageType === "System"));
    const view = await run("image", "get", imageId);
    ok(view);
    assert.match(view.stdout, /^Software +CUDA 12\.4, jupyter, comfyui$/m);
    ok(await run("image", "get", "compshareImage-ubuntu2204"));

    const deleted = await run("image", "delete", imageId, "compshareImage-nope");
    assert.equal(deleted.code, 1);
    assert.deepEqual(rows(deleted.stdout).map((l) => l.slice(0, 2)), [[imageId, "ok"], ["compshareImage-nope", "failed"]]);
    assert.match(deleted.stdout, /ImageNotFound \(RetCode 226614\)/);
  });

  it("operation list: the records of an instance", async () => {
    const r = await run("operation", "list", b);
    ok(r);
    assert.match(r.stdout, /^OPERATIONID +ACTION +STATUS +PHASE +STARTED +TOOK +ERROR$/m);
    for (const action of ["CreateCompShareInstance", "StopCompShareInstance", "ResizeCompShareInstance", "ReinstallCompShareInstance"]) {
      assert.match(r.stdout, new RegExp(`^op-\\S+ +${action} +Succeeded `, "m"));
    }
    const json = await run("operation", "list", b, "--limit", "2", "-o", "json");
    assert.equal((JSON.parse(json.stdout) as { OperationSet: unknown[] }).OperationSet.length, 2);
  });

  it("terminate refuses a running instance; --stop stops it first; --wait: gone from the list", async () => {
    await poll(async () => (await state(a)) === "Running" && (await state(b)) === "Running");
    const refused = await run("instance", "terminate", a);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /InstanceMustBeStopped \(RetCode 8010\): instance \S+ is Running; TerminateCompShareInstance needs it to be Stopped/);
    assert.equal(await state(a), "Running");
    const r = await run("instance", "terminate", a, b, "--stop", "--wait");
    ok(r);
    assert.deepEqual(rows(r.stdout).map((l) => l[1]), ["ok", "ok"]);
    assert.match(r.stdout, /gone after/);
    assert.equal((await client.describeCompShareInstance()).TotalCount, 0);
  });

  it("--wait-timeout: exit 1 with the last state seen", async () => {
    const id = (await client.createCompShareInstance({ CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "compshareImage-ubuntu2204" })).UHostIds[0] as string;
    await poll(async () => (await state(id)) === "Running");
    // Making an image takes 3 s here; a timeout of 0 allows one poll only.
    const r = await run("image", "create", id, "--name", "never", "--wait", "--wait-timeout", "0");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^compshareImage-\S+ +failed +timed out after [\d.]+s: still "Making"$/m);
  });

  it("credentials from flags, and none at all is a usage error", async () => {
    const none = await ocs(["instance", "list"], { OCS_CONFIG: env.OCS_CONFIG as string });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no credentials/);
    const flags = await ocs(
      ["instance", "list", "--public-key", DEFAULT_KEYS.PublicKey, "--private-key", DEFAULT_KEYS.PrivateKey, "--base-url", server?.url ?? ""],
      { OCS_CONFIG: env.OCS_CONFIG as string },
    );
    ok(flags);
  });

  it("usage errors exit 2 and point at the help", async () => {
    for (const args of [
      ["instance", "frobnicate"],
      ["instance", "reboot"],
      ["instance", "list", "--bogus"],
      ["instance", "list", "-o", "yaml"],
      ["instance", "create", "--gpu-type", "4090"],
      ["instance", "create", "--gpu-type", "4090", "--image", "x", "--memory", "lots"],
      ["instance", "get", "a", "b"],
      ["instance", "rename", "uhost-a"],
      ["instance", "list", "--region"],
      ["nothing"],
    ]) {
      const r = await run(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^ocs: /, args.join(" "));
    }
  });
});
