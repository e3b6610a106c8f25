/**
 * (a) The baseline: a bare node:http server — the framework the API server is built on — that
 * reads the whole request body (the same signed form bodies the API gets) and answers a small
 * JSON envelope with a request id header, as the API does, and nothing else: no parsing, no
 * signature, no database, no logging. What it reaches is the ceiling of this machine, this
 * Node and this load generator together; every other result is reported as a ratio to it.
 *
 *   node --import tsx bench/baseline.ts PORT
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write("usage: node --import tsx bench/baseline.ts PORT\n");
  process.exit(2);
}

const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const size = chunks.reduce((n, c) => n + c.length, 0);
    const body = JSON.stringify({ Action: "RebootCompShareInstanceResponse", RetCode: 0, Bytes: size });
    res.writeHead(200, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
      "X-UCLOUD-REQUEST-UUID": randomUUID(),
    });
    res.end(body);
  });
});

server.listen(port, "127.0.0.1");
const stop = () => server.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
