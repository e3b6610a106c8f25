/**
 * Operation ids that sort in the order this process made them: `op-` and a UUIDv7 (RFC 9562)
 * whose 12 bits after the millisecond count up within it ("Method 1", a dedicated counter).
 * Operations are listed newest first by their start time, then by id: two started in the same
 * millisecond of the server's clock (a policy pass taking two steps, or a test's hand-moved clock)
 * then come back in the order they were made, not at random.
 */
import { randomBytes } from "node:crypto";

let lastMs = 0;
let counter = 0;

export function newOperationId(now = Date.now()): string {
  let ms = Math.max(now, lastMs);
  if (ms === lastMs) {
    counter++;
    // 4096 in one millisecond: borrow the next one, as the RFC allows.
    if (counter > 0xfff) {
      ms++;
      counter = 0;
    }
  } else counter = 0;
  lastMs = ms;
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString("hex");
  return `op-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
