/**
 * The agent's link to the control plane: outgoing HTTP only (a host behind NAT needs no inbound
 * port), every request with the host's token. Calls that fail on the network are retried with
 * backoff by the loops that make them; a refusal (4xx) is reported as it is.
 */
import { AGENT_PATH, parseWith, PollResponseSchema, type CommandReport, type Heartbeat, type HostCommand, type PollRequest, type Registration } from "@opencompshare/protocol";

export class LinkError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Link {
  readonly hostId: string;

  constructor(
    private readonly server: string,
    private readonly token: string,
  ) {
    const dot = token.indexOf(".");
    if (dot <= 0) throw new Error("the host token has the form NAME.SECRET, as `ocs host add` prints it");
    this.hostId = token.slice(0, dot);
  }

  register(r: Omit<Registration, "hostId">, signal: AbortSignal): Promise<void> {
    return this.post("/register", { ...r, hostId: this.hostId }, signal, 30_000).then(() => undefined);
  }

  heartbeat(h: Omit<Heartbeat, "hostId">, signal: AbortSignal): Promise<void> {
    return this.post("/heartbeat", { ...h, hostId: this.hostId }, signal, 30_000).then(() => undefined);
  }

  async poll(running: string[], waitMs: number, signal: AbortSignal): Promise<HostCommand[]> {
    const req: PollRequest = { hostId: this.hostId, running, waitMs };
    const body = await this.post("/commands/poll", req, signal, waitMs + 10_000);
    // A poll's answer is checked as the control plane checks the agent's requests: never a cast.
    const { value, issues } = parseWith(PollResponseSchema, body, "strict");
    if (!value) throw new LinkError(200, `/commands/poll: the answer does not match the protocol: ${issues.map((i) => `${i.path} ${i.reason}`).join("; ")}`);
    return value.commands;
  }

  /** Sends a report; false when the control plane did not take it (the command ended otherwise). */
  async report(report: CommandReport, signal: AbortSignal): Promise<boolean> {
    try {
      await this.post("/commands/report", { hostId: this.hostId, report }, signal, 30_000);
      return true;
    } catch (error) {
      if (error instanceof LinkError && error.status === 409) return false;
      throw error;
    }
  }

  private async post(path: string, body: unknown, signal: AbortSignal, timeoutMs: number): Promise<unknown> {
    const res = await fetch(`${this.server.replace(/\/$/, "")}${AGENT_PATH}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    const text = await res.text();
    if (!res.ok) throw new LinkError(res.status, `${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : {};
  }
}
