/**
 * `ocs instance ssh UHOSTID [-- COMMAND...]`: logs in to an instance with the command its
 * DescribeCompShareInstance gives (SshLoginCommand: root on port 23 for a container image, the
 * system's user on 22 for a system image, at the instance's public address), or prints it.
 */
import { spawn } from "node:child_process";
import type { Instance } from "@opencompshare/sdk";
import { API_OPTIONS, api, type ApiContext } from "../api.js";
import type { Command } from "../command.js";
import { jsonLine } from "../output.js";

/** The parts of a login command as the server writes it: `ssh [-p PORT] USER@HOST`. */
export interface Login {
  user: string;
  host: string;
  port: number;
}

export function parseLogin(command: string): Login | undefined {
  const m = /^ssh(?: -p (\d{1,5}))? ([^\s@]+)@(\S+)$/.exec(command.trim());
  return m ? { user: m[2] as string, host: m[3] as string, port: m[1] ? Number(m[1]) : 22 } : undefined;
}

/** An argument as a POSIX shell reads it back: quoted unless it is plain. */
const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

const clearPassword = (i: Instance): string => (i.Password ? Buffer.from(i.Password, "base64").toString("utf8") : "");

/** Runs `bin argv`, the terminal handed over when the CLI has the process's own; resolves with its exit code. */
function run(ctx: ApiContext, bin: string, argv: string[]): Promise<number> {
  const own = ctx.io.stdout === process.stdout;
  return new Promise((resolve) => {
    const child = spawn(bin, argv, { stdio: own ? "inherit" : ["inherit", "pipe", "pipe"] });
    child.stdout?.on("data", (chunk: Buffer) => ctx.io.stdout.write(chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => ctx.io.stderr.write(chunk.toString("utf8")));
    child.on("error", (error: NodeJS.ErrnoException) => {
      ctx.io.stderr.write(
        error.code === "ENOENT" ? `ocs: ${bin} not found: install an OpenSSH client, or name one in OCS_SSH\n` : `ocs: could not run ${bin}: ${error.message}\n`,
      );
      resolve(1);
    });
    // Killed by a signal: 255, ssh's own code for a failure of its own.
    child.on("close", (code) => resolve(code ?? 255));
  });
}

export const ssh: Command = {
  name: "ssh",
  args: "UHOSTID [-- COMMAND...]",
  minArgs: 1,
  summary: "Log in to an instance over SSH with its SshLoginCommand, or print the command (--print).",
  details: [
    "The command is the instance's SshLoginCommand: root on port 23 for a container (a base or community",
    "image), the system's user on port 22 for a system image (ubuntu on Ubuntu), at the instance's address.",
    "Words after -- are the remote command. The login password is the instance's (--show-password prints it",
    "to stderr). The client is ssh on the PATH, or $OCS_SSH. With -o json, the login is printed as JSON.",
  ].join("\n"),
  options: [
    [
      "Options",
      {
        print: { type: "boolean", describe: "print the command instead of running it" },
        "show-password": { type: "boolean", describe: "also print the instance's login password, decoded, to stderr" },
      },
    ],
    ["Credentials and output", API_OPTIONS],
  ],
  run: api(async (ctx) => {
    const [id, ...remote] = ctx.args as [string, ...string[]];
    const res = await ctx.client.describeCompShareInstance({ UHostIds: [id] }, ctx.call);
    const inst = res.UHostSet.find((i) => i.UHostId === id);
    if (!inst) {
      ctx.io.stderr.write(`ocs: InstanceNotFound: instance ${id} is not one of yours (or is gone)\n`);
      return 1;
    }
    const login = parseLogin(inst.SshLoginCommand);
    if (!login) {
      const why = inst.SshLoginCommand ? `an SSH login command this ocs does not read: ${JSON.stringify(inst.SshLoginCommand)}` : `no SSH login (yet): it is ${inst.State || "in an unknown state"}`;
      ctx.io.stderr.write(`ocs: instance ${id} has ${why}\n`);
      return 1;
    }
    const argv = [...(login.port === 22 ? [] : ["-p", String(login.port)]), `${login.user}@${login.host}`, ...remote];
    const showPassword = ctx.values["show-password"] === true;
    if (ctx.format === "json") {
      const out = { UHostId: id, SshLoginCommand: inst.SshLoginCommand, User: login.user, Host: login.host, Port: login.port, Command: ["ssh", ...argv] };
      ctx.io.stdout.write(jsonLine(showPassword ? { ...out, Password: clearPassword(inst) } : out));
      return 0;
    }
    if (showPassword) ctx.io.stderr.write(`password: ${clearPassword(inst)}\n`);
    if (ctx.values.print === true) {
      ctx.io.stdout.write(["ssh", ...argv].map(quote).join(" ") + "\n");
      return 0;
    }
    return run(ctx, ctx.io.env.OCS_SSH || "ssh", argv);
  }),
};
