/**
 * The composition root: config → store → secrets → catalog → driver → operations → HTTP →
 * background loops → (with OCS_DRIVER=local) this host's agent. Nothing else wires components
 * together; `ocs serve` only prints what it started and waits for a signal.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AGENT_PATH, EVENTS_PATH, readOnlyMachines } from "@opencompshare/protocol";
import type { Credentials } from "./accounts/accounts.js";
import { ensureDefaultAccount, syncCredentialsFile } from "./accounts/default-account.js";
import type { Services } from "./handlers/index.js";
import { loadCatalog } from "./catalog/catalog.js";
import { syncCatalog } from "./catalog/sync.js";
import { DatabaseClock, skewedClock, systemClock, type Clock } from "./clock.js";
import { TestingClock } from "./controls/clock.js";
import { TestControls } from "./controls/controls.js";
import { ConfigError, type Config } from "./config.js";
import type { Driver } from "./drivers/driver.js";
import { agentDriver } from "./drivers/agent/driver.js";
import { addHost, knownZone } from "./drivers/agent/registry.js";
import { CommandQueue } from "./drivers/agent/queue.js";
import { agentRoutes } from "./drivers/agent/routes.js";
import { SimulatedDriver } from "./drivers/simulated/driver.js";
import { loadConsoleAssets } from "./console/assets.js";
import { CONSOLE_PATH, consoleRoutes } from "./console/routes.js";
import { EventHub } from "./events/hub.js";
import { pruneExpiredEvents } from "./events/retention.js";
import { eventStreams, type EventStreams } from "./events/stream.js";
import { Webhooks } from "./events/webhooks.js";
import { createPipeline } from "./api/wire.js";
import { listenMetrics, METRICS_PATH, metricsHandler } from "./metrics/endpoint.js";
import { Metrics } from "./metrics/metrics.js";
import { webhookLag } from "./store/repositories/webhooks.js";
import { RateLimiter } from "./api/rate-limit.js";
import { createHttpServer, type HttpServer } from "./http/server.js";
import { createLogger, type Logger } from "./log.js";
import type { RunnerDeps } from "./operations/context.js";
import { Engine } from "./operations/engine.js";
import { Recovery } from "./operations/recovery.js";
import { Runner } from "./operations/runner.js";
import { LifecyclePolicies } from "./policies/reclaim.js";
import { createSealer, loadMasterKey } from "./security/secrets.js";
import { Fleet } from "./fleet/placement.js";
import { keepDirectoryPrivate } from "./security/private-files.js";
import { lockDataDir } from "./store/data-dir-lock.js";
import { migrate, migrated, openStore, pendingMigrations } from "./store/db.js";
import type { Store } from "./store/store.js";
import { startBackground, type Background } from "./background.js";
import { LOCAL_HOST, localHostSettings, startLocalHost } from "./local-host.js";
import type { Agent } from "@opencompshare/agent";

export interface AppOptions {
  clock?: Clock;
  log?: Logger;
  /** Replaces the simulated driver. */
  driver?: (deps: { store: Store; clock: Clock }) => Driver;
  /** Run no background loops (tests drive recovery themselves). */
  manualLoops?: boolean;
  /** The console's built files, instead of the console package's dist/ (tests). */
  consoleDir?: string;
}

export interface App {
  config: Config;
  store: Store;
  services: Services;
  runner: Runner;
  recovery: Recovery;
  /** Billing, renewal and the reclaim timeline; tests run its passes themselves (manualLoops). */
  policies: LifecyclePolicies;
  http: HttpServer;
  /** The event log's fan-out, the streams at /events, and retention (tests prune themselves with manualLoops). */
  /**
   * The event log's fan-out, the streams at /events, retention, and webhook delivery (tests
   * prune and run delivery passes themselves with manualLoops: `webhooks.pass()`).
   */
  events: { hub: EventHub; streams: EventStreams; prune(): Promise<number>; webhooks: Webhooks };
  /** What GET /metrics reports. */
  metrics: Metrics;
  /** Credentials of the default account created by this start, if it created them. */
  createdCredentials: Credentials | undefined;
  /** Adds (or re-keys) an agent host; returns its token. */
  addHost(name: string, zone?: string): Promise<string>;
  /** Recovers, starts the loops, serves; with OCS_DRIVER=local then starts this host's agent. */
  listen(): Promise<AddressInfo>;
  /**
   * Stops within the shutdown grace: this host's agent, then the event streams and long-polls
   * (answered at once), the requests in flight (cut after the grace), the loops, the store.
   */
  close(): Promise<void>;
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger(config.logLevel);
  const hostSettings = opts.driver ? undefined : localHostSettings(config);
  keepDirectoryPrivate(config.dataDir);
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  const exclusive = store.engine === "sqlite";
  // Replicas share one database: they take their time from it. An injected clock (tests) rules.
  let databaseClock: DatabaseClock | undefined;
  let clock: Clock = opts.clock ?? skewedClock(systemClock, config.clockSkewMs);
  if (!opts.clock && store.engine === "postgres") {
    databaseClock = new DatabaseClock(clock, () => store.databaseNow());
    clock = databaseClock;
  }
  let unlockDir: (() => void) | undefined;
  try {
    if (exclusive) unlockDir = lockDataDir(config.dataDir);
    await databaseClock?.sync();
    if (config.migrate) await migrate(store.db);
    else {
      const missing = await pendingMigrations(store.db);
      if (missing.length > 0) {
        throw new ConfigError(
          `the database schema is not current: ${missing.length} migration${missing.length === 1 ? "" : "s"} pending (${missing.join(", ")}); run \`ocs migrate\` first (this server starts with --no-migrate, OCS_MIGRATE=false, and applies none)`,
        );
      }
    }
  } catch (error) {
    unlockDir?.();
    await store.close();
    throw error;
  }
  // Testing mode: the clock AdvanceCompShareClock moves, from the offset the database holds.
  let testingClock: TestingClock | undefined;
  // What clients sign by (a stream URL's Expires): the clock before testing mode moves it.
  const wallClock = clock;
  if (config.testing) {
    testingClock = new TestingClock(clock, store.db);
    await testingClock.refresh();
    clock = testingClock;
    log.warn("testing mode (OCS_TESTING): the operator's keys may arm faults, move the clock and replace the state; never in production");
  }
  if (store.engine === "postgres" && !config.masterKey) {
    await store.close();
    throw new ConfigError("OCS_MASTER_KEY is required with PostgreSQL: every replica must seal and open secrets with the same key");
  }
  const sealer = createSealer(loadMasterKey(config.dataDir, config.masterKey));
  const catalog = loadCatalog(config.catalogFile);
  const fleet = new Fleet({ kind: config.driver === "simulated" ? "simulated" : "agent", hostLeaseMs: config.hostLeaseMs });
  const pair = config.publicKey && config.privateKey ? { publicKey: config.publicKey, privateKey: config.privateKey } : undefined;
  // Replicas starting together write the same rows: one after the other, never racing on a key.
  const defaults = await store.exclusively(async (db) => {
    await syncCatalog(db, catalog, clock.now(), { fleet: fleet.opts.kind === "simulated" });
    return ensureDefaultAccount(db, sealer, pair, clock.now(), config.initialBalance * 100);
  });
  const createdCredentials = defaults.created;
  if (defaults.retired.length > 0) {
    log.warn({ retired: defaults.retired }, "default account: retired the keys the configuration no longer names (OCS_PUBLIC_KEY/OCS_PRIVATE_KEY, or the generated pair)");
  }
  const fileNote = syncCredentialsFile(config.dataDir, defaults);
  if (fileNote) log.warn(fileNote);

  // Real machines (qemu in this process, or agents on hosts) are reached through the host command queue.
  const queue = config.driver === "simulated" ? undefined : new CommandQueue(store.db, clock, sealer);
  const driver =
    opts.driver?.({ store, clock }) ??
    (queue ? agentDriver(store.db, queue) : new SimulatedDriver(store.db, clock, { bootMs: config.simBootMs, imageMs: config.simImageMs, publicRange: config.simPublicRange }));
  const metrics = new Metrics({
    streamClients: () => streams.open,
    webhookLag: () => webhookLag(store.db, clock.now()),
    ...(store.pool ? { pool: store.pool } : {}),
    testing: config.testing,
  });
  const deps: RunnerDeps = {
    db: store.db,
    clock,
    driver,
    fleet,
    sealer,
    log,
    owner: `${process.pid}-${randomUUID().slice(0, 8)}`,
    lockTtlMs: config.lockTtlMs,
    leaseMs: config.leaseMs,
    softTimeoutMs: config.softTimeoutMs,
    metrics,
  };
  const runner = new Runner(deps);
  const engine = new Engine(deps, runner);
  const recovery = new Recovery(deps, runner, exclusive);
  const policies = new LifecyclePolicies({ db: store.db, clock, engine, catalog, log, utcOffsetMin: config.policyUtcOffsetMin });
  const services: Services = {
    db: store.db,
    clock,
    catalog,
    fleet,
    sealer,
    engine,
    machines: readOnlyMachines(driver),
    log,
    limits: { instanceQuota: config.instanceQuota },
    policy: { utcOffsetMin: config.policyUtcOffsetMin },
  };
  const rateLimiter = new RateLimiter(clock, config.rateLimitRps, config.rateLimitBurst);
  const hub = new EventHub({ store, log });
  if (testingClock) {
    services.testing = new TestControls({
      store,
      clock: testingClock,
      driver: driver.name,
      catalog,
      initialBalanceCents: config.initialBalance * 100,
      hub,
      work: { engine, runner, recovery, policies, log },
    });
  }
  const streams = eventStreams({ db: store.db, sealer, clock, wallClock, hub, log });
  const pruneEvents = () => pruneExpiredEvents(store.db, clock, config.eventRetentionHours * 3_600_000);
  const webhooks = new Webhooks({
    db: store.db,
    clock,
    sealer,
    hub,
    log,
    owner: deps.owner,
    timeoutMs: config.webhookTimeoutMs,
    // The attempts log is kept as long as the events it is about.
    deliveriesRetentionMs: config.eventRetentionHours * 3_600_000,
  });
  const consoleAssets = loadConsoleAssets(opts.consoleDir);
  if (consoleAssets.missing) log.warn(consoleAssets.missing);
  const mounts = [
    { prefix: EVENTS_PATH, handler: streams.handler },
    { prefix: CONSOLE_PATH, handler: consoleRoutes({ services, assets: consoleAssets, streams, rateLimiter, metrics }) },
  ];
  const closing = new AbortController();
  if (queue) mounts.push({ prefix: AGENT_PATH, handler: agentRoutes({ db: store.db, clock, queue, log, closing: closing.signal }) });
  const serveMetrics = metricsHandler(metrics, config.metricsToken);
  if (config.metricsAddr === "") mounts.push({ prefix: METRICS_PATH, handler: serveMetrics });
  let metricsServer: Server | undefined;
  const http = createHttpServer(createPipeline(services, { bodyLimit: config.bodyLimit, rateLimiter, metrics }), { ready: () => migrated(store.db) }, mounts);

  let background: Background | undefined;
  let localAgent: Agent | undefined;

  return {
    config,
    store,
    services,
    runner,
    recovery,
    policies,
    http,
    events: { hub, streams, prune: pruneEvents, webhooks },
    metrics,
    createdCredentials,
    addHost: (name, zone) => addHost(store.db, name, knownZone(catalog, zone)),
    async listen() {
      const report = await recovery.pass();
      if (report.resumed || report.reconciled) log.warn(report, "recovered work left by a previous process");
      if (config.metricsAddr !== "" && config.metricsAddr !== "off") {
        metricsServer = await listenMetrics(config.metricsAddr, serveMetrics);
        log.info({ address: config.metricsAddr }, "serving /metrics");
      }
      await hub.start();
      testingClock?.start();
      services.testing?.start();
      if (!opts.manualLoops) {
        background = startBackground({
          db: store.db,
          clock,
          log,
          engine,
          runner,
          recovery,
          policies,
          webhooks,
          queue,
          databaseClock,
          pruneEvents,
          intervals: { recoveryMs: config.recoveryIntervalMs, policyMs: config.policyIntervalMs },
        });
      }
      const address = await http.listen(config.host, config.port);
      log.info({ address: `${address.address}:${address.port}`, db: store.engine, location: store.location }, "serving the CompShare API");
      // A fresh token each start: only this process knows it.
      if (hostSettings) localAgent = await startLocalHost(hostSettings, address, await addHost(store.db, LOCAL_HOST, knownZone(catalog, undefined)), log);
      return address;
    },
    async close() {
      await localAgent?.stop();
      // The server stops taking connections and marks every answer to end its connection; then
      // streams and long-polls are ended, since they never end by themselves and the close waits for them.
      const closed = http.close(config.shutdownGraceMs);
      closing.abort();
      streams.shutdown();
      await closed;
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      await webhooks.close();
      await hub.close();
      if (background) await background.stop();
      else {
        await recovery.stop();
        await runner.stop();
      }
      testingClock?.stop();
      await services.testing?.close();
      await store.close();
      unlockDir?.();
    },
  };
}
