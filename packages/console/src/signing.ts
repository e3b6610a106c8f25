/**
 * The API's request signature, computed in the page with Web Crypto: the parameters sorted by
 * name (plain code-unit order), each name followed by its value, the private key appended, SHA-1
 * in lowercase hex. The same canonical string as @opencompshare/protocol's signingString() for
 * string values. The private key only passes through here, in memory; nothing keeps it.
 */
export function signingString(params: Record<string, string>, privateKey: string): string {
  const keys = Object.keys(params)
    .filter((k) => k !== "Signature")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = "";
  for (const k of keys) out += k + params[k];
  return out + privateKey;
}

export async function sign(params: Record<string, string>, privateKey: string): Promise<string> {
  const bytes = new TextEncoder().encode(signingString(params, privateKey));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
