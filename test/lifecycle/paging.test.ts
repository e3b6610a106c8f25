/** DescribeCompShareInstance over many instances: TotalCount, Limit and Offset, newest first, filtering by id. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { create, type Inst, list } from "./helpers.js";

describe("DescribeCompShareInstance paging and order", () => {
  const s = serverForSuite();
  const created: string[] = [];
  before(async () => {
    // 105 instances: 100 at once, then 5 more, one second apart.
    created.push(...(await Promise.all(Array.from({ length: 100 }, () => create(s)))).flat());
    for (let i = 0; i < 5; i++) {
      await s.clock.advance(1000);
      created.push(...(await create(s)));
    }
    await s.until(async () => {
      const a = await list(s, { Limit: 100 });
      const b = await list(s, { Offset: 100, Limit: 100 });
      return [...a.set, ...b.set].filter((i) => i.State === "Running").length === created.length;
    });
  });

  it("answers TotalCount and a default page of 20", async () => {
    const { total, set } = await list(s);
    assert.equal(total, 105);
    assert.equal(set.length, 20);
  });

  it("caps Limit at 100", async () => {
    const { total, set } = await list(s, { Limit: 500 });
    assert.equal(total, 105);
    assert.equal(set.length, 100);
  });

  it("pages with Offset and Limit through every instance exactly once", async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 105; offset += 30) {
      const { total, set } = await list(s, { Offset: offset, Limit: 30 });
      assert.equal(total, 105);
      assert.equal(set.length, Math.min(30, 105 - offset));
      seen.push(...set.map((i) => i.UHostId));
    }
    assert.equal(new Set(seen).size, 105);
    assert.deepEqual([...seen].sort(), [...created].sort());
    assert.deepEqual((await list(s, { Offset: 200 })).set, []);
  });

  it("lists the newest first", async () => {
    const { set } = await list(s, { Limit: 6 });
    assert.deepEqual(
      set.slice(0, 5).map((i) => i.UHostId),
      created.slice(100).reverse(),
    );
    assert.ok(created.slice(0, 100).includes(set[5]?.UHostId ?? ""));
  });

  it("filters by UHostIds.N, ignoring ids that are not the caller's", async () => {
    const pick = [created[3] as string, created[103] as string];
    const res = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": pick[0], "UHostIds.1": pick[1], "UHostIds.2": "uhost-nope" });
    assert.equal(res.body.RetCode, 0);
    assert.equal(res.body.TotalCount, 2);
    assert.deepEqual((res.body.UHostSet as Inst[]).map((i) => i.UHostId).sort(), [...pick].sort());
  });
});
