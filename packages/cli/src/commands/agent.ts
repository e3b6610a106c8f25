/**
 * `ocs agent`: the daemon of a GPU host in fleet mode (the server runs with OCS_DRIVER=agent).
 * It connects out to the control plane with the host's token and runs its machines with QEMU.
 */
import { AGENT_SETTINGS, AgentSettingsError, loadAgentSettings, startAgent } from "@opencompshare/agent";
import { createLogger } from "@opencompshare/server";
import type { Family, Options, RunContext } from "../command.js";

export const AGENT_OPTIONS: Options = Object.fromEntries(
  AGENT_SETTINGS.map((s) => [s.flag, { type: "string" as const, value: "VALUE", describe: `${s.describe} (${s.env}${s.default !== undefined ? `, default ${s.default}` : ""})` }]),
);

async function run(ctx: RunContext): Promise<number> {
  let settings;
  try {
    settings = loadAgentSettings(ctx.values as Record<string, string | undefined>, ctx.io.env);
  } catch (error) {
    if (error instanceof AgentSettingsError) {
      ctx.io.stderr.write(`ocs agent: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (!settings.server || !settings.token) {
    ctx.io.stderr.write("ocs agent: --server URL and --token TOKEN are required (the token comes from `ocs host add NAME` on the control plane)\n");
    return 2;
  }
  const log = createLogger(ctx.io.env.OCS_LOG_LEVEL ?? "info");
  const agent = await startAgent({ settings, server: settings.server, token: settings.token, log });
  ctx.io.stderr.write(`ocs agent: host ${agent.hostId} connected to ${settings.server}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  ctx.io.stderr.write("ocs agent: stopping; the machines go on running\n");
  await agent.stop();
  return 0;
}

export const agentFamily: Family = {
  name: "agent",
  summary: "run this host's machines for a control plane (fleet mode)",
  commands: [{ name: "", summary: "Run the host agent until SIGTERM or SIGINT; the machines go on running after it stops.", maxArgs: 0, options: [["Agent settings (each also read from its environment variable)", AGENT_OPTIONS]], run }],
};
