/**
 * The string a request signature hashes, and how each value is spelled in it. Pure, with no
 * platform API: the server and the SDK hash it with node:crypto (signature.ts), the console with
 * Web Crypto.
 */

/** A flattened parameter value as it travels: a string from form or query, a native value from JSON. */
export type WireValue = string | number | boolean | null;

/** A flattened parameter map: `UHostIds.0`, `Disks.0.Size`, … → value. */
export type WireParams = Record<string, WireValue>;

/**
 * How a value is spelled in the signing string: booleans `true`/`false`, a number without
 * fraction as an integer, never scientific notation, null as the empty string.
 */
export function spellValue(value: WireValue): string {
  if (value === null) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return spellNumber(value);
  return value;
}

function spellNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? n.toFixed(0) : BigInt(n).toString();
  const s = String(n);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!match) return s;
  // Expand scientific notation by moving the decimal point: no digit is lost.
  const [, sign, lead, frac = "", exp] = match;
  const digits = `${lead}${frac}`;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The string that is hashed: sorted keys in plain code-unit order, `key + value`, then the private key. */
export function signingString(params: WireParams, privateKey: string): string {
  const keys = Object.keys(params).filter((k) => k !== "Signature").sort();
  let out = "";
  for (const k of keys) out += k + spellValue(params[k] as WireValue);
  return out + privateKey;
}
