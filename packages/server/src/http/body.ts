/**
 * Reads a request body up to a limit; beyond it the request is refused with HTTP 413. A client
 * that goes away mid-body is not an error of the server (ClientGone).
 */
import type { IncomingMessage } from "node:http";
import { commonErrors, type ApiError } from "@opencompshare/protocol";

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }

  /** What is answered, with HTTP 413: `Params [body] not available: request body larger than …`. */
  refusal(): ApiError {
    return commonErrors.invalidParam("body", this.message);
  }
}

/** The client closed the connection before its body was read: there is no one to answer. */
export class ClientGone extends Error {
  constructor(cause: Error) {
    super("the client closed the connection before sending its whole body", { cause });
  }
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(req.destroyed || (error as NodeJS.ErrnoException).code === "ECONNRESET" ? new ClientGone(error) : error);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
