/**
 * One in-process test server for a describe block: started before its tests, closed after them.
 * The object returned stands for that server (it forwards to it once the `before` hook has run),
 * so a test reads `s.url`, `s.call(…)`, `s.clock` as with a server it started itself.
 */
import { after, before } from "node:test";
import { startServer, type TestServer, type TestServerOptions } from "./server.js";

export function serverForSuite(opts: TestServerOptions = {}): TestServer {
  let current: TestServer | undefined;
  before(async () => {
    current = await startServer(opts);
  });
  after(async () => {
    await current?.close();
  });
  return new Proxy({} as TestServer, {
    get(_, key) {
      // Not a promise: `await` and Promise.resolve look for `then`.
      if (key === "then") return undefined;
      if (!current) throw new Error("the suite's server is not started yet: use it in a test or a hook");
      return Reflect.get(current, key, current) as unknown;
    },
  });
}
