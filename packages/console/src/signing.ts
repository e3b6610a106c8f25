/**
 * The API's request signature, computed in the page: the protocol's own signing string
 * (@opencompshare/protocol/web), hashed with Web Crypto (SHA-1, lowercase hex) where the server
 * and the SDKs use node:crypto. The private key only passes through here, in memory; nothing
 * keeps it.
 */
import { signingString } from "@opencompshare/protocol/web";

export async function sign(params: Record<string, string>, privateKey: string): Promise<string> {
  const bytes = new TextEncoder().encode(signingString(params, privateKey));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
