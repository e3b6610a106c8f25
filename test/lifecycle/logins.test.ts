/**
 * Logins as CompShare's guide gives them (登录GPU实例), through DescribeCompShareInstance on the
 * simulated fleet: a container image's instance (a base image, a community image, a custom image
 * of a container) logs in as root on port 23; a system image's (a virtual machine) as the system's
 * user on port 22, ubuntu for Ubuntu. Each instance gets a public address in IPSet (Type Bgp) from
 * OCS_SIM_PUBLIC_RANGE, distinct from every other instance's and kept for the instance's life;
 * SshLoginCommand logs in there. A terminated instance's address is free again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "@opencompshare/server";
import { CREATE, REGION, type TestServer } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { allRunning, create, idle, one } from "./helpers.js";

const PYTORCH = "compshareImage-pytorch24";
const COMMUNITY = "compshareImage-community-sdwebui";

interface Ip {
  IP: string;
  IPId: string;
  IPMode: string;
  Type: string;
  Bandwidth: number;
  Weight: number;
  Default: string;
  Mac: string;
  VPCId: string;
  SubnetId: string;
  NetworkInterfaceId: string;
}

interface Described {
  InstanceType: string;
  SshLoginCommand: string;
  IPSet: Ip[];
  Softwares: Array<{ Name: string; URL: string }>;
}

async function described(s: TestServer, id: string): Promise<Described> {
  return (await one(s, id)) as unknown as Described;
}

const publicOf = (d: Described): Ip => {
  const pub = d.IPSet.filter((ip) => ip.Type !== "Private");
  assert.equal(pub.length, 1, `one public address: ${JSON.stringify(d.IPSet)}`);
  return pub[0] as Ip;
};

/** Whether `ip` is in the default range: RFC 5737's three documentation blocks. */
const documentation = (ip: string) => /^(203\.0\.113|198\.51\.100|192\.0\.2)\.(\d+)$/.exec(ip);

/** Pay as you go: nothing to prepay from the balance, however many a suite makes. */
const POSTPAY = { ChargeType: "Postpay" };

async function running(s: TestServer, params: Record<string, string | number> = {}): Promise<string> {
  const [id] = await create(s, { ...POSTPAY, ...params });
  await allRunning(s, [id as string]);
  return id as string;
}

describe("logins as the guide gives them", () => {
  const s = serverForSuite();

  it("a system image's instance (UHost, Ubuntu): ubuntu on port 22, at its public address", async () => {
    const id = await running(s);
    const d = await described(s, id);
    assert.equal(d.InstanceType, "UHost");
    const pub = publicOf(d);
    assert.ok(documentation(pub.IP), `a documentation address: ${pub.IP}`);
    assert.equal(d.SshLoginCommand, `ssh ubuntu@${pub.IP}`);
  });

  it("a base image's instance (Container): root on port 23, at its public address", async () => {
    const id = await running(s, { CompShareImageId: PYTORCH });
    const d = await described(s, id);
    assert.equal(d.InstanceType, "Container");
    const pub = publicOf(d);
    assert.equal(d.SshLoginCommand, `ssh -p 23 root@${pub.IP}`);
    // JupyterLab is reached where the world reaches the instance.
    assert.deepEqual(
      d.Softwares.filter((x) => x.Name === "JupyterLab").map((x) => x.URL),
      [`http://${pub.IP}:8888`],
    );
  });

  it("a community image's instance (Container): root on port 23", async () => {
    const id = await running(s, { CompShareImageId: COMMUNITY });
    const d = await described(s, id);
    assert.equal(d.InstanceType, "Container");
    assert.equal(d.SshLoginCommand, `ssh -p 23 root@${publicOf(d).IP}`);
  });

  it("IPSet: the private address first, then the public one (Bgp), with the example's fields and JSON types", async () => {
    const id = await running(s);
    const d = await described(s, id);
    assert.equal(d.IPSet.length, 2);
    const [priv, pub] = d.IPSet as [Ip, Ip];
    assert.equal(priv.Type, "Private");
    assert.match(priv.IP, /^10\.\d+\.\d+\.\d+$/);
    assert.equal(priv.Default, "true");
    assert.match(priv.Mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
    assert.equal(pub.Type, "Bgp");
    assert.equal(pub.IPMode, "IPv4");
    assert.match(pub.IPId, /^eip-[0-9a-f]{8}$/);
    assert.equal(pub.Bandwidth, 2000);
    assert.equal(pub.Weight, 50);
    for (const ip of d.IPSet) {
      assert.deepEqual(Object.keys(ip).sort(), ["Bandwidth", "Default", "IP", "IPId", "IPMode", "Mac", "NetworkInterfaceId", "SubnetId", "Type", "VPCId", "Weight"]);
      for (const key of ["Bandwidth", "Weight"] as const) assert.ok(Number.isInteger(ip[key]), `${key} is an integer`);
      for (const key of ["IP", "IPId", "IPMode", "Type", "Default", "Mac", "VPCId", "SubnetId", "NetworkInterfaceId"] as const) assert.equal(typeof ip[key], "string", `${key} is a string`);
    }
  });

  it("shows the address while the instance is still Initializing", async () => {
    const [id] = await create(s, POSTPAY);
    // The clock stands still: the machine is made, and the instance boots no further.
    let d = await described(s, id as string);
    for (let i = 0; i < 200 && d.IPSet.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 25));
      d = await described(s, id as string);
    }
    assert.equal((await one(s, id as string)).State, "Initializing");
    assert.equal(d.SshLoginCommand, `ssh ubuntu@${publicOf(d).IP}`);
    await allRunning(s, [id as string]);
  });

  it("gives every instance its own public address", async () => {
    const res = await s.call("CreateCompShareInstance", { ...CREATE, ...POSTPAY, MaxCount: 12 });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const ids = res.body.UHostIds as string[];
    await allRunning(s, ids);
    const all = await s.call("DescribeCompShareInstance", { ...REGION, Limit: 100 });
    const addresses = (all.body.UHostSet as Described[]).map((d) => publicOf(d).IP);
    assert.ok(addresses.length >= 12);
    assert.equal(new Set(addresses).size, addresses.length, `distinct: ${addresses.join(", ")}`);
  });

  it("keeps the address and the login through stop, start, reboot and a reinstall; a reinstall takes the new image's login", async () => {
    const id = await running(s);
    const before = await described(s, id);
    const ip = publicOf(before).IP;
    const call = async (action: string, params: Record<string, string> = {}) => {
      const res = await s.call(action, { ...REGION, UHostId: id, ...params });
      assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    };
    await call("StopCompShareInstance");
    await s.until(async () => (await s.state(id)) === "Stopped");
    await call("StartCompShareInstance");
    await allRunning(s, [id]);
    await call("RebootCompShareInstance");
    await allRunning(s, [id]);
    assert.equal((await described(s, id)).SshLoginCommand, `ssh ubuntu@${ip}`);
    await call("StopCompShareInstance");
    await s.until(async () => (await s.state(id)) === "Stopped");
    await call("ReinstallCompShareInstance", { CompShareImageId: CREATE.CompShareImageId });
    await allRunning(s, [id]);
    await idle(s, id);
    const after = await described(s, id);
    assert.equal(publicOf(after).IP, ip);
    assert.equal(after.SshLoginCommand, `ssh ubuntu@${ip}`);
  });

  it("a custom image keeps its source's login: a VM's image ubuntu on 22, a container's root on 23", async () => {
    for (const [source, login] of [
      [CREATE.CompShareImageId, /^ssh ubuntu@/],
      [PYTORCH, /^ssh -p 23 root@/],
    ] as const) {
      const from = await running(s, { CompShareImageId: source });
      const made = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: from, Name: `of-${source}` });
      assert.equal(made.body.RetCode, 0, JSON.stringify(made.body));
      const image = made.body.CompShareImageId as string;
      await s.until(async () => {
        const r = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: image });
        return (r.body.ImageSet as Array<{ Status: string }>)[0]?.Status === "Available";
      }, 1000);
      const id = await running(s, { CompShareImageId: image });
      assert.match((await described(s, id)).SshLoginCommand, login, `an instance of the custom image of ${source}`);
    }
  });
});

describe("OCS_SIM_PUBLIC_RANGE", () => {
  const s = serverForSuite({ env: { OCS_SIM_PUBLIC_RANGE: "198.51.100.8/30" } });

  it("gives addresses from the configured range only, and a terminated instance's address to the next one", async () => {
    // A /30 holds two host addresses: .9 and .10.
    const a = await running(s);
    const b = await running(s);
    const taken = [publicOf(await described(s, a)).IP, publicOf(await described(s, b)).IP];
    assert.deepEqual([...taken].sort(), ["198.51.100.10", "198.51.100.9"]);
    // None left: the third cannot be given one, and says why.
    const [c] = await create(s, POSTPAY);
    await s.until(async () => (await one(s, c as string)).State === "Install Fail");
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: c as string });
    assert.match(JSON.stringify(ops.body.OperationSet), /no free public address/);
    // Terminated, b's address is free again, and the next instance gets it.
    const freed = publicOf(await described(s, b)).IP;
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: b })).body.RetCode, 0);
    await s.until(async () => (await s.state(b)) === "Stopped");
    const res = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: b });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    await s.until(async () => (await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": b })).body.TotalCount === 0);
    const d = await running(s);
    assert.equal(publicOf(await described(s, d)).IP, freed);
  });

  it("refuses a value that is not IPv4 CIDR blocks, naming the setting", () => {
    for (const bad of ["203.0.113.0", "203.0.113.0/33", "300.0.113.0/24", "10.0.0.0/8", ""]) {
      assert.throws(() => loadConfig({}, { OCS_SIM_PUBLIC_RANGE: bad }), (e: unknown) => e instanceof ConfigError && /OCS_SIM_PUBLIC_RANGE/.test(e.message), bad);
    }
    assert.equal(loadConfig({}, {}).simPublicRange, "203.0.113.0/24,198.51.100.0/24,192.0.2.0/24");
  });
});
