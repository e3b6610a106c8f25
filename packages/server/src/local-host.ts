/**
 * The in-process host of `OCS_DRIVER=local`: an agent for this machine, run in the server's process.
 * It speaks the same agent protocol as `ocs agent`, over loopback, with a token made fresh at each
 * start (only this process knows it). One GPU box, or a try of the real path.
 */
import type { AddressInfo } from "node:net";
import { AgentSettingsError, loadAgentSettings, startAgent, type Agent, type AgentSettings } from "@opencompshare/agent";
import { ConfigError, type Config } from "./config.js";
import type { Logger } from "./log.js";

/** The host name of the in-process agent. */
export const LOCAL_HOST = "local";

/** The agent's settings (OCS_AGENT_*), read before anything opens: a bad one stops the start. */
export function localHostSettings(config: Config, env: NodeJS.ProcessEnv = process.env): AgentSettings | undefined {
  if (config.driver !== "local") return undefined;
  try {
    return loadAgentSettings({}, env, config.dataDir);
  } catch (error) {
    if (error instanceof AgentSettingsError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Starts the agent against the API at `address`, registered as LOCAL_HOST with `token`. */
export async function startLocalHost(settings: AgentSettings, address: AddressInfo, token: string, log: Logger): Promise<Agent> {
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  const host = wildcard ? "127.0.0.1" : address.address.includes(":") ? `[${address.address}]` : address.address;
  const agent = await startAgent({ settings, server: `http://${host}:${address.port}`, token, log, emulateWhenNone: true });
  log.info({ images: settings.imagesDir }, "running this host's machines");
  return agent;
}
