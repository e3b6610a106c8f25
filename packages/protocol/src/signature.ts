/**
 * The UCloud request signature: SHA-1 over the sorted `key + value` pairs of every
 * parameter except `Signature`, followed by the private key.
 *
 * @example
 * sign({ Action: "RebootCompShareInstance", PublicKey: "my_public_key", Region: "cn-wlcb",
 *        UHostId: "uhost-xxxx", Zone: "cn-wlcb-01" }, "my_private_key")
 * // → "9b2267baf30d3919420ffcdcb5bdae717e5aa6fd"
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { signingString, type WireParams } from "./signing-string.js";

export { signingString, spellValue, type WireParams, type WireValue } from "./signing-string.js";

/** Lowercase hex SHA-1 signature of `params` under `privateKey`. */
export function sign(params: WireParams, privateKey: string): string {
  return createHash("sha1").update(signingString(params, privateKey), "utf8").digest("hex");
}

/** Verifies `signature` against `params` in constant time. */
export function verify(params: WireParams, privateKey: string, signature: string): boolean {
  const expected = Buffer.from(sign(params, privateKey), "utf8");
  const given = Buffer.from(signature.toLowerCase(), "utf8");
  // timingSafeEqual needs equal lengths; compare against expected itself to keep the time flat.
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(expected, given);
}
