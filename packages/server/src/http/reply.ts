/** The last stage: the envelope as JSON, the request id header, HTTP 200 for every API outcome. */
import type { ServerResponse } from "node:http";
import { REQUEST_ID_HEADER, type Envelope } from "@opencompshare/protocol";

export function reply(res: ServerResponse, requestId: string, envelope: Envelope, status = 200, close = false): void {
  const body = JSON.stringify(envelope);
  const headers: Record<string, string | number> = {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    [REQUEST_ID_HEADER]: requestId,
  };
  if (close) headers.Connection = "close";
  res.writeHead(status, headers);
  res.end(body);
}
