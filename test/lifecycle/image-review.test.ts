/**
 * Community versions wait for review (`ocs image review`): Reviewing, then Available or Rejected
 * with its reason; VersionName is required in the format v*.*; an image derived from another
 * account's community image is not published again.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import type { NestedValue } from "@opencompshare/protocol";
import type { Credentials } from "@opencompshare/server";
import { OCS_BIN } from "../helpers/process.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);
const PYTORCH = "compshareImage-pytorch24";

interface Version {
  CompShareImageId: string;
  VersionName: string;
  Status: string;
  FailedReason: string;
  Visibility: number;
}

type Keys = { PublicKey: string; PrivateKey: string };

describe("community versions: review, VersionName, derived images", () => {
  let s: TestServer;
  let bob: Credentials;
  let bobKeys: Keys;
  let env: NodeJS.ProcessEnv = {};
  /** A Running container instance of the default account, and an Available custom image of it. */
  let box: string;
  let boxImage: string;

  const ok = async (action: string, params: Record<string, NestedValue>, keys?: Keys) => {
    const res = await s.call(action, params, keys);
    assert.equal(res.body.RetCode, 0, `${action}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const container = async (keys?: Keys, image = PYTORCH) => {
    const id = ((await ok("CreateCompShareInstance", { ...CREATE, CompShareImageId: image, ChargeType: "Postpay" }, keys)).UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id, keys)) === "Running");
    return id;
  };
  const imageOf = async (uhostId: string, name: string, keys?: Keys) => {
    const id = (await ok("CreateCompShareCustomImage", { ...REGION, UHostId: uhostId, Name: name }, keys)).CompShareImageId as string;
    await s.until(async () => {
      const body = await ok("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: id }, keys);
      return (body.ImageSet as Array<{ Status: string }>)[0]?.Status === "Available";
    }, 1000);
    return id;
  };
  const publish = (image: string, params: Record<string, NestedValue>, keys?: Keys) => s.call("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: image, Price: 0, ...params }, keys);
  /** The caller's versions of a group (DescribeSelfCommunityImages), by version name. */
  const mine = async (groupId: string, keys?: Keys): Promise<Map<string, Version>> => {
    const body = await ok("DescribeSelfCommunityImages", { Region: REGION.Region, GroupId: groupId }, keys);
    const groups = body.CompshareImageGroup as Array<{ Data: Version[] }>;
    return new Map((groups[0]?.Data ?? []).map((v) => [v.VersionName, v]));
  };
  const publicIds = async (params: Record<string, NestedValue>, keys?: Keys) =>
    ((await ok("DescribeCommunityImages", { Region: REGION.Region, ...params }, keys)).ImageSet as Version[]).map((v) => v.CompShareImageId);
  const groupOf = async (name: string): Promise<string> => {
    const body = await ok("DescribeSelfCommunityImages", { Region: REGION.Region, Name: name });
    const group = (body.CompshareImageGroup as Array<{ GroupId: string; ImageName: string }>).find((g) => g.ImageName === name);
    assert.ok(group, JSON.stringify(body));
    return group.GroupId;
  };
  const review = (...args: string[]) => run(process.execPath, [OCS_BIN, "image", "review", ...args], { env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
  );

  before(async () => {
    s = await startServer();
    env = {
      ...process.env,
      OCS_DATA_DIR: s.config.dataDir,
      ...(s.config.databaseUrl ? { OCS_DATABASE_URL: s.config.databaseUrl } : {}),
      ...(s.config.masterKey ? { OCS_MASTER_KEY: s.config.masterKey } : {}),
    };
    bob = await s.account("review-bob");
    bobKeys = { PublicKey: bob.PublicKey, PrivateKey: bob.PrivateKey };
    box = await container();
    boxImage = await imageOf(box, "box-image");
  });
  after(async () => {
    await s.close();
  });

  it("requires VersionName (220) in the format v*.* (230), and leaves nothing published when refused", async () => {
    const missing = await publish(boxImage, { CommunityImageName: "no-version" });
    assert.equal(missing.body.RetCode, 220, JSON.stringify(missing.body));
    assert.equal(missing.body.Message, "Missing params [VersionName]");
    for (const bad of ["1.0", "v1", "v1.0.0", "V1.0", "v1.x", "latest", ""]) {
      const res = await publish(boxImage, { CommunityImageName: "bad-version", VersionName: bad });
      if (bad === "") assert.equal(res.body.RetCode, 220, JSON.stringify(res.body));
      else {
        assert.equal(res.body.RetCode, 230, `${bad}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.Message ?? "", /^Params \[VersionName\] not available/);
      }
    }
    const self = await ok("DescribeSelfCommunityImages", { Region: REGION.Region });
    assert.deepEqual((self.CompshareImageGroup as Array<{ ImageName: string }>).filter((g) => ["no-version", "bad-version"].includes(g.ImageName)), []);
  });

  it("a published version is Reviewing: its owner sees it; nobody lists, favors or boots it until it is approved", async () => {
    await ok("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: boxImage, CommunityImageName: "reviewed", VersionName: "v1.0", Price: 0, Tags: ["LLM"] });
    const group = await groupOf("reviewed");
    const v1 = (await mine(group)).get("v1.0");
    assert.ok(v1);
    assert.deepEqual([v1.Status, v1.FailedReason, v1.Visibility], ["Reviewing", "", 1]);
    const self = await ok("DescribeSelfCommunityImages", { Region: REGION.Region, GroupId: group });
    assert.equal((self.CompshareImageGroup as Array<{ Status: string }>)[0]?.Status, "UnAvailable");
    assert.equal(self.AvailableTotalCount, 0);

    // Not listed: not publicly, not to another account, not as the owner's public versions.
    assert.deepEqual(await publicIds({ GroupId: group }), []);
    assert.deepEqual(await publicIds({ GroupId: group }, bobKeys), []);
    assert.equal((await ok("DescribeUserCommunityImages", { Region: REGION.Region, Name: "reviewed" })).TotalCount, 0);
    const boot = await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: v1.CompShareImageId }, bobKeys);
    assert.equal(boot.body.RetCode, 226614, JSON.stringify(boot.body));
    assert.equal((await s.call("CreateCompShareImageFavorite", { GroupId: group }, bobKeys)).body.RetCode, 226614);
    // The source image is published (in review): it cannot be deleted.
    assert.equal((await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: boxImage })).body.RetCode, 226618);

    // Approved by the operator: Available, listed, usable by another account.
    const approved = await review(v1.CompShareImageId, "--approve");
    assert.equal(approved.code, 0, approved.stderr);
    assert.deepEqual(JSON.parse(approved.stdout), { CompShareImageId: v1.CompShareImageId, GroupId: group, VersionName: "v1.0", Status: "Available", FailedReason: "" });
    assert.equal((await mine(group)).get("v1.0")?.Status, "Available");
    assert.deepEqual(await publicIds({ GroupId: group }, bobKeys), [v1.CompShareImageId]);
    const listed = await ok("DescribeCommunityImages", { Region: REGION.Region, GroupId: group }, bobKeys);
    assert.equal((listed.CompshareImageGroup as Array<{ Status: string }>)[0]?.Status, "Available");
    const booted = await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: v1.CompShareImageId }, bobKeys);
    assert.equal(booted.body.RetCode, 0, JSON.stringify(booted.body));
    await ok("CreateCompShareImageFavorite", { GroupId: group }, bobKeys);

    // Reviewed already: a second verdict is refused.
    const again = await review(v1.CompShareImageId, "--reject", "--reason", "too late");
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`community version ${v1.CompShareImageId} is Available, not in review`));
  });

  it("a rejected version carries its reason, is never listed to others, and its name may be published again", async () => {
    await ok("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: boxImage, CommunityImageName: "rejected", VersionName: "v0.1", Price: 0 });
    const group = await groupOf("rejected");
    const v = (await mine(group)).get("v0.1") as Version;
    const rejected = await review(v.CompShareImageId, "--reject", "--reason", "README is empty");
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.deepEqual(JSON.parse(rejected.stdout), { CompShareImageId: v.CompShareImageId, GroupId: group, VersionName: "v0.1", Status: "Rejected", FailedReason: "README is empty" });
    const seen = (await mine(group)).get("v0.1") as Version;
    assert.deepEqual([seen.Status, seen.FailedReason], ["Rejected", "README is empty"]);
    assert.deepEqual(await publicIds({ GroupId: group }, bobKeys), []);
    assert.equal((await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: v.CompShareImageId }, bobKeys)).body.RetCode, 226614);
    // Put up again (Visibility 1), it stays Rejected.
    await ok("UpdateCompShareImage", { Region: REGION.Region, CompShareImageId: v.CompShareImageId, Visibility: 1 });
    assert.equal((await mine(group)).get("v0.1")?.Status, "Rejected");
    // The same version name again, in the same group: a new version in review.
    await ok("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: boxImage, GroupId: group, VersionName: "v0.1", Price: 0 });
    const both = (await ok("DescribeSelfCommunityImages", { Region: REGION.Region, GroupId: group })).ImageSet as Version[];
    assert.deepEqual(both.map((x) => x.Status).sort(), ["Rejected", "Reviewing"]);
    // A version in review blocks a second one of that name.
    const dup = await publish(boxImage, { GroupId: group, VersionName: "v0.1" });
    assert.equal(dup.body.RetCode, 230, JSON.stringify(dup.body));
  });

  it("Visibility: a version withdrawn from review goes back to review when put up; an approved one is Available again", async () => {
    await ok("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: boxImage, CommunityImageName: "withdrawn", VersionName: "v3.0", Price: 0 });
    const group = await groupOf("withdrawn");
    const id = ((await mine(group)).get("v3.0") as Version).CompShareImageId;
    const visibility = (v: number) => ok("UpdateCompShareImage", { Region: REGION.Region, CompShareImageId: id, Visibility: v });
    await visibility(0);
    assert.equal((await mine(group)).get("v3.0")?.Status, "Offline");
    const notInReview = await review(id, "--approve");
    assert.equal(notInReview.code, 1);
    assert.match(notInReview.stderr, /is Offline, not in review/);
    await visibility(1);
    assert.equal((await mine(group)).get("v3.0")?.Status, "Reviewing");
    assert.equal((await review(id, "--approve")).code, 0);
    await visibility(0);
    assert.equal((await mine(group)).get("v3.0")?.Status, "Offline");
    assert.deepEqual(await publicIds({ GroupId: group }, bobKeys), []);
    await visibility(1);
    assert.equal((await mine(group)).get("v3.0")?.Status, "Available");
    assert.deepEqual(await publicIds({ GroupId: group }, bobKeys), [id]);
  });

  it("an image derived from another account's community image is not published again (226617, naming it), however deep", async () => {
    await ok("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: boxImage, CommunityImageName: "origin", VersionName: "v1.0", Price: 0 });
    const origin = ((await mine(await groupOf("origin"))).get("v1.0") as Version).CompShareImageId;
    assert.equal((await review(origin, "--approve")).code, 0);

    // Bob boots the community version and images his instance: derived.
    const bobBox = await container(bobKeys, origin);
    const derived = await imageOf(bobBox, "bob-derived", bobKeys);
    const refused = await publish(derived, { CommunityImageName: "bob-copy", VersionName: "v1.0" }, bobKeys);
    assert.equal(refused.body.RetCode, 226617, JSON.stringify(refused.body));
    assert.match(refused.body.Message ?? "", new RegExp(`^ImageNotPublishable: image ${derived} is derived from community image ${origin}`));
    // One generation further (an instance of the derived image, imaged): still derived from it.
    const bobBox2 = await container(bobKeys, derived);
    const deeper = await imageOf(bobBox2, "bob-deeper", bobKeys);
    const refused2 = await publish(deeper, { CommunityImageName: "bob-copy-2", VersionName: "v1.0" }, bobKeys);
    assert.equal(refused2.body.RetCode, 226617, JSON.stringify(refused2.body));
    assert.match(refused2.body.Message ?? "", new RegExp(`is derived from community image ${origin}`));
    assert.equal((await ok("DescribeSelfCommunityImages", { Region: REGION.Region }, bobKeys)).TotalCount, 0);

    // The owner's image of an instance of its own community version is its own: publishable.
    const ownBox = await container(undefined, origin);
    const own = await imageOf(ownBox, "own-again");
    const res = await publish(own, { CommunityImageName: "origin-2", VersionName: "v2.0" });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    // And an official community version of the platform is not the caller's either.
    const sd = await container(bobKeys, "compshareImage-community-sdwebui");
    const fromOfficial = await imageOf(sd, "bob-sd", bobKeys);
    const official = await publish(fromOfficial, { CommunityImageName: "bob-sd", VersionName: "v1.0" }, bobKeys);
    assert.equal(official.body.RetCode, 226617, JSON.stringify(official.body));
    assert.match(official.body.Message ?? "", /derived from community image compshareImage-community-sdwebui/);
  });

  it("ocs image review: usage errors (2) and a version that is not a user's (1)", async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [["compshareImage-x"], 2, /give one of --approve and --reject/],
      [["compshareImage-x", "--approve", "--reject", "--reason", "r"], 2, /give one of --approve and --reject/],
      [["compshareImage-x", "--reject"], 2, /--reject needs --reason TEXT/],
      [["compshareImage-x", "--approve", "--reason", "r"], 2, /--reason goes with --reject/],
      [["compshareImage-nope", "--approve"], 1, /no community version compshareImage-nope published by an account/],
      // A custom image is not a community version; an official version is the platform's, not reviewed.
      [[boxImage, "--approve"], 1, /no community version/],
      [["compshareImage-community-sdwebui", "--reject", "--reason", "r"], 1, /no community version/],
    ];
    for (const [args, code, message] of cases) {
      const r = await review(...args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
    }
  });
});
