/**
 * Flattened keys (`Disks.0.Size`, `UHostIds.N`, `Softwares.Application.N`) end to end: read
 * into nested values, and a bad one refused naming the key.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CREATE, REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { assertAnswer, wire } from "./raw.js";

describe("HTTP parsing: flattened keys", () => {
  const s = serverForSuite();
  const { form, createOne, describeOne } = wire(s);

  it("creates with form keys Disks.0.IsBoot / Disks.0.Size / Disks.0.Type", async () => {
    const id = await createOne({
      "Disks.0.IsBoot": "true",
      "Disks.0.Size": "80",
      "Disks.0.Type": "CLOUD_SSD",
      "Disks.1.IsBoot": "false",
      "Disks.1.Size": "120",
      "Disks.1.Type": "CLOUD_SSD",
    });
    const inst = await describeOne(id);
    assert.deepEqual(
      (inst.DiskSet as Array<{ IsBoot: string; Size: number }>).map((d) => [d.IsBoot, d.Size]),
      [
        ["True", 80],
        ["False", 120],
      ],
    );
    assert.equal(inst.TotalDiskSpace, 200);
  });

  it("names the flattened key of a bad nested value", async () => {
    const bad = await form("CreateCompShareInstance", { ...CREATE, "Disks.0.IsBoot": "true", "Disks.0.Size": "abc", "Disks.0.Type": "CLOUD_SSD" });
    assertAnswer(bad, "CreateCompShareInstance", 230, "Params [Disks.0.Size] not available: expected an integer");
    const missing = await form("CreateCompShareInstance", { ...CREATE, "Disks.0.IsBoot": "true", "Disks.0.Size": "10" });
    assertAnswer(missing, "CreateCompShareInstance", 220, "Missing params [Disks.0.Type]");
    const gap = await form("CreateCompShareInstance", {
      ...CREATE,
      "Disks.0.IsBoot": "true",
      "Disks.0.Size": "10",
      "Disks.0.Type": "CLOUD_SSD",
      "Disks.2.IsBoot": "false",
      "Disks.2.Size": "10",
      "Disks.2.Type": "CLOUD_SSD",
    });
    assertAnswer(gap, "CreateCompShareInstance", 230, /^Params \[Disks\.2[^\]]*\] not available: .+$/);
  });

  it("refuses a list index above the limit or with a leading zero, naming the key", async () => {
    const huge = await form("DescribeCompShareInstance", { ...REGION, "UHostIds.0": "a", "UHostIds.100000": "b" });
    assertAnswer(huge, "DescribeCompShareInstance", 230, /^Params \[UHostIds\.100000\] not available: list index above 999$/);
    const lead = await form("DescribeCompShareInstance", { ...REGION, "UHostIds.0": "a", "UHostIds.01": "b" });
    assertAnswer(lead, "DescribeCompShareInstance", 230, /^Params \[UHostIds\.01\] not available: .+$/);
  });

  it("refuses a key that is both a value and a container", async () => {
    const res = await form("DescribeCompShareInstance", { ...REGION, UHostIds: "a", "UHostIds.0": "b" });
    assertAnswer(res, "DescribeCompShareInstance", 230, /^Params \[UHostIds(\.0)?\] not available: .+$/);
  });

  it("makes a custom image with Softwares.CUDAVersion and Softwares.Application.N", async () => {
    const id = await s.running();
    const res = await form("CreateCompShareCustomImage", {
      ...REGION,
      UHostId: id,
      Name: "img-sw",
      "Softwares.CUDAVersion": "12.1",
      "Softwares.Framework": "PyTorch",
      "Softwares.Application.0": "jupyter",
      "Softwares.Application.1": "vscode",
    });
    assertAnswer(res, "CreateCompShareCustomImage", 0);
    const imageId = res.body.CompShareImageId as string;
    const list = await form("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
    assertAnswer(list, "DescribeCompShareCustomImages", 0);
    const image = (list.body.ImageSet as Array<{ Softwares: Record<string, unknown> }>)[0];
    assert.equal(image?.Softwares.CUDAVersion, "12.1");
    assert.equal(image?.Softwares.Framework, "PyTorch");
    assert.deepEqual(image?.Softwares.Applications, ["jupyter", "vscode"]);
    await s.until(async () => {
      const r = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
      return (r.body.ImageSet as Array<{ Status: string }>)[0]?.Status === "Available";
    });
  });
});
