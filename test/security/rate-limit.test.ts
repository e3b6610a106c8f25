/** Per-account rate limits: RetCode 153 for the noisy account, nothing for the others. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Keys } from "../helpers/client.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";

describe("per-account rate limits", () => {
  let s: TestServer;
  let noisy: Keys;
  before(async () => {
    s = await startServer({ env: { OCS_RATE_LIMIT_RPS: "5", OCS_RATE_LIMIT_BURST: "10" } });
    noisy = await s.account("noisy");
  });
  after(async () => {
    await s.close();
  });

  it("answers an account over its burst with 153 at once, and refills at its rate", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => s.call("DescribeCompShareInstance", REGION, noisy)));
    const codes = answers.map((a) => a.body.RetCode);
    assert.equal(codes.filter((c) => c === 0).length, 10);
    assert.equal(codes.filter((c) => c === 153).length, 20);
    const refused = answers.find((a) => a.body.RetCode === 153);
    assert.match(refused?.body.Message ?? "", /^RateLimited: account .* exceeds 5 requests per second/);
    assert.equal(refused?.status, 200);

    await s.clock.advance(1000);
    const next = await Promise.all(Array.from({ length: 8 }, () => s.call("DescribeCompShareInstance", REGION, noisy)));
    assert.equal(next.filter((a) => a.body.RetCode === 0).length, 5);
  });

  it("does not let one noisy account take anything from another", async () => {
    await s.clock.advance(10_000);
    const noise = Array.from({ length: 200 }, () => s.call("DescribeCompShareInstance", REGION, noisy));
    const quiet = Array.from({ length: 10 }, () => s.call("DescribeCompShareInstance", REGION));
    const [noisyAnswers, quietAnswers] = await Promise.all([Promise.all(noise), Promise.all(quiet)]);
    assert.ok(quietAnswers.every((a) => a.body.RetCode === 0), "the quiet account is never limited");
    assert.equal(noisyAnswers.filter((a) => a.body.RetCode === 0).length, 10);
  });

  it("counts only authenticated requests against an account", async () => {
    await s.clock.advance(10_000);
    const forged = await Promise.all(
      Array.from({ length: 50 }, () => s.call("DescribeCompShareInstance", REGION, { PublicKey: noisy.PublicKey, PrivateKey: "wrong" })),
    );
    assert.ok(forged.every((a) => a.body.RetCode === 171));
    const real = await Promise.all(Array.from({ length: 10 }, () => s.call("DescribeCompShareInstance", REGION, noisy)));
    assert.ok(real.every((a) => a.body.RetCode === 0), "forged requests did not use up the account's tokens");
  });
});
