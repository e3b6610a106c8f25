/**
 * GET /metrics: Prometheus text that parses; the counters move with a reboot, a refusal and a
 * soft → hard fallback; labels never carry an instance or an account; a token guards it when
 * set, and OCS_METRICS_ADDR moves it off the API's port.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { armFault } from "@opencompshare/server/testing";
import { freePort } from "../helpers/process.js";
import { parsePrometheus, valueOf, type Sample } from "../helpers/prometheus.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";

const REBOOT = "RebootCompShareInstance";

describe("GET /metrics", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_SOFT_TIMEOUT_MS: "5000" } });
  });
  after(async () => {
    await s.close();
  });
  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(`${s.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };

  it("parses as Prometheus text, with the process metrics", async () => {
    const samples = await scrape();
    assert.ok(valueOf(samples, "ocs_process_cpu_seconds_total") > 0);
    assert.ok(samples.some((x) => x.name === "ocs_nodejs_eventloop_lag_seconds"));
    assert.ok(samples.some((x) => x.name === "ocs_event_stream_clients"));
    assert.ok(samples.some((x) => x.name === "ocs_webhook_lag_events"));
    if (s.app.store.engine === "postgres") assert.ok(valueOf(samples, "ocs_db_pool_connections", { state: "total" }) >= 1, "the pool's connections");
  });

  it("counts a reboot, a lock refusal and a soft → hard fallback", async () => {
    const id = await s.running();
    const before = await scrape();
    const ok = await s.call(REBOOT, { ...REGION, UHostId: id });
    assert.equal(ok.body.RetCode, 0);
    const refused = await s.call(REBOOT, { ...REGION, UHostId: id });
    assert.equal(refused.body.RetCode, 226610);
    await s.until(async () => (await s.state(id)) === "Running");
    await armFault(s.app.store.db, { method: "reboot", mode: "slow", delayMs: 60_000, instanceId: id });
    assert.equal((await s.call(REBOOT, { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running" && valueOf(await scrape(), "ocs_operations_total", { action: REBOOT, outcome: "succeeded" }) >= valueOf(before, "ocs_operations_total", { action: REBOOT, outcome: "succeeded" }) + 2);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    assert.equal(delta("ocs_requests_total", { action: REBOOT, retcode: "0" }), 2);
    assert.equal(delta("ocs_requests_total", { action: REBOOT, retcode: "226610" }), 1);
    assert.equal(delta("ocs_lock_refusals_total", { action: REBOOT }), 1);
    assert.equal(delta("ocs_operations_total", { action: REBOOT, outcome: "succeeded" }), 2);
    assert.equal(delta("ocs_soft_hard_fallbacks_total", { step: "reboot" }), 1);
    assert.equal(delta("ocs_request_duration_seconds_count", { action: REBOOT }), 3);
    assert.ok(delta("ocs_driver_call_duration_seconds_count", { method: "reboot(soft)", outcome: "timeout" }) >= 1);
    assert.ok(delta("ocs_driver_call_duration_seconds_count", { method: "reboot(hard)", outcome: "ok" }) >= 1);
    // Bounded labels: no instance, account, key or request id anywhere.
    const text = await (await fetch(`${s.url}/metrics`)).text();
    for (const secret of [id, s.keys.PublicKey, String(ok.requestId)]) assert.ok(!text.includes(secret), `${secret} is not in /metrics`);
    const unknown = await s.call("NoSuchActionAtAll", REGION);
    assert.equal(unknown.body.RetCode, 161);
    assert.ok(!(await (await fetch(`${s.url}/metrics`)).text()).includes("NoSuchActionAtAll"), "an unknown Action is counted as unknown");
    assert.ok(valueOf(await scrape(), "ocs_requests_total", { action: "unknown", retcode: "161" }) >= 1);
  });

  it("answers GET (and HEAD) only", async () => {
    assert.equal((await fetch(`${s.url}/metrics`, { method: "POST" })).status, 405);
  });
});

describe("/metrics with a token, on a port of its own", () => {
  let s: TestServer;
  let addr: string;
  before(async () => {
    addr = `127.0.0.1:${await freePort()}`;
    s = await startServer({ env: { OCS_METRICS_ADDR: addr, OCS_METRICS_TOKEN: "scrape-me" } });
  });
  after(async () => {
    await s.close();
  });

  it("serves it only there, and only with the bearer token", async () => {
    assert.equal((await fetch(`http://${addr}/metrics`)).status, 401);
    assert.equal((await fetch(`http://${addr}/metrics`, { headers: { Authorization: "Bearer wrong" } })).status, 401);
    const ok = await fetch(`http://${addr}/metrics`, { headers: { Authorization: "Bearer scrape-me" } });
    assert.equal(ok.status, 200);
    assert.ok(parsePrometheus(await ok.text()).length > 0);
    const onApi = await fetch(`${s.url}/metrics`);
    assert.doesNotMatch(await onApi.text(), /ocs_requests_total/, "not on the API's port");
  });
});
