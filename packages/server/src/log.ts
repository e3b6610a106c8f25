/**
 * Structured logs (pino, JSON lines). Request lines carry the request id, account, action,
 * RetCode and latency, and never parameters: those hold signatures and passwords.
 */
import { pino, type Logger } from "pino";

/** Paths that must never reach a log line, should one ever be logged by mistake. */
const REDACT = [
  "Signature",
  "PrivateKey",
  "Password",
  "privateKey",
  "password",
  "*.Signature",
  "*.PrivateKey",
  "*.Password",
  "*.privateKey",
  "*.password",
  "params",
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { pid: process.pid }, redact: { paths: REDACT, censor: "[redacted]" } },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export type { Logger };
