/**
 * `ocs serve`: runs the server (composed by the server's createApp, with OCS_DRIVER=local this
 * host's agent too) until SIGTERM or SIGINT, then stops within the shutdown grace and exits 0.
 */
import { ConfigError, createApp, type Config } from "@opencompshare/server";

/** Printed at the start of a server in testing mode (OCS_TESTING): anyone with the operator's keys can rewrite its world. */
export const TESTING_WARNING =
  "WARNING: testing mode is on (OCS_TESTING): the operator's keys can arm faults, move the clock forward, and save, restore or reset the whole state of every account. Never in production.";

/** After the close, anything still holding the process (a stray timer or socket) is not waited for. */
const EXIT_SLACK_MS = 1000;

export async function serve(config: Config): Promise<number> {
  const app = await createApp(config);
  let address;
  try {
    address = await app.listen();
  } catch (error) {
    // Nothing may stay behind: the database, the data directory's lock, the loops.
    await app.close().catch(() => undefined);
    // The address's own failures (a taken port, a name that does not resolve); the local host's are its own.
    const syscall = (error as NodeJS.ErrnoException).syscall;
    if (syscall === "listen" || syscall === "getaddrinfo") throw new ConfigError(listenFailure(config, error));
    throw error;
  }
  const created = app.createdCredentials;
  if (created) {
    const where = `${config.dataDir}/default-credentials.json`;
    // Printed for the person at the terminal only; never into the log stream.
    const text = process.stderr.isTTY
      ? `\nDefault account created. Keep these safe (also in ${where}, mode 0600):\n  PublicKey:  ${created.PublicKey}\n  PrivateKey: ${created.PrivateKey}\n  ProjectId:  ${created.ProjectId}\n\n`
      : `\nDefault account created; its key pair is in ${where} (mode 0600).\n\n`;
    process.stderr.write(text);
  }
  if (config.driver === "local") process.stderr.write("ocs: running this host's machines (QEMU and podman, each when installed; OCS_AGENT_BACKENDS chooses)\n");
  const origin = `http://${address.address}:${address.port}`;
  process.stderr.write(`ocs: serving on ${origin}\n`);
  if (config.testing) process.stderr.write(`ocs: ${TESTING_WARNING}\n`);
  // Browsers take the console's Secure cookie from loopback over http; elsewhere put HTTPS in front.
  const local = address.address === "127.0.0.1" || address.address === "::1" || address.address === "0.0.0.0";
  process.stderr.write(`ocs: the console: ${local ? `http://127.0.0.1:${address.port}` : origin}/console\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  process.stderr.write(`ocs: stopping: finishing requests in flight (at most ${config.shutdownGraceMs / 1000} s)\n`);
  await app.close();
  process.stderr.write("ocs: stopped\n");
  setTimeout(() => process.exit(0), EXIT_SLACK_MS).unref();
  return 0;
}

/** What a failed listen means, in the terms of the setting to change. */
function listenFailure(config: Config, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const at = `${config.host}:${config.port}`;
  if (code === "EADDRINUSE") return `cannot listen on ${at}: the port is in use (EADDRINUSE); stop what holds it or set OCS_PORT (--port)`;
  if (code === "EADDRNOTAVAIL") return `cannot listen on ${at}: no interface has this address (EADDRNOTAVAIL); set OCS_HOST (--host) to one of this machine's`;
  if (code === "EACCES") return `cannot listen on ${at}: not allowed (EACCES); ports under 1024 need privileges: set OCS_PORT (--port)`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot listen on ${at}: the host name ${config.host} does not resolve (${code}); set OCS_HOST (--host)`;
  return `cannot listen on ${at}: ${(error as Error).message}; check OCS_HOST and OCS_PORT`;
}
