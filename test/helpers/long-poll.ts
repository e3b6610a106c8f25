/** The agent protocol's long-poll as a host makes it, on a given (kept-alive) HTTP agent: what SIGTERM tests hold open. */
import { request, type Agent as HttpAgent } from "node:http";
import { AGENT_PATH } from "@opencompshare/protocol";

export interface PollAnswer {
  status: number;
  /** The answer's Connection header: `close` when the server ends the connection with it. */
  connection: string | undefined;
  commands: unknown[];
  at: number;
}

/** One long-poll (held up to 25 s by the server); rejects when no answer comes within 40 s or the connection fails. */
export function longPoll(url: string, token: string, hostId: string, agent: HttpAgent): Promise<PollAnswer> {
  const body = JSON.stringify({ hostId, running: [], waitMs: 25_000 });
  return new Promise((resolve, reject) => {
    const req = request(`${url}${AGENT_PATH}/commands/poll`, { method: "POST", agent, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, timeout: 40_000 }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, commands: (JSON.parse(text) as { commands: unknown[] }).commands, at: Date.now() });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("long-poll: no answer within 40 s")));
    req.on("error", reject);
    req.end(body);
  });
}
