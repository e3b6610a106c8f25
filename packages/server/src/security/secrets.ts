/**
 * Secrets at rest: private keys and instance passwords are sealed with AES-256-GCM under the
 * master key. `OCS_MASTER_KEY` (64 hex characters or 32 bytes base64) gives it; otherwise it is
 * generated once into `<data dir>/master.key` with mode 0600.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
  /**
   * HMAC-SHA256 (base64url) of `data` under a key derived from the master key for `purpose`: the
   * same on every replica, and useless for anything but that purpose (console nonces, CSRF tokens).
   */
  mac(purpose: string, data: string): string;
}

const VERSION = "v1";
/** How many opened secrets a sealer remembers. */
const OPENED_MAX = 10_000;

export function createSealer(masterKey: Buffer): Sealer {
  if (masterKey.length !== 32) throw new Error("the master key must be 32 bytes");
  const macKeys = new Map<string, Buffer>();
  const opened = new Map<string, string>();
  const macKey = (purpose: string): Buffer => {
    let key = macKeys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), `opencompshare ${purpose}`, 32));
      macKeys.set(purpose, key);
    }
    return key;
  };
  const openSealed = (sealed: string): string => {
    const [version, iv, tag, body] = sealed.split(":");
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error("not a sealed secret");
    const decipher = createDecipheriv("aes-256-gcm", masterKey, Buffer.from(iv, "base64"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
  };
  return {
    mac(purpose, data) {
      return createHmac("sha256", macKey(purpose)).update(data).digest("base64url");
    },
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", masterKey, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return [VERSION, iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(":");
    },
    open(sealed) {
      // A sealed value always opens to the same plain text (authenticated encryption under the one
      // master key), so remembering it by its sealed form can never answer wrongly, on any replica.
      // Describe opens every listed instance's password; bounded, the memo is cleared when full.
      const known = opened.get(sealed);
      if (known !== undefined) return known;
      const plain = openSealed(sealed);
      if (opened.size >= OPENED_MAX) opened.clear();
      opened.set(sealed, plain);
      return plain;
    },
  };
}

/** Parses a master key given as 64 hex characters or as base64 of 32 bytes. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== 32) throw new Error("OCS_MASTER_KEY must be 64 hex characters or base64 of 32 bytes");
  return key;
}

/** The master key from the environment, or from (and on first use, into) the data directory. */
export function loadMasterKey(dataDir: string, fromEnv: string | undefined): Buffer {
  if (fromEnv) return parseMasterKey(fromEnv);
  const file = join(dataDir, "master.key");
  if (existsSync(file)) return parseMasterKey(readFileSync(file, "utf8"));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  } catch (error) {
    // Another process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return parseMasterKey(readFileSync(file, "utf8"));
    throw error;
  }
  return key;
}
