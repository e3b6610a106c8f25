/**
 * What goes on the wire, exactly as the official SDKs send it: the nested request flattened
 * (`UHostIds.0`, `Disks.0.Size`), `PublicKey` (and `SecurityToken`) added, the SHA-1 signature
 * of protocol.md, then a form-encoded body (`+` for a space, UTF-8 percent-encoding, booleans
 * `true`/`false`, numbers never in scientific notation).
 */
import { flatten, sign, spellValue, type NestedValue, type WireParams } from "@opencompshare/protocol";

export interface Credentials {
  publicKey: string;
  privateKey: string;
  /** A temporary token (STS); sent and signed as `SecurityToken` when set. */
  securityToken?: string | undefined;
}

/**
 * Flattens `params`, adds `PublicKey` (and `SecurityToken`) and the `Signature`.
 *
 * @example
 * signParams({ Action: "RebootCompShareInstance", Region: "cn-wlcb", Zone: "cn-wlcb-01", UHostId: "uhost-xxxx" },
 *            { publicKey: "my_public_key", privateKey: "my_private_key" }).Signature
 * // → "9b2267baf30d3919420ffcdcb5bdae717e5aa6fd"
 */
export function signParams(params: Record<string, NestedValue>, credentials: Credentials): WireParams {
  const flat = flatten({ ...params, PublicKey: credentials.publicKey });
  if (credentials.securityToken) flat.SecurityToken = credentials.securityToken;
  delete flat.Signature;
  flat.Signature = sign(flat, credentials.privateKey);
  return flat;
}

/** The `application/x-www-form-urlencoded` body of signed parameters; values spelled as they were signed. */
export function encodeForm(params: WireParams): string {
  return new URLSearchParams(Object.entries(params).map(([key, value]): [string, string] => [key, spellValue(value)])).toString();
}
