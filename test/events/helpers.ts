/** Helpers of the event tests: a stream read in the background, and the log as the database has it. */
import { CompShareClient, type EventsOptions, type StreamItem } from "@opencompshare/sdk";
import type { Keys } from "../helpers/client.js";

export interface Reader {
  items: StreamItem[];
  /** Resolves once `done` holds of what was read, or rejects when the stream ends first. */
  until(done: (items: StreamItem[]) => boolean, what?: string, tries?: number): Promise<void>;
  close(): Promise<void>;
}

export function clientOf(url: string, keys: Keys): CompShareClient {
  return new CompShareClient({ publicKey: keys.PublicKey, privateKey: keys.PrivateKey, baseUrl: url, maxRetries: 0 });
}

/** Reads `client.events(opts)` into `items` until closed. */
export function read(client: CompShareClient, opts: EventsOptions = {}): Reader {
  const stop = new AbortController();
  const items: StreamItem[] = [];
  let failure: unknown;
  let ended = false;
  const opened = new Promise<void>((resolve) => {
    const done = (async () => {
      try {
        for await (const item of client.events({ ...opts, signal: stop.signal, onOpen: () => (resolve(), opts.onOpen?.()) })) items.push(item);
      } catch (error) {
        failure = error;
        resolve();
      } finally {
        ended = true;
      }
    })();
    void done;
  });
  return {
    items,
    async until(done, what = "the events", tries = 400) {
      await opened;
      for (let i = 0; i < tries; i++) {
        if (done(items)) return;
        if (failure) throw failure;
        if (ended && !stop.signal.aborted) throw new Error(`the stream ended before ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`${what} did not arrive; got ${JSON.stringify(items.map((i) => [i.Kind, "State" in i ? i.State : undefined]))}`);
    },
    async close() {
      stop.abort();
      for (let i = 0; i < 200 && !ended; i++) await new Promise((r) => setTimeout(r, 10));
    },
  };
}

export const kinds = (items: StreamItem[]): string[] => items.map((i) => i.Kind);
export const states = (items: StreamItem[], id: string): string[] =>
  items.flatMap((i) => (i.Kind === "instance.state" && i.UHostId === id && i.State ? [i.State] : []));
