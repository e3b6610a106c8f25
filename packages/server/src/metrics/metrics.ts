/**
 * The server's metrics, in the Prometheus text format (prom-client), on a registry of its own (a
 * process may run several apps, as the tests do).
 *
 * Labels have bounded cardinality: an Action is one of the contract's names (anything else is
 * "unknown"), a RetCode one of the error catalogue's, a driver method one of the driver's. Never
 * an instance, an account or a request id.
 */
import { ERRORS, findAction } from "@opencompshare/protocol";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds: from a fast read to a slow driver call. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: an operation runs from a second to many minutes. */
const OPERATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** An Action name as a label: known names only. */
export const actionLabel = (action: string | undefined): string => (action && findAction(action) ? action : "unknown");

/** A driver method as a label: `reboot(soft)` stays, anything with other characters is cut to its name. */
const methodLabel = (method: string): string => (/^[A-Za-z]+(\((soft|hard)\))?$/.test(method) ? method : (/^[A-Za-z]+/.exec(method)?.[0] ?? "other"));

export interface GaugeSources {
  /** Clients connected to the event streams of this replica. */
  streamClients?: () => number;
  /** How far the furthest-behind webhook is: events not yet delivered, and the age of the oldest, seconds. */
  webhookLag?: () => Promise<{ events: number; seconds: number }>;
  /** The PostgreSQL pool: connections in all, idle, and requests waiting for one. */
  pool?: () => { total: number; idle: number; waiting: number } | undefined;
  /** Whether the server runs in testing mode (the test controls answer). */
  testing?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: "ocs_requests_total", help: "API requests, by Action and RetCode", labelNames: ["action", "retcode"], registers: [this.registry] });
  private readonly requestSeconds = new Histogram({
    name: "ocs_request_duration_seconds",
    help: "API request latency, by Action",
    labelNames: ["action"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly operations = new Counter({ name: "ocs_operations_total", help: "Operations ended, by Action and outcome", labelNames: ["action", "outcome"], registers: [this.registry] });
  private readonly operationSeconds = new Histogram({
    name: "ocs_operation_duration_seconds",
    help: "Operation duration from acceptance to its end, by Action and outcome",
    labelNames: ["action", "outcome"],
    buckets: OPERATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly lockRefusals = new Counter({
    name: "ocs_lock_refusals_total",
    help: "Requests refused because another operation holds the instance's lock (InstanceOperationInProgress), by Action",
    labelNames: ["action"],
    registers: [this.registry],
  });
  private readonly fallbacks = new Counter({ name: "ocs_soft_hard_fallbacks_total", help: "Soft reboots and power-offs that timed out and fell back to hard", labelNames: ["step"], registers: [this.registry] });
  private readonly takeovers = new Counter({ name: "ocs_recovery_takeovers_total", help: "Operations of a dead runner taken over by recovery", registers: [this.registry] });
  private readonly driverSeconds = new Histogram({
    name: "ocs_driver_call_duration_seconds",
    help: "Driver call latency, by method and outcome",
    labelNames: ["method", "outcome"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor(sources: GaugeSources = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: "ocs_" });
    const { streamClients, webhookLag, pool, testing } = sources;
    new Gauge({ name: "ocs_testing_mode", help: "1 when the server runs in testing mode (OCS_TESTING): its test controls answer", registers: [this.registry] }).set(testing ? 1 : 0);
    if (streamClients) {
      new Gauge({
        name: "ocs_event_stream_clients",
        help: "Clients connected to this replica's event streams (/events and the console)",
        registers: [this.registry],
        collect() {
          this.set(streamClients());
        },
      });
    }
    if (webhookLag) {
      let last: Promise<{ events: number; seconds: number }> | undefined;
      const read = () => (last ??= webhookLag().finally(() => (last = undefined)));
      new Gauge({
        name: "ocs_webhook_lag_events",
        help: "Events the furthest-behind webhook has not been delivered yet",
        registers: [this.registry],
        async collect() {
          this.set((await read()).events);
        },
      });
      new Gauge({
        name: "ocs_webhook_lag_seconds",
        help: "Age of the oldest event a webhook has not been delivered yet, seconds",
        registers: [this.registry],
        async collect() {
          this.set((await read()).seconds);
        },
      });
    }
    if (pool) {
      new Gauge({
        name: "ocs_db_pool_connections",
        help: "PostgreSQL pool connections, by state (total, idle, waiting requests)",
        labelNames: ["state"],
        registers: [this.registry],
        collect() {
          const p = pool();
          if (!p) return;
          this.set({ state: "total" }, p.total);
          this.set({ state: "idle" }, p.idle);
          this.set({ state: "waiting" }, p.waiting);
        },
      });
    }
  }

  request(action: string | undefined, retCode: number, seconds: number): void {
    const a = actionLabel(action);
    this.requests.inc({ action: a, retcode: String(retCode) });
    this.requestSeconds.observe({ action: a }, seconds);
    if (retCode === ERRORS.InstanceOperationInProgress.retCode) this.lockRefusals.inc({ action: a });
  }

  operationEnded(action: string, outcome: "succeeded" | "failed", seconds: number): void {
    const a = actionLabel(action);
    this.operations.inc({ action: a, outcome });
    this.operationSeconds.observe({ action: a, outcome }, Math.max(0, seconds));
  }

  softToHard(step: string): void {
    this.fallbacks.inc({ step: methodLabel(step) });
  }

  takeover(): void {
    this.takeovers.inc();
  }

  driverCall(method: string, outcome: "ok" | "error" | "timeout", seconds: number): void {
    this.driverSeconds.observe({ method: methodLabel(method), outcome }, seconds);
  }

  /** The text exposition, and its content type. */
  async expose(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
