/** Host ports for the machines' SSH servers and the ports containers publish. */
import { createServer } from "node:net";

/** Asks the OS for a free TCP port on `bind`. */
function ephemeralPort(bind: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, bind, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** A free port on `bind` that no machine of this host holds (`taken`: the ports machines hold now). */
export async function allocatePort(bind: string, taken: ReadonlySet<number | undefined>): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await ephemeralPort(bind);
    if (!taken.has(port)) return port;
  }
  throw new Error(`no free host port on ${bind}`);
}
