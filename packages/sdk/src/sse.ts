/**
 * A Server-Sent Events parser after the WHATWG rules: lines end with LF, CR or CRLF; a blank
 * line dispatches; `data` lines join with LF; `id` is kept across messages (and ignored when it
 * holds NUL); a leading BOM is dropped; comments and unknown fields are skipped. Written here
 * rather than taken from a package, so that the SDK keeps no runtime dependency.
 */

export interface SseMessage {
  /** The last id seen, this message's or an earlier one's. */
  id: string | undefined;
  /** `message` when the server named none. */
  event: string;
  data: string;
}

export class SseParser {
  private buffer = "";
  private started = false;
  private data: string[] = [];
  private event = "";
  private sawData = false;
  lastId: string | undefined;
  /** The reconnection delay the server asked for, ms. */
  retryMs: number | undefined;

  constructor(private readonly onMessage: (m: SseMessage) => void) {}

  /** Feeds decoded text; messages complete in it are dispatched. */
  feed(chunk: string): void {
    let text = this.buffer + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A CR at the very end may be the first half of a CRLF: wait for more.
      if (c === 13 && i === text.length - 1) break;
      this.line(text.slice(start, i));
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.buffer = text.slice(start);
  }

  private line(line: string): void {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        this.sawData = true;
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
  }

  private dispatch(): void {
    const message = this.sawData ? { id: this.lastId, event: this.event || "message", data: this.data.join("\n") } : undefined;
    this.data = [];
    this.event = "";
    this.sawData = false;
    if (message) this.onMessage(message);
  }
}
