/**
 * The HTTP server: the API on every path except the health probes and the mounts (the event
 * stream, the console, the agent protocol, /metrics), timeouts against slow clients, and a
 * bounded close: no new connection is taken, idle keep-alive connections are closed, every answer
 * given while closing says `Connection: close`, and what is still open after the grace is cut.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { commonErrors, REQUEST_ID_HEADER } from "@opencompshare/protocol";
import type { AddressInfo } from "node:net";
import { refusal } from "./reply.js";

/** What answers a request on a path: the API (api/wire.ts), or a mount. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpServer {
  server: Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  /**
   * Stops taking connections; resolves when the requests in flight have been answered, or once
   * `graceMs` has passed, when the connections still open are closed.
   */
  close(graceMs?: number): Promise<void>;
}

export interface Probes {
  ready(): Promise<boolean>;
}

/** Another listener on a path prefix, beside the API (events, console, agent protocol, metrics). */
export interface Mount {
  prefix: string;
  handler: RequestListener;
}

export function createHttpServer(api: RequestListener, probes: Probes, mounts: readonly Mount[] = []): HttpServer {
  let closing = false;
  /** Answers not yet begun: when closing starts, each is marked to end its connection. */
  const unanswered = new Set<ServerResponse>();
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    // A request on a kept-alive connection while closing is answered, and its connection ends with it.
    if (closing) res.setHeader("Connection", "close");
    else {
      unanswered.add(res);
      res.once("close", () => unanswered.delete(res));
    }
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/healthz") {
      res.writeHead(200, { "Content-Type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    if (req.method === "GET" && path === "/readyz") {
      probes.ready().then(
        (ok) => res.writeHead(ok ? 200 : 503, { "Content-Type": "application/json" }).end(JSON.stringify({ ready: ok })),
        () => res.writeHead(503, { "Content-Type": "application/json" }).end('{"ready":false}'),
      );
      return;
    }
    const mount = mounts.find((m) => path?.startsWith(m.prefix));
    if (mount) mount.handler(req, res);
    else api(req, res);
  });
  // Requests Node cannot parse never reach the pipeline: answer them with an envelope all the same.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const body = JSON.stringify(
      refusal("", tooLarge ? commonErrors.invalidParam("headers", "request headers too large") : commonErrors.invalidParam("request", "malformed HTTP request")),
    );
    const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\n${REQUEST_ID_HEADER}: ${randomUUID()}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  return {
    server,
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close(graceMs = Number.POSITIVE_INFINITY) {
      closing = true;
      // Those in flight too (a held long-poll answered now): their connections end with them.
      for (const res of unanswered) if (!res.headersSent) res.setHeader("Connection", "close");
      unanswered.clear();
      return new Promise((resolve) => {
        let cut: NodeJS.Timeout | undefined;
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
        if (Number.isFinite(graceMs)) {
          cut = setTimeout(() => server.closeAllConnections(), graceMs);
          cut.unref();
        }
      });
    },
  };
}
