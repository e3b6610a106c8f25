/** The page's login signature (Web Crypto) is the protocol's sign() for string parameters. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sign, signingString } from "@opencompshare/protocol";
import { sign as pageSign, signingString as pageSigningString } from "../../packages/console/src/signing.js";

describe("the console's signing module", () => {
  it("builds the same canonical string and SHA-1 as @opencompshare/protocol", async () => {
    const cases: Record<string, string>[] = [
      { Action: "ConsoleLogin", Nonce: "n-1", PublicKey: "my_public_key" },
      { b: "2", a: "1", B: "upper before lower", Signature: "ignored" },
      { Action: "ConsoleLogin", Nonce: "ünïcødé ✓ 中文", PublicKey: "k=v&x y" },
      { "UHostIds.0": "uhost-1", "UHostIds.10": "uhost-2", "UHostIds.2": "uhost-3" },
    ];
    for (const params of cases) {
      assert.equal(pageSigningString(params, "secret"), signingString(params, "secret"));
      assert.equal(await pageSign(params, "secret ✓"), sign(params, "secret ✓"));
    }
  });
});
