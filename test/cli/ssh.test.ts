/**
 * `ocs instance ssh` → a real server (a child process, short simulated boots): it prints the
 * instance's SshLoginCommand (ubuntu on 22 for the Ubuntu system image, root on 23 for a
 * container), as JSON with -o json, and runs the SSH client ($OCS_SSH, here a script that records
 * its arguments) with the remote command after `--`, passing on its exit code. An instance without
 * a login, or not one of yours, is an error.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ocs, type Run } from "./run-ocs.js";
import { startLiveServer, type LiveServer } from "./live-server.js";

describe("ocs instance ssh", () => {
  let live: LiveServer;
  const dir = mkdtempSync(join(tmpdir(), "ocs-cli-ssh-"));
  const fake = join(dir, "fake-ssh");
  const record = join(dir, "argv.json");
  const run = (...args: string[]) => ocs(args, { ...live.env, OCS_POLL_INTERVAL_MS: "100" });
  const ok = (r: Run) => assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  let vm = "";
  let container = "";

  const created = async (image: string): Promise<string> => {
    const r = await run("instance", "create", "--gpu-type", "4090", "--image", image, "--charge-type", "Postpay", "--wait", "-o", "json");
    ok(r);
    return (JSON.parse(r.stdout.trim().split("\n")[0] as string) as { UHostIds: string[] }).UHostIds[0] as string;
  };
  const publicIp = async (id: string): Promise<string> => {
    const inst = (await live.client.describeCompShareInstance({ UHostIds: [id] })).UHostSet[0];
    const ip = inst?.IPSet.find((x) => x.Type !== "Private")?.IP;
    assert.ok(ip, `a public address: ${JSON.stringify(inst?.IPSet)}`);
    return ip;
  };

  before(async () => {
    live = await startLiveServer("ssh");
    // A stand-in for ssh: records its arguments, says hello, and exits 7.
    writeFileSync(fake, `#!/usr/bin/env node\nrequire("node:fs").writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\nconsole.log("hello from fake ssh");\nprocess.exit(7);\n`);
    chmodSync(fake, 0o755);
    [vm, container] = await Promise.all([created("compshareImage-ubuntu2204"), created("compshareImage-pytorch24")]);
  });
  after(async () => {
    await live?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("--print: ubuntu on port 22 for the Ubuntu system image, root on port 23 for a container, at the public address", async () => {
    const a = await run("instance", "ssh", vm, "--print");
    ok(a);
    assert.equal(a.stdout, `ssh ubuntu@${await publicIp(vm)}\n`);
    const b = await run("instance", "ssh", container, "--print");
    ok(b);
    assert.equal(b.stdout, `ssh -p 23 root@${await publicIp(container)}\n`);
    // The remote command after --, quoted for a shell.
    const c = await run("instance", "ssh", container, "--print", "--", "echo", "it's up");
    ok(c);
    assert.equal(c.stdout, `ssh -p 23 root@${await publicIp(container)} echo 'it'\\''s up'\n`);
  });

  it("-o json: the login's parts; --show-password adds the decoded password", async () => {
    const r = await run("instance", "ssh", container, "-o", "json");
    ok(r);
    const ip = await publicIp(container);
    assert.deepEqual(JSON.parse(r.stdout), {
      UHostId: container,
      SshLoginCommand: `ssh -p 23 root@${ip}`,
      User: "root",
      Host: ip,
      Port: 23,
      Command: ["ssh", "-p", "23", `root@${ip}`],
    });
    const reset = await run("instance", "reset-password", container, "--password", "Login-23-ok", "--wait");
    ok(reset);
    const p = await run("instance", "ssh", container, "-o", "json", "--show-password");
    ok(p);
    assert.equal((JSON.parse(p.stdout) as { Password: string }).Password, "Login-23-ok");
  });

  it("runs $OCS_SSH with the login and the remote command, and exits with its code", async () => {
    const r = await ocs(["instance", "ssh", vm, "--show-password", "--", "uname", "-a"], { ...live.env, OCS_SSH: fake });
    assert.equal(r.code, 7, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout, "hello from fake ssh\n");
    assert.match(r.stderr, /^password: \S+$/m);
    assert.deepEqual(JSON.parse(readFileSync(record, "utf8")), [`ubuntu@${await publicIp(vm)}`, "uname", "-a"]);
    const c = await ocs(["instance", "ssh", container], { ...live.env, OCS_SSH: fake });
    assert.equal(c.code, 7);
    assert.deepEqual(JSON.parse(readFileSync(record, "utf8")), ["-p", "23", `root@${await publicIp(container)}`]);
  });

  it("says so when the client is missing or the instance is not yours", async () => {
    const missing = await ocs(["instance", "ssh", vm], { ...live.env, OCS_SSH: join(dir, "no-such-ssh") });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-ssh not found: install an OpenSSH client, or name one in OCS_SSH/);
    const nobody = await run("instance", "ssh", "uhost-nope", "--print");
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /InstanceNotFound: instance uhost-nope/);
    const usage = await run("instance", "ssh");
    assert.equal(usage.code, 2);
  });
});
