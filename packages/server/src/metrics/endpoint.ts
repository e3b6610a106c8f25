/**
 * `GET /metrics`: the Prometheus text. It is not an API Action: an account's keys never reach it.
 * Serve it on a port of its own (OCS_METRICS_ADDR, bound to a private address), ask for a bearer
 * token (OCS_METRICS_TOKEN), or keep it from the outside at the proxy; docs/operating.md.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Metrics } from "./metrics.js";

export const METRICS_PATH = "/metrics";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

export function metricsHandler(metrics: Metrics, token: string | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== METRICS_PATH) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }).end("GET only\n");
      return;
    }
    // Compared in constant time, as digests of the same length.
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ""), expected)) {
      res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain; charset=utf-8" }).end("unauthorized\n");
      return;
    }
    metrics.expose().then(
      ({ body, contentType }) => {
        res.writeHead(200, { "Content-Type": contentType, "Cache-Control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      () => res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end("metrics unavailable\n"),
    );
  };
}

/** A listener of its own for /metrics, on `host:port`. */
export async function listenMetrics(addr: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const at = addr.lastIndexOf(":");
  const host = addr.slice(0, at).replace(/^\[|\]$/g, "");
  const port = Number(addr.slice(at + 1));
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
