/**
 * The page's login signature is the protocol's: its signing string (from the browser-safe entry,
 * @opencompshare/protocol/web) hashed with Web Crypto gives what sign() gives with node:crypto.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sign } from "@opencompshare/protocol";
import { sign as pageSign } from "../../packages/console/src/signing.js";

describe("the console's signing module", () => {
  it("gives the same SHA-1 as @opencompshare/protocol's sign()", async () => {
    const cases: Record<string, string>[] = [
      { Action: "ConsoleLogin", Nonce: "n-1", PublicKey: "my_public_key" },
      { b: "2", a: "1", B: "upper before lower", Signature: "ignored" },
      { Action: "ConsoleLogin", Nonce: "ünïcødé ✓ 中文", PublicKey: "k=v&x y" },
      { "UHostIds.0": "uhost-1", "UHostIds.10": "uhost-2", "UHostIds.2": "uhost-3" },
    ];
    for (const params of cases) assert.equal(await pageSign(params, "secret ✓"), sign(params, "secret ✓"));
  });
});
