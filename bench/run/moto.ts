// ---------------------------------------------------------------------------------------------
// moto

import { log } from "../lib.js";
import { ec2Body, MOTO_CONTENT_TYPE, MOTO_HEADERS, runInstances, startMoto, type MotoSetup } from "../moto.js";
import { load, scenario, writeBodies } from "./measure.js";
import type { Options } from "./options.js";
import { facts } from "./results.js";

export async function runMoto(opts: Options, setup: MotoSetup): Promise<void> {
  if (!setup.ok) {
    facts.moto = { skipped: setup.reason };
    log(`  moto skipped: ${setup.reason}`);
    return;
  }
  const server = await startMoto(setup.bin);
  try {
    const ids = await runInstances(server.url, 200);
    // Werkzeug closes the connection after every response: the load generator's node:http loop.
    const common = { url: server.url, contentType: MOTO_CONTENT_TYPE, headers: MOTO_HEADERS, connectionClose: true };
    const describe = ec2Body("DescribeInstances", { "InstanceId.1": ids[0] as string });
    const expectDescribe = [`<instanceId>${ids[0]}</instanceId>`];
    await load({ ...common, connections: opts.connections, durationS: 1, body: describe, expect: expectDescribe, connectionClose: true }, server.pid);
    await scenario(opts, "moto:DescribeInstances (one)", "moto", ids.length, { ...common, body: describe, expect: expectDescribe }, server.pid);
    const reboots = writeBodies("moto-reboot", ids.map((id) => ec2Body("RebootInstances", { "InstanceId.1": id })));
    await scenario(opts, "moto:RebootInstances", "moto", ids.length, { ...common, bodiesFile: reboots, bodiesMode: "cycle", expect: ["<RebootInstancesResponse"] }, server.pid);
    facts.moto = { version: setup.version, installed_now: setup.installedNow, instances: ids.length };
  } finally {
    await server.stop("SIGTERM", 10_000);
  }
}
