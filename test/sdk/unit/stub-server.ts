/**
 * A tiny local HTTP server for the SDK's unit tests (not the API server): it records every
 * request and answers as the test's script says: a status and body, a reset connection, or
 * nothing at all.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  params: Record<string, string>;
}

/** `reset`: destroy the connection without answering. `hang`: never answer. */
export type Reply = { status?: number; body?: string | object; headers?: Record<string, string> } | "reset" | "hang";

export interface StubServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** `reply(req, n)` answers the n-th request (1 for the first). */
export async function stubServer(reply: (req: Recorded, n: number) => Reply): Promise<StubServer> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const recorded: Recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        params: Object.fromEntries(new URLSearchParams(body)),
      };
      requests.push(recorded);
      const answer = reply(recorded, requests.length);
      if (answer === "hang") return;
      if (answer === "reset") {
        req.socket.destroy();
        return;
      }
      const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status ?? 200, { "Content-Type": "application/json", ...answer.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A success envelope of `action` with `fields`, and a request id header. */
export const ok = (action: string, fields: object = {}, requestId = "req-ok"): Reply => ({
  body: { Action: `${action}Response`, RetCode: 0, ...fields },
  headers: { "X-UCLOUD-REQUEST-UUID": requestId },
});

/** An error envelope. */
export const retCode = (action: string, code: number, message: string, requestId = "req-err"): Reply => ({
  body: { Action: `${action}Response`, RetCode: code, Message: message },
  headers: { "X-UCLOUD-REQUEST-UUID": requestId },
});
