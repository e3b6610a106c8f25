/**
 * A console session on two replicas of one PostgreSQL database: the cookie from a login on one
 * works on the other (the session row is shared, and the CSRF token is derived the same way), a
 * nonce issued by one is taken once by either, and a logout on one ends the event stream held
 * open on the other within a heartbeat, while another session of the account goes on.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { REGION } from "../helpers/server.js";
import { consoleStream, login, nonce, tryLogin } from "../console/helpers.js";
import { startCluster, type Cluster } from "./cluster.js";

describe("the console on two replicas", () => {
  let c: Cluster | undefined;
  after(async () => {
    await c?.close();
  });

  it("a session opened on one replica works on the other, and a logout on one ends the stream on the other", async () => {
    c = await startCluster(2, { OCS_SIM_BOOT_MS: "300" });
    const [a, b] = c.replicas;
    const onB = await login(a!.url, c.keys, b!.url);
    const described = await onB.call("DescribeCompShareInstance", { ...REGION });
    assert.equal(described.status, 200);
    assert.equal(described.body.RetCode, 0);

    // A nonce from A is good once, on B, and then on neither.
    const n = await nonce(a!.url);
    assert.equal((await tryLogin(b!.url, c.keys, n)).status, 200);
    assert.equal((await tryLogin(a!.url, c.keys, n)).status, 401);

    const stream = await consoleStream(b!.url, onB.cookie);
    const [id] = await c.create(1);
    await stream.until((items) => items.some((e) => e.UHostId === id && e.State === "Running"), "the instance Running on B's stream", 60_000);
    const other = await login(a!.url, c.keys);
    // Log out the session B streams for, from replica A.
    const out = await fetch(`${a!.url}/console/api/logout`, {
      method: "POST",
      headers: { Cookie: onB.cookie, "X-CSRF-Token": onB.csrf, "Content-Type": "application/json" },
      body: "{}",
    });
    assert.equal(out.status, 200);
    await stream.ended;
    assert.equal((await onB.call("DescribeCompShareInstance", { ...REGION })).status, 401);
    assert.equal((await other.call("DescribeCompShareInstance", { ...REGION })).body.RetCode, 0, "another session of the account goes on");
  });
});
