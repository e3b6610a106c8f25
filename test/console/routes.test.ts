/**
 * The console's server side, over plain HTTP as the page uses it: the page and its files (CSP,
 * hashed immutable files, brotli/gzip, 304, 503 when not built), login by a signed nonce, the
 * hashed session cookie, CSRF on every POST, logout ending the event stream, a disabled key
 * ending the session, and one account never reaching another's instances or events.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync } from "node:zlib";
import { setKeyStatus } from "@opencompshare/server";
import type { Keys } from "../helpers/client.js";
import { parsePrometheus, valueOf } from "../helpers/prometheus.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import { consoleStream, login, loginSignature, nonce, postJson, tryLogin } from "./helpers.js";

const SCRIPT = "assets/main-TESTHASH.js";
const SCRIPT_BODY = `export const console_test = ${JSON.stringify("x".repeat(4000))};\n`;

const PREBUILT_BR = brotliCompressSync(SCRIPT_BODY, { params: { [constants.BROTLI_PARAM_QUALITY]: 0 } });

/** A built console of our own, so these tests do not depend on the UI's build. */
function fixtureConsole(): string {
  const dir = mkdtempSync(join(tmpdir(), "ocs-console-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), `<!doctype html><html><head><script type="module" src="/console/${SCRIPT}"></script></head><body><div id="app"></div></body></html>`);
  writeFileSync(join(dir, SCRIPT), SCRIPT_BODY);
  // The build's brotli encoding, as the console's build writes it; gzip is left to the server.
  writeFileSync(join(dir, `${SCRIPT}.br`), PREBUILT_BR);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ files: ["index.html", SCRIPT] }));
  return dir;
}

describe("the console's routes", () => {
  let s: TestServer;
  let dir: string;
  let keysB: Keys;
  before(async () => {
    dir = fixtureConsole();
    s = await startServer({ consoleDir: dir, env: { OCS_SIM_BOOT_MS: "3000" } });
    const b = await s.account("console-b");
    keysB = { PublicKey: b.PublicKey, PrivateKey: b.PrivateKey };
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the page with a strict CSP, no-cache, and the security headers", async () => {
    const res = await fetch(`${s.url}/console`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.match(await res.text(), /main-TESTHASH\.js/);
    assert.equal((await fetch(`${s.url}/console/`)).status, 200);
  });

  it("serves hashed files immutable, compressed as asked, and answers 304 to a matching ETag", async () => {
    const br = await fetch(`${s.url}/console/${SCRIPT}`, { headers: { "Accept-Encoding": "gzip, br" } });
    assert.equal(br.status, 200);
    assert.equal(br.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.match(br.headers.get("content-type") ?? "", /^text\/javascript/);
    // fetch decodes what it asked for: the body is the file's, whatever the encoding.
    assert.equal(await br.text(), SCRIPT_BODY);
    const raw = async (encoding: string) => {
      const { request } = await import("node:http");
      return new Promise<{ encoding: string | undefined; body: Buffer; etag: string | undefined }>((resolve, reject) => {
        request(`${s.url}/console/${SCRIPT}`, { headers: { "Accept-Encoding": encoding } }, (res) => {
          const parts: Buffer[] = [];
          res.on("data", (d: Buffer) => parts.push(d));
          res.on("end", () => resolve({ encoding: res.headers["content-encoding"], body: Buffer.concat(parts), etag: res.headers.etag }));
        })
          .on("error", reject)
          .end();
      });
    };
    const b = await raw("br");
    assert.equal(b.encoding, "br");
    assert.equal(brotliDecompressSync(b.body).toString(), SCRIPT_BODY);
    assert.ok(b.body.length < SCRIPT_BODY.length / 10, "compressed");
    assert.deepEqual(b.body, PREBUILT_BR, "the build's X.br is sent as it is");
    const g = await raw("gzip;q=1, br;q=0");
    assert.equal(g.encoding, "gzip");
    assert.equal(gunzipSync(g.body).toString(), SCRIPT_BODY);
    const plain = await raw("identity");
    assert.equal(plain.encoding, undefined);
    assert.equal(plain.body.toString(), SCRIPT_BODY);
    const again = await fetch(`${s.url}/console/${SCRIPT}`, { headers: { "If-None-Match": b.etag ?? "" } });
    assert.equal(again.status, 304);
    assert.equal((await fetch(`${s.url}/console/assets/nosuch-123.js`)).status, 404);
    assert.equal((await fetch(`${s.url}/console/${SCRIPT}`, { method: "POST" })).status, 405);
  });

  it("logs in with a signature over a fresh nonce: an HttpOnly, Secure, SameSite=Strict cookie whose hash alone is stored", async () => {
    const session = await login(s.url, s.keys);
    assert.match(session.setCookie, /^ocs_session=[A-Za-z0-9_-]{40,};/);
    for (const attr of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console", "Max-Age=43200"]) assert.ok(session.setCookie.includes(attr), attr);
    const token = session.cookie.split("=")[1]!;
    const rows = await s.app.store.db.selectFrom("console_sessions").selectAll().execute();
    assert.ok(rows.length >= 1);
    assert.ok(rows.every((r) => r.token_hash !== token && !JSON.stringify(r).includes(token)), "the token itself is not stored");
    assert.ok(!s.logs.some((l) => l.includes(token)), "nor logged");
    const again = await fetch(`${s.url}/console/api/session`, { headers: { Cookie: session.cookie } });
    const body = (await again.json()) as Record<string, unknown>;
    assert.equal(again.status, 200);
    assert.equal(body.AccountId, session.accountId);
    assert.equal(body.CsrfToken, session.csrf);
    // The server's clock, not the machine's: the page reckons its monitoring windows by it.
    assert.equal(again.headers.get("date"), new Date(s.clock.now()).toUTCString());
  });

  it("answers a visit without a session with 204 and no error, and drops a cookie that names no session", async () => {
    const none = await fetch(`${s.url}/console/api/session`);
    assert.equal(none.status, 204);
    assert.equal(await none.text(), "");
    assert.equal(none.headers.get("set-cookie"), null);
    assert.ok(none.headers.get("content-security-policy"), "the security headers too");
    const forged = await fetch(`${s.url}/console/api/session`, { headers: { Cookie: "ocs_session=forged" } });
    assert.equal(forged.status, 204);
    assert.match(forged.headers.get("set-cookie") ?? "", /^ocs_session=; .*Max-Age=0/);
    // The routes that act still refuse without a session.
    assert.equal((await postJson(`${s.url}/console/api/call`, { Action: "DescribeCompShareInstance" }, { Cookie: "ocs_session=forged" })).status, 401);
  });

  it("refuses a wrong private key (171), an unknown public key (172), a used, expired or forged nonce", async () => {
    const wrong = await tryLogin(s.url, { PublicKey: s.keys.PublicKey, PrivateKey: "not-the-key" });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.RetCode, 171);
    assert.equal(wrong.headers.get("set-cookie"), null);
    const unknown = await tryLogin(s.url, { PublicKey: "nobody", PrivateKey: "x" });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.RetCode, 172);

    const n = await nonce(s.url);
    assert.equal((await tryLogin(s.url, s.keys, n)).status, 200);
    const reused = await tryLogin(s.url, s.keys, n);
    assert.equal(reused.status, 401);
    assert.match(String(reused.body.Message), /Nonce/);

    const old = await nonce(s.url);
    s.clock.advance(121_000);
    assert.equal((await tryLogin(s.url, s.keys, old)).status, 401, "expired");

    const fresh = await nonce(s.url);
    const [exp, rand] = fresh.split(".");
    const forged = `${Number(exp) + 3600}.${rand}.${fresh.split(".")[2]}`;
    assert.equal((await tryLogin(s.url, s.keys, forged)).status, 401, "a nonce with a longer life it was not issued");
    const missing = await postJson(`${s.url}/console/api/login`, { PublicKey: s.keys.PublicKey, Signature: loginSignature(s.keys, "") });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.RetCode, 220);
    assert.match(String(missing.body.Message), /Nonce/);
  });

  it("runs an Action through the API's own handlers: the same answer and the same refusals as the wire protocol", async () => {
    const session = await login(s.url, s.keys);
    const id = await s.running();
    const counted = async () => valueOf(parsePrometheus((await s.app.metrics.expose()).body), "ocs_requests_total", { action: "DescribeCompShareInstance", retcode: "0" });
    const before = await counted();
    const viaConsole = await session.call("DescribeCompShareInstance", { ...REGION, UHostIds: [id] });
    assert.equal(await counted(), before + 1, "the console's call is counted in the metrics");
    const viaWire = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    assert.equal(viaConsole.status, 200);
    assert.deepEqual(viaConsole.body, viaWire.body);
    const bad = await session.call("RebootCompShareInstance", { ...REGION });
    const badWire = await s.call("RebootCompShareInstance", { ...REGION });
    assert.equal(bad.body.RetCode, badWire.body.RetCode);
    assert.equal(bad.body.Message, badWire.body.Message);
    const unknown = await session.call("NoSuchAction", {});
    assert.equal(unknown.body.RetCode, 161);
    const form = await fetch(`${s.url}/console/api/call`, {
      method: "POST",
      headers: { Cookie: session.cookie, "X-CSRF-Token": session.csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: "Action=DescribeCompShareInstance",
    });
    assert.equal(form.status, 400, "the console takes JSON only");
  });

  it("records who asked: the console and its key, or the API and the key that signed", async () => {
    const session = await login(s.url, s.keys);
    const id = await s.running();
    assert.equal((await session.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    const ops = (await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id })).body.OperationSet as { Action: string; Source: string; Requester: string }[];
    const by = (action: string) => ops.find((o) => o.Action === action);
    assert.deepEqual([by("RebootCompShareInstance")?.Source, by("RebootCompShareInstance")?.Requester], ["console", s.keys.PublicKey]);
    assert.deepEqual([by("CreateCompShareInstance")?.Source, by("CreateCompShareInstance")?.Requester], ["api", s.keys.PublicKey]);
  });

  it("refuses a POST without the session's CSRF token, and nothing happens", async () => {
    const session = await login(s.url, s.keys);
    const other = await login(s.url, s.keys);
    const id = await s.running();
    const operations = async () => (await s.app.store.db.selectFrom("operations").select("id").where("instance_id", "=", id).execute()).length;
    const before = await operations();
    for (const csrf of [null, "", other.csrf, session.csrf.slice(0, -1) + (session.csrf.endsWith("A") ? "B" : "A")]) {
      const r = await session.call("RebootCompShareInstance", { ...REGION, UHostId: id }, { csrf });
      assert.equal(r.status, 403, `csrf ${String(csrf)}`);
      assert.equal(r.body.RetCode, 230);
      assert.match(String(r.body.Message), /CSRF/);
    }
    assert.equal((await session.post("logout", {}, { csrf: null })).status, 403);
    assert.equal(await operations(), before, "no operation was made");
    assert.equal(await s.state(id), "Running");
    const ok = await session.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(ok.body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
  });

  it("streams the session's account's events; logout ends the stream and the cookie", async () => {
    const session = await login(s.url, s.keys);
    const stream = await consoleStream(s.url, session.cookie);
    const id = await s.running();
    await stream.until((items) => items.some((e) => e.UHostId === id && e.Kind === "instance.state" && e.State === "Running"), "Running");
    const out = await session.post("logout", {});
    assert.equal(out.status, 200);
    assert.match(out.headers.get("set-cookie") ?? "", /^ocs_session=; .*Max-Age=0/);
    await stream.ended;
    assert.equal((await fetch(`${s.url}/console/api/session`, { headers: { Cookie: session.cookie } })).status, 204);
    const after = await session.call("DescribeCompShareInstance", { ...REGION });
    assert.equal(after.status, 401);
    assert.equal((await fetch(`${s.url}/console/events`, { headers: { Cookie: session.cookie } })).status, 401);
  });

  it("ends the session when the key that opened it is disabled", async () => {
    const c = await s.account("console-c");
    const keysC: Keys = { PublicKey: c.PublicKey, PrivateKey: c.PrivateKey };
    const session = await login(s.url, keysC);
    assert.equal((await session.call("DescribeCompShareInstance", { ...REGION })).body.RetCode, 0);
    await setKeyStatus(s.app.store.db, keysC.PublicKey, "disabled");
    assert.equal((await session.call("DescribeCompShareInstance", { ...REGION })).status, 401);
    assert.equal((await tryLogin(s.url, keysC)).body.RetCode, 172);
  });

  it("shows an account neither another's instances nor its events", async () => {
    const a = await login(s.url, s.keys);
    const b = await login(s.url, keysB);
    assert.notEqual(a.accountId, b.accountId);
    const streamB = await consoleStream(s.url, b.cookie);
    const idA = await s.running();
    const idB = await s.running(keysB);
    await streamB.until((items) => items.some((e) => e.UHostId === idB && e.State === "Running"), "B's instance Running");
    const described = await b.call("DescribeCompShareInstance", { ...REGION, UHostIds: [idA] });
    assert.equal(described.body.RetCode, 0);
    assert.equal(described.body.TotalCount, 0);
    const list = await b.call("DescribeCompShareInstance", { ...REGION });
    assert.ok((list.body.UHostSet as { UHostId: string }[]).every((h) => h.UHostId !== idA));
    const reboot = await b.call("RebootCompShareInstance", { ...REGION, UHostId: idA });
    assert.notEqual(reboot.body.RetCode, 0);
    assert.equal(await s.state(idA), "Running", "A's instance untouched");
    const onlyA = await consoleStream(s.url, b.cookie, `?UHostId=${idA}`);
    await onlyA.until(() => true, "the first comment");
    streamB.close();
    onlyA.close();
    assert.ok(streamB.items.every((e) => e.UHostId !== idA), "B's stream carries nothing of A");
    assert.deepEqual(onlyA.items, []);
    assert.equal((await a.call("DescribeCompShareInstance", { ...REGION, UHostIds: [idB] })).body.TotalCount, 0);
  });
});

describe("the console, not built", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ consoleDir: join(tmpdir(), "ocs-no-console-here") });
  });
  after(async () => {
    await s.close();
  });

  it("answers /console with 503 and says how to build it; the API goes on", async () => {
    const res = await fetch(`${s.url}/console`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as Record<string, unknown>;
    assert.match(String(body.Message), /npm run build -w @opencompshare\/console/);
    assert.equal((await s.call("DescribeCompShareInstance", { ...REGION })).body.RetCode, 0);
    const n = await nonce(s.url);
    assert.ok(n.length > 20, "login works without the page");
  });
});
