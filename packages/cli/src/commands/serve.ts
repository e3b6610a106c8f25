/**
 * `ocs serve`: runs the server until SIGTERM or SIGINT, then stops gracefully. With
 * OCS_DRIVER=qemu it also runs an agent in this process, for this host: one GPU box, or a try of
 * the real path. It speaks the same agent protocol as `ocs agent`, over loopback.
 */
import { AgentSettingsError, loadAgentSettings, startAgent, type Agent } from "@opencompshare/agent";
import type { AddressInfo } from "node:net";
import { ConfigError, createApp, createLogger, type Config } from "@opencompshare/server";

/** The host name of the agent `OCS_DRIVER=qemu` runs in the server's process. */
export const LOCAL_HOST = "local";

export async function serve(config: Config): Promise<number> {
  let agentSettings;
  if (config.driver === "qemu") {
    try {
      agentSettings = loadAgentSettings({}, process.env, config.dataDir);
    } catch (error) {
      if (error instanceof AgentSettingsError) throw new ConfigError(error.message);
      throw error;
    }
  }
  const app = await createApp(config);
  let address: AddressInfo;
  try {
    address = await app.listen();
  } catch (error) {
    // Nothing may stay behind: the database, the data directory's lock, the loops.
    await app.close().catch(() => undefined);
    throw new ConfigError(listenFailure(config, error));
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
  let agent: Agent | undefined;
  if (agentSettings) {
    // A fresh token each start: only this process knows it.
    const host = address.address.includes(":") ? `[${address.address}]` : address.address;
    try {
      const token = await app.addHost(LOCAL_HOST);
      agent = await startAgent({
        settings: agentSettings,
        server: `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`,
        token,
        log: createLogger(config.logLevel),
        emulateWhenNone: true,
      });
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
    process.stderr.write(`ocs: running this host's machines with QEMU (images from ${agentSettings.imagesDir})\n`);
  }
  const origin = `http://${address.address}:${address.port}`;
  process.stderr.write(`ocs: serving on ${origin}\n`);
  // Browsers take the console's Secure cookie from loopback over http; elsewhere put HTTPS in front.
  const local = address.address === "127.0.0.1" || address.address === "::1" || address.address === "0.0.0.0";
  process.stderr.write(`ocs: the console: ${local ? `http://127.0.0.1:${address.port}` : origin}/console\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  process.stderr.write("ocs: stopping: finishing requests in flight\n");
  await agent?.stop();
  await app.close();
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
