/**
 * Starts a real server in this process for a test: a temporary data directory with a real
 * SQLite file, a free port, and (by default) a ManualClock that the test moves.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { NestedValue } from "@opencompshare/protocol";
import { createApp, createLogger, loadConfig, withAdmin, type App, type Config, type Credentials } from "@opencompshare/server";
import { ManualClock, settle } from "@opencompshare/server/testing";
import { call, type Answer, type Encoding, type Keys } from "./client.js";
import { databaseEnv, testDatabase } from "./database.js";

export const DEFAULT_KEYS = { PublicKey: "my_public_key", PrivateKey: "my_private_key" };
export const REGION = { Region: "cn-wlcb", Zone: "cn-wlcb-01" };
export const CREATE = {
  ...REGION,
  CPU: 16,
  Memory: 65536,
  GPU: 1,
  GpuType: "4090",
  MachineType: "G",
  CompShareImageId: "compshareImage-ubuntu2204",
};

export interface TestServer {
  url: string;
  app: App;
  clock: ManualClock;
  config: Config;
  /** Every log line of the run. */
  logs: string[];
  keys: Keys;
  call(action: string, params?: Record<string, NestedValue>, keys?: Keys, encoding?: Encoding): Promise<Answer>;
  account(name: string): Promise<Credentials>;
  /** Moves the clock in steps until `done` holds; fails after `maxSteps`. */
  until(done: () => Promise<boolean>, stepMs?: number, maxSteps?: number): Promise<void>;
  /** Creates an instance and waits until it is Running. */
  running(keys?: Keys): Promise<string>;
  /** Stops a Running instance and waits until it is Stopped (CompShare deletes only a Stopped one). */
  stop(id: string, keys?: Keys): Promise<void>;
  state(id: string, keys?: Keys): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  dataDir?: string;
  /** Keep the data directory at close (a later server reuses it). */
  keepData?: boolean;
  /** The console's built files, instead of the console package's dist/. */
  consoleDir?: string;
}

export async function startServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "ocs-test-"));
  const database = await testDatabase();
  const config = loadConfig(
    {},
    {
      ...databaseEnv(database),
      OCS_DATA_DIR: dataDir,
      OCS_PORT: "0",
      OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
      OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
      OCS_LOG_LEVEL: "info",
      // Tests send bursts at one instant of the ManualClock; test/security/rate-limit.test.ts sets its own.
      OCS_RATE_LIMIT_RPS: "0",
      OCS_INSTANCE_QUOTA: "100000",
      // Prepaid creates pay their first period at once: enough for any test's instances (tests of money set their own).
      OCS_INITIAL_BALANCE: "1000000",
      ...opts.env,
    },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  const clock = new ManualClock(Date.UTC(2026, 10, 26, 12, 0, 0));
  const app = await createApp(config, { clock, log: createLogger("info", sink), manualLoops: true, consoleDir: opts.consoleDir });
  const address = await app.listen();
  const url = `http://127.0.0.1:${address.port}`;
  const keys: Keys = { ...DEFAULT_KEYS };
  const server: TestServer = {
    url,
    app,
    clock,
    config,
    logs,
    keys,
    call: (action, params = {}, k = keys, encoding = "form") => call(url, k, action, params, encoding),
    account: (name) => withAdmin(config, (a) => a.createAccount(name)),
    async until(done, stepMs = 250, maxSteps = 2000) {
      for (let i = 0; i < maxSteps; i++) {
        await settle();
        if (await done()) return;
        await clock.advance(stepMs);
      }
      throw new Error(`condition not reached after ${maxSteps} steps of ${stepMs} ms`);
    },
    async state(id, k = keys) {
      const res = await server.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id }, k);
      const set = res.body.UHostSet as Array<{ State: string }> | undefined;
      return set?.[0]?.State;
    },
    async running(k = keys) {
      const res = await server.call("CreateCompShareInstance", CREATE, k);
      if (res.body.RetCode !== 0) throw new Error(`create failed: ${JSON.stringify(res.body)}`);
      const id = (res.body.UHostIds as string[])[0] as string;
      await server.until(async () => (await server.state(id, k)) === "Running");
      return id;
    },
    async stop(id, k = keys) {
      const res = await server.call("StopCompShareInstance", { ...REGION, UHostId: id }, k);
      if (res.body.RetCode !== 0) throw new Error(`stop failed: ${JSON.stringify(res.body)}`);
      await server.until(async () => (await server.state(id, k)) === "Stopped");
    },
    async close() {
      await app.close();
      if (!opts.keepData) {
        rmSync(dataDir, { recursive: true, force: true });
        await database.drop();
      }
    },
  };
  return server;
}
