/**
 * The HTTP server: the API on every path except the health probes, timeouts against slow
 * clients, and a graceful close that lets requests in flight finish.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RequestListener } from "./pipeline.js";

export interface HttpServer {
  server: Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops taking connections and resolves when the requests in flight have been answered. */
  close(): Promise<void>;
}

export interface Probes {
  ready(): Promise<boolean>;
}

export function createHttpServer(api: RequestListener, probes: Probes): HttpServer {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
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
    api(req, res);
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
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
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
