/**
 * Whether an error means the database could not be reached, rather than that a statement was
 * wrong: a connection refused, reset, ended or timed out; PostgreSQL shutting down, starting or
 * out of connections (SQLSTATE class 08, 57P01–57P03, 53300); SQLite busy past its timeout. The
 * API answers those as a service that is briefly unavailable (api/errors.ts).
 */

const NETWORK_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "SQLITE_BUSY"]);
const POSTGRES_CODES: ReadonlySet<string> = new Set(["57P01", "57P02", "57P03", "53300"]);
/** node-postgres's own words when a connection ends or cannot be made in time. */
const PG_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed/i;

export function databaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (NETWORK_CODES.has(code) || POSTGRES_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (PG_MESSAGES.test(e.message)) return true;
    // AggregateError: every address of the host refused (node's happy eyeballs).
    if (e instanceof AggregateError && e.errors.some((x) => databaseUnavailable(x))) return true;
  }
  return false;
}
