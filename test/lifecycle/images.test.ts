/** Platform images and custom images made from instances. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { NestedValue } from "@opencompshare/protocol";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

interface Image {
  CompShareImageId: string;
  Name: string;
  Description: string;
  ImageType: string;
  Status: string;
  SourceGpuType: string;
  IsOfficial: boolean;
  Softwares: { Applications: string[]; CUDAVersion: string; Framework: string; FrameworkVersion: string };
}

interface Progress {
  Process: number;
  RemainingDuration: string;
  TotalDuration: string;
}

const PLATFORM = ["compshareImage-ubuntu2204", "compshareImage-pytorch24", "compshareImage-comfyui"];

async function images(s: TestServer, params: Record<string, NestedValue> = {}): Promise<{ total: number; set: Image[] }> {
  const res = await s.call("DescribeCompShareImages", { ...REGION, ...params });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return { total: res.body.TotalCount as number, set: res.body.ImageSet as Image[] };
}

async function custom(s: TestServer, params: Record<string, NestedValue> = {}): Promise<{ total: number; set: Image[] }> {
  const res = await s.call("DescribeCompShareCustomImages", { ...REGION, ...params });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return { total: res.body.TotalCount as number, set: res.body.ImageSet as Image[] };
}

async function statusOf(s: TestServer, imageId: string): Promise<string | undefined> {
  return (await custom(s, { CompShareImageId: imageId })).set[0]?.Status;
}

async function progress(s: TestServer, imageId: string): Promise<Progress> {
  const res = await s.call("GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: imageId });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return { Process: res.body.Process as number, RemainingDuration: res.body.RemainingDuration as string, TotalDuration: res.body.TotalDuration as string };
}

async function makeImage(s: TestServer, uhostId: string, params: Record<string, NestedValue> = {}): Promise<string> {
  const res = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: uhostId, Name: "my-image", ...params });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return res.body.CompShareImageId as string;
}

describe("DescribeCompShareImages", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  it("lists the platform images, System and App", async () => {
    const { total, set } = await images(s);
    assert.equal(total, PLATFORM.length);
    assert.deepEqual(set.map((i) => i.CompShareImageId).sort(), [...PLATFORM].sort());
    for (const image of set) {
      assert.equal(image.Status, "Available");
      assert.equal(image.IsOfficial, true);
      assert.ok(["System", "App"].includes(image.ImageType), image.ImageType);
    }
  });

  it("filters by ImageType", async () => {
    const system = await images(s, { ImageType: "System" });
    assert.deepEqual(
      system.set.map((i) => i.CompShareImageId),
      ["compshareImage-ubuntu2204"],
    );
    assert.equal(system.total, 1);
    const app = await images(s, { ImageType: "App" });
    assert.deepEqual(app.set.map((i) => i.CompShareImageId).sort(), ["compshareImage-comfyui", "compshareImage-pytorch24"]);
    assert.equal(app.total, 2);
    assert.ok(app.set.every((i) => i.ImageType === "App"));
    // A list filter is lenient, as CompShare's is: the CLI sends Game and Other, which match nothing here.
    for (const type of ["Game", "Other", "Bogus"]) {
      const none = await s.call("DescribeCompShareImages", { ...REGION, ImageType: type });
      assert.equal(none.body.RetCode, 0, JSON.stringify(none.body));
      assert.deepEqual([none.body.TotalCount, none.body.ImageSet], [0, []]);
    }
  });

  it("filters by CompShareImageId", async () => {
    const { total, set } = await images(s, { CompShareImageId: "compshareImage-pytorch24" });
    assert.equal(total, 1);
    assert.equal(set[0]?.CompShareImageId, "compshareImage-pytorch24");
    assert.equal(set[0]?.Softwares.Framework, "PyTorch");
    assert.equal((await images(s, { CompShareImageId: "compshareImage-nope" })).total, 0);
  });

  it("filters by Name", async () => {
    const { total, set } = await images(s, { Name: "ComfyUI" });
    assert.equal(total, 1);
    assert.equal(set[0]?.CompShareImageId, "compshareImage-comfyui");
    assert.deepEqual((await images(s, { Name: "no such image" })).set, []);
  });

  it("does not list custom images", async () => {
    const id = await s.running();
    const imageId = await makeImage(s, id);
    await s.until(async () => (await statusOf(s, imageId)) === "Available");
    const { total, set } = await images(s);
    assert.equal(total, PLATFORM.length);
    assert.ok(!set.some((i) => i.CompShareImageId === imageId));
    assert.equal((await images(s, { CompShareImageId: imageId })).total, 0);
  });
});

describe("custom images", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  it("makes an image: Making, progress growing to 100, then Available, with the Softwares given", async () => {
    const id = await s.running();
    const res = await s.call("CreateCompShareCustomImage", {
      ...REGION,
      UHostId: id,
      Name: "trained",
      Description: "after fine-tuning",
      Softwares: { Application: ["JupyterLab", "vLLM"], CUDAVersion: "12.1", Framework: "PyTorch", FrameworkVersion: "2.1.0" },
    });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    assert.equal(res.body.Action, "CreateCompShareCustomImageResponse");
    const imageId = res.body.CompShareImageId as string;
    assert.match(imageId, /^compshareImage-/);

    const making = await custom(s, { CompShareImageId: imageId });
    assert.equal(making.total, 1);
    const image = making.set[0] as Image;
    assert.equal(image.Status, "Making");
    assert.equal(image.ImageType, "Custom");
    assert.equal(image.Name, "trained");
    assert.equal(image.Description, "after fine-tuning");
    assert.equal(image.SourceGpuType, CREATE.GpuType);
    assert.equal(image.IsOfficial, false);
    assert.deepEqual(image.Softwares, {
      Applications: ["JupyterLab", "vLLM"],
      CUDAVersion: "12.1",
      Framework: "PyTorch",
      FrameworkVersion: "2.1.0",
    });

    const seen: number[] = [];
    await s.until(async () => {
      seen.push((await progress(s, imageId)).Process);
      return (await statusOf(s, imageId)) === "Available";
    }, 1000);
    for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) >= (seen[i - 1] as number), `Process went back: ${seen.join(", ")}`);
    assert.ok(
      seen.some((p) => p > 0 && p < 100),
      `Process should pass between 0 and 100: ${seen.join(", ")}`,
    );
    const done = await progress(s, imageId);
    assert.equal(done.Process, 100);

    const listed = await custom(s);
    assert.equal(listed.total, 1);
    assert.equal(listed.set[0]?.CompShareImageId, imageId);
    assert.equal(listed.set[0]?.Status, "Available");
    assert.deepEqual(listed.set[0]?.Softwares.Applications, ["JupyterLab", "vLLM"]);
  });

  it("refuses to delete an image while it is Making (ImageNotReady 226621), and deletes it once Available", async () => {
    const id = await s.running();
    const imageId = await makeImage(s, id);
    const early = await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: imageId });
    assert.equal(early.body.RetCode, 226621, JSON.stringify(early.body));
    assert.match(early.body.Message ?? "", new RegExp(`^ImageNotReady: image ${imageId} is still being made`));
    assert.equal(await statusOf(s, imageId), "Making");

    await s.until(async () => (await statusOf(s, imageId)) === "Available", 1000);
    const res = await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: imageId });
    assert.deepEqual(res.body, { Action: "TerminateCompShareCustomImageResponse", RetCode: 0 });
    assert.equal((await custom(s, { CompShareImageId: imageId })).total, 0);
    const gone = await s.call("GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: imageId });
    assert.equal(gone.body.RetCode, 226614);
    assert.match(gone.body.Message ?? "", /^ImageNotFound: /);
    const again = await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: imageId });
    assert.equal(again.body.RetCode, 226614);
  });

  it("creates an instance from an own custom image once it is Available, not while Making", async () => {
    const source = await s.running();
    const imageId = await makeImage(s, source, { Name: "base" });
    const early = await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: imageId });
    assert.equal(early.body.RetCode, 226614, JSON.stringify(early.body));
    assert.match(early.body.Message ?? "", /^ImageNotFound: /);

    await s.until(async () => (await statusOf(s, imageId)) === "Available", 1000);
    const res = await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: imageId });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
    const d = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    const inst = (d.body.UHostSet as Array<Record<string, unknown>>)[0];
    assert.equal(inst?.CompShareImageId, imageId);
    assert.equal(inst?.CompShareImageName, "base");
    assert.equal(inst?.CompShareImageType, "Custom");
  });

  it("answers ImageNotFound (226614) for the progress of an unknown image", async () => {
    const res = await s.call("GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: "compshareImage-nope" });
    assert.equal(res.body.RetCode, 226614);
    // A platform image is not the caller's custom image either.
    const platform = await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: "compshareImage-ubuntu2204" });
    assert.equal(platform.body.RetCode, 226614);
    assert.equal((await images(s, { CompShareImageId: "compshareImage-ubuntu2204" })).total, 1);
  });

  it("makes an image only of a Running instance: a Stopped one is refused with 8905, and no image is made", async () => {
    const id = await s.running();
    const stop = await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(stop.body.RetCode, 0, JSON.stringify(stop.body));
    await s.until(async () => (await s.state(id)) === "Stopped");
    const before = (await custom(s)).total;
    const res = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: id, Name: "of-stopped" });
    assert.equal(res.body.RetCode, 8905, JSON.stringify(res.body));
    assert.match(res.body.Message ?? "", new RegExp(`^InstanceStateInvalid: .*${id}`));
    assert.equal((await custom(s)).total, before);
    // Started again, it can be imaged.
    assert.equal((await s.call("StartCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    await makeImage(s, id, { Name: "of-running" });
  });

  it("refuses an image of an instance that does not exist with 8039", async () => {
    const res = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: "uhost-nope", Name: "x" });
    assert.equal(res.body.RetCode, 8039);
    assert.match(res.body.Message ?? "", /^InstanceNotFound: /);
  });
});
