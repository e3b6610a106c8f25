/**
 * Writing an answer: the envelope as JSON, the request id header, HTTP 200 for every API outcome
 * (other statuses only where the caller says so: the transport's own refusals, the event stream,
 * the console's routes). A refusal's envelope is built from its catalogue error, never from a
 * RetCode written out.
 */
import type { ServerResponse } from "node:http";
import { commonErrors, errorEnvelope, REQUEST_ID_HEADER, type ApiError, type Envelope } from "@opencompshare/protocol";

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

/** The envelope of a refusal: `<action>Response`, the error's RetCode and Message. */
export function refusal(action: string, error: ApiError): Envelope {
  return errorEnvelope(action, error.retCode, error.message);
}

/** A method the route does not take (answered with 405 and `Allow`): `Params [Method] not available: PUT`. */
export const methodNotAllowed = (method: string | undefined): ApiError => commonErrors.invalidParam("Method", String(method));
