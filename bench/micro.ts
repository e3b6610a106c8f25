/**
 * (e) Signature verification alone, in its own process: `verify` of the protocol package on a
 * signed RebootCompShareInstance parameter map, as many times as fit in the time given. Two
 * neighbours for the profile notes: opening the sealed private key (AES-256-GCM, done for
 * every request by authenticate today) and both together.
 *
 *   node --import tsx bench/micro.ts [SECONDS]     → one JSON line on stdout
 */
import { randomBytes } from "node:crypto";
import { sign, verify, type WireParams } from "@opencompshare/protocol";
import { createSealer } from "@opencompshare/server";

const seconds = Number(process.argv[2] ?? 1);

function opsPerSecond(f: () => unknown, ms: number): number {
  // Warm up the JIT first, then count whole batches within the time.
  const warmUntil = performance.now() + Math.min(200, ms / 4);
  while (performance.now() < warmUntil) f();
  let n = 0;
  const started = performance.now();
  const until = started + ms;
  let now = started;
  while (now < until) {
    for (let i = 0; i < 256; i++) f();
    n += 256;
    now = performance.now();
  }
  return n / ((now - started) / 1000);
}

const privateKey = randomBytes(20).toString("hex");
const params: WireParams = {
  Action: "RebootCompShareInstance",
  PublicKey: randomBytes(24).toString("base64url"),
  Region: "cn-wlcb",
  UHostId: "uhost-0123456789ab",
  Zone: "cn-wlcb-01",
};
params.Signature = sign(params, privateKey);
const signature = params.Signature;

const sealer = createSealer(randomBytes(32));
const sealed = sealer.seal(privateKey);

let sink = 0;
const ms = seconds * 1000;
const verifyOps = opsPerSecond(() => (sink += verify(params, privateKey, signature) ? 1 : 0), ms / 2);
const openOps = opsPerSecond(() => (sink += sealer.open(sealed).length), ms / 4);
const bothOps = opsPerSecond(() => (sink += verify(params, sealer.open(sealed), signature) ? 1 : 0), ms / 4);
if (sink === 0) throw new Error("nothing verified");
process.stdout.write(JSON.stringify({ verifyOps, openOps, openAndVerifyOps: bothOps }) + "\n");
