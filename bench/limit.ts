/**
 * (f) The limit: a lean probe that does only the work a correct answer needs, and nothing else.
 * It is the reference the b/c/d rows are measured against (`ratio_to_limit`), in the same run,
 * on the same load generator, bodies and connections, against a database of the same schema and
 * the same seeded rows as the server's own.
 *
 * Per request:
 * - read the whole body and parse the form (URLSearchParams);
 * - verify the SHA-1 signature (`verify()` of @opencompshare/protocol) with the one known key;
 * - DescribeCompShareInstance: one prepared primary-key read of the instance;
 * - RebootCompShareInstance: one prepared primary-key read of its lock; if it is held, the
 *   refusal (226610). Otherwise one transaction (SQLite: BEGIN IMMEDIATE, in WAL with
 *   synchronous=NORMAL, as the server's connection): the lock's compare-and-set, the operation's
 *   insert, the instance's state update;
 * - write the JSON envelope with a request id header.
 *
 * What it leaves out, on purpose, is everything that is not the answer's own cost: the key
 * lookup, the account's scope, validation beyond the signature, events, logging, metrics, the
 * runner that later carries the reboot out.
 *
 *   node --import tsx bench/limit.ts PORT sqlite FILE PUBLIC_KEY PRIVATE_KEY
 *   node --import tsx bench/limit.ts PORT postgres URL PUBLIC_KEY PRIVATE_KEY
 */
import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { verify, type WireParams } from "@opencompshare/protocol";

const [portArg, engine, location, publicKey, privateKey] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port <= 0 || (engine !== "sqlite" && engine !== "postgres") || !location || !publicKey || !privateKey) {
  process.stderr.write("usage: node --import tsx bench/limit.ts PORT sqlite|postgres FILE|URL PUBLIC_KEY PRIVATE_KEY\n");
  process.exit(2);
}

const LOCK_TTL_MS = 7_200_000;

/** The three answers' work, on one engine. */
interface Work {
  describe(id: string): Promise<Record<string, unknown> | undefined>;
  /** True when the lock is held by an operation whose lease has not expired. */
  lockHeld(id: string, now: number): Promise<boolean>;
  /** The transaction; false when the compare-and-set lost (another holder came first). */
  accept(id: string, opId: string, requestId: string, now: number): Promise<boolean>;
  close(): Promise<void>;
}

const SELECT_INSTANCE = `SELECT * FROM instances WHERE id = ?`;
const SELECT_LOCK = `SELECT holder_op_id, expires_at FROM instance_locks WHERE instance_id = ?`;
/** Parameters: holder, now, expires, instance, now. */
const CAS_LOCK = `UPDATE instance_locks SET holder_op_id = ?, token = token + 1, epoch = epoch + 1, acquired_at = ?, expires_at = ?
  WHERE instance_id = ? AND (holder_op_id IS NULL OR expires_at <= ?) RETURNING token`;
const INSERT_OPERATION = `INSERT INTO operations (id, instance_id, account_id, project_id, action, request_id, source, requester, status, phase,
  fence, lock_token, owner, lease_expires_at, params, checkpoint, started_at, ended_at, error_code, error_message, recovered, epoch)
  SELECT ?, id, account_id, project_id, 'RebootCompShareInstance', ?, 'api', '', 'running', 'accepted',
    1, ?, 'limit-probe', ?, '{}', '{}', ?, NULL, NULL, '', 0, 1 FROM instances WHERE id = ?`;
const UPDATE_STATE = `UPDATE instances SET state = 'Rebooting', updated_at = ? WHERE id = ? AND state = 'Running'`;

/** PostgreSQL spells the parameters $1, $2, …; the same statements otherwise. */
const pgSql = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

function sqliteWork(file: string): Work {
  const db = new BetterSqlite3(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 10000");
  const instance = db.prepare(SELECT_INSTANCE);
  const lock = db.prepare(SELECT_LOCK);
  const cas = db.prepare(CAS_LOCK);
  const insert = db.prepare(INSERT_OPERATION);
  const update = db.prepare(UPDATE_STATE);
  const accept = db.transaction((id: string, opId: string, requestId: string, now: number): boolean => {
    const won = cas.get(opId, now, now + LOCK_TTL_MS, id, now) as { token: number } | undefined;
    if (!won) return false;
    insert.run(opId, requestId, won.token, now + 30_000, now, id);
    update.run(now, id);
    return true;
  });
  return {
    describe: async (id) => instance.get(id) as Record<string, unknown> | undefined,
    lockHeld: async (id, now) => {
      const row = lock.get(id) as { holder_op_id: string | null; expires_at: number } | undefined;
      return !!row && row.holder_op_id !== null && Number(row.expires_at) > now;
    },
    accept: async (id, opId, requestId, now) => accept.immediate(id, opId, requestId, now),
    close: async () => void db.close(),
  };
}

function postgresWork(url: string): Work {
  // The server's default pool size; every statement is a named (server-side prepared) one.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const q = (name: string, text: string, values: unknown[]) => ({ name, text: pgSql(text), values });
  return {
    describe: async (id) => (await pool.query(q("limit_instance", SELECT_INSTANCE, [id]))).rows[0] as Record<string, unknown> | undefined,
    lockHeld: async (id, now) => {
      const row = (await pool.query(q("limit_lock", SELECT_LOCK, [id]))).rows[0] as { holder_op_id: string | null; expires_at: string } | undefined;
      return !!row && row.holder_op_id !== null && Number(row.expires_at) > now;
    },
    accept: async (id, opId, requestId, now) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const won = await client.query(q("limit_cas", CAS_LOCK, [opId, now, now + LOCK_TTL_MS, id, now]));
        if (won.rowCount !== 1) {
          await client.query("ROLLBACK");
          return false;
        }
        await client.query(q("limit_insert", INSERT_OPERATION, [opId, requestId, (won.rows[0] as { token: string }).token, now + 30_000, now, id]));
        await client.query(q("limit_update", UPDATE_STATE, [now, id]));
        await client.query("COMMIT");
        return true;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

const work = engine === "sqlite" ? sqliteWork(location) : postgresWork(location);

function send(res: ServerResponse, requestId: string, envelope: object): void {
  const body = JSON.stringify(envelope);
  res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body), "X-UCLOUD-REQUEST-UUID": requestId });
  res.end(body);
}

async function answer(raw: string, requestId: string): Promise<object> {
  const params: WireParams = Object.fromEntries(new URLSearchParams(raw));
  const action = String(params.Action ?? "");
  const envelope = (retCode: number, fields: object = {}) => ({ Action: `${action}Response`, RetCode: retCode, ...fields });
  if (params.PublicKey !== publicKey || !verify(params, privateKey as string, String(params.Signature ?? ""))) return envelope(171, { Message: "Signature VerifyAC Error" });
  const now = Date.now();
  if (action === "DescribeCompShareInstance") {
    const row = await work.describe(String(params["UHostIds.0"] ?? ""));
    return envelope(0, { TotalCount: row ? 1 : 0, UHostSet: row ? [row] : [] });
  }
  if (action === "RebootCompShareInstance") {
    const id = String(params.UHostId ?? "");
    const refused = () => envelope(226610, { Message: `instance ${id} has an operation in progress` });
    if (await work.lockHeld(id, now)) return refused();
    return (await work.accept(id, randomUUID(), requestId, now)) ? envelope(0, { UHostId: id }) : refused();
  }
  return envelope(161, { Message: `Action [${action}] not found` });
}

const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const requestId = randomUUID();
    answer(Buffer.concat(chunks).toString("utf8"), requestId).then(
      (envelope) => send(res, requestId, envelope),
      (error: unknown) => send(res, requestId, { RetCode: 230, Message: String(error) }),
    );
  });
});

server.listen(port, "127.0.0.1");
const stop = () => server.close(() => void work.close().finally(() => process.exit(0)));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
