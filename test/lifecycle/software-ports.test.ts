/**
 * The software a container instance serves, and where: Describe's Softwares name each (the image's
 * software, then HTTP:N and TCP:N of UpdateCompShareInstancePorts) with the URL its host publishes
 * it at. A port added while the instance runs has no URL until it is published, at the next start;
 * a virtual machine publishes nothing (its software is at its own address).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { allRunning, create, idle } from "./helpers.js";

interface Described {
  State: string;
  Softwares: Array<{ Name: string; URL: string }>;
  IPSet: Array<{ IP: string; Type: string }>;
}

describe("software ports of container instances", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  async function describeOne(id: string): Promise<Described> {
    const res = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    return (res.body.UHostSet as Described[])[0] as Described;
  }
  const publicIp = (d: Described) => d.IPSet.find((ip) => ip.Type !== "Private")?.IP ?? "";
  const ok = async (action: string, params: Record<string, unknown>) => {
    const res = await s.call(action, { ...REGION, ...params } as never);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  };

  it("shows the image's software, published where the world reaches the instance", async () => {
    const [id] = await create(s, { CompShareImageId: "compshareImage-comfyui", ChargeType: "Postpay" });
    await allRunning(s, [id as string]);
    const d = await describeOne(id as string);
    const ip = publicIp(d);
    assert.ok(ip, "the simulated fleet gives a public address");
    // ComfyUI has no port in DescribeCompShareSoftwarePort's list; JupyterLab has 8888.
    assert.deepEqual(d.Softwares, [{ Name: "JupyterLab", URL: `http://${ip}:8888` }]);
  });

  it("publishes ports added while it runs from its next start; until then they have no URL", async () => {
    const [id] = await create(s, { CompShareImageId: "compshareImage-pytorch24", ChargeType: "Postpay" });
    await allRunning(s, [id as string]);
    await ok("UpdateCompShareInstancePorts", { UHostId: id, "HttpPorts.0": 8080, "TcpPorts.0": 6006 });
    let d = await describeOne(id as string);
    const ip = publicIp(d);
    assert.deepEqual(d.Softwares, [
      { Name: "JupyterLab", URL: `http://${ip}:8888` },
      { Name: "HTTP:8080", URL: "" },
      { Name: "TCP:6006", URL: "" },
    ]);
    await ok("StopCompShareInstance", { UHostId: id });
    await s.until(async () => (await s.state(id as string)) === "Stopped");
    await idle(s, id as string);
    await ok("StartCompShareInstance", { UHostId: id });
    await allRunning(s, [id as string]);
    d = await describeOne(id as string);
    assert.deepEqual(d.Softwares, [
      { Name: "JupyterLab", URL: `http://${ip}:8888` },
      { Name: "HTTP:8080", URL: `http://${ip}:8080` },
      { Name: "TCP:6006", URL: `tcp://${ip}:6006` },
    ]);
    // Taken away: gone from Softwares at once, unpublished at the next start.
    await ok("UpdateCompShareInstancePorts", { UHostId: id, "HttpPorts.0": 9000 });
    d = await describeOne(id as string);
    assert.deepEqual(d.Softwares.map((x) => x.Name), ["JupyterLab", "HTTP:9000", "TCP:6006"]);
    assert.equal(d.Softwares[1]?.URL, "");
  });

  it("a virtual machine lists no software port of a container", async () => {
    const [id] = await create(s, { CompShareImageId: CREATE.CompShareImageId, ChargeType: "Postpay" });
    await allRunning(s, [id as string]);
    assert.deepEqual((await describeOne(id as string)).Softwares, []);
  });
});
