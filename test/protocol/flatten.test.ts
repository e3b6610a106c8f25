/** Nested values ⇄ flattened wire keys: `UHostIds.0`, `Softwares.CUDAVersion`, `Disks.0.Size`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flatten, MAX_KEY_DEPTH, MAX_LIST_INDEX, unflatten, UnflattenError, type WireParams } from "@opencompshare/protocol";

/** Asserts that `unflatten(params)` throws an UnflattenError naming `key`. */
function assertRefused(params: WireParams, key: string): void {
  assert.throws(
    () => unflatten(params),
    (error: unknown) => {
      assert.ok(error instanceof UnflattenError, `expected an UnflattenError, got ${String(error)}`);
      assert.equal(error.key, key);
      assert.ok(error.message.includes(key), error.message);
      return true;
    },
  );
}

describe("flatten", () => {
  it("leaves scalars at the top level alone", () => {
    assert.deepEqual(flatten({ Action: "X", Limit: 20, WithoutGpu: true, Name: "", Nothing: null }), {
      Action: "X",
      Limit: 20,
      WithoutGpu: true,
      Name: "",
      Nothing: null,
    });
  });

  it("flattens a list into .0, .1, … keys", () => {
    assert.deepEqual(flatten({ UHostIds: ["uhost-a", "uhost-b", "uhost-c"] }), {
      "UHostIds.0": "uhost-a",
      "UHostIds.1": "uhost-b",
      "UHostIds.2": "uhost-c",
    });
  });

  it("flattens an object into dotted keys", () => {
    assert.deepEqual(flatten({ Softwares: { CUDAVersion: "12.1", Framework: "PyTorch" } }), {
      "Softwares.CUDAVersion": "12.1",
      "Softwares.Framework": "PyTorch",
    });
  });

  it("flattens a list of objects, and lists inside objects", () => {
    assert.deepEqual(
      flatten({
        Disks: [
          { IsBoot: true, Size: 100, Type: "CLOUD_SSD" },
          { IsBoot: false, Size: 500, Type: "CLOUD_SSD" },
        ],
        Softwares: { Application: ["jupyter", "vscode"] },
      }),
      {
        "Disks.0.IsBoot": true,
        "Disks.0.Size": 100,
        "Disks.0.Type": "CLOUD_SSD",
        "Disks.1.IsBoot": false,
        "Disks.1.Size": 500,
        "Disks.1.Type": "CLOUD_SSD",
        "Softwares.Application.0": "jupyter",
        "Softwares.Application.1": "vscode",
      },
    );
  });

  it("drops undefined entries, in objects and at the top level", () => {
    assert.deepEqual(flatten({ A: undefined, B: "b", C: { D: undefined, E: 1 } }), { B: "b", "C.E": 1 });
    // An undefined list item leaves its index unused: the following items keep their positions.
    assert.deepEqual(flatten({ L: ["x", undefined, "z"] }), { "L.0": "x", "L.2": "z" });
  });

  it("produces nothing for an empty list or object", () => {
    assert.deepEqual(flatten({ L: [], O: {} }), {});
  });

  it("refuses nesting deeper than MAX_KEY_DEPTH, naming the key", () => {
    type Deep = { [key: string]: Deep | string };
    let deep: Deep | string = "leaf";
    for (let i = 0; i < MAX_KEY_DEPTH + 2; i++) deep = { k: deep };
    assert.throws(
      () => flatten({ Deep: deep }),
      (error: unknown) => error instanceof UnflattenError && error.key.startsWith("Deep.k.") && error.message.includes(error.key),
    );
    // MAX_KEY_DEPTH levels are fine.
    let ok: Deep | string = "leaf";
    for (let i = 0; i < MAX_KEY_DEPTH - 1; i++) ok = { k: ok };
    assert.equal(Object.keys(flatten({ Deep: ok }))[0], ["Deep", ...Array.from({ length: MAX_KEY_DEPTH - 1 }, () => "k")].join("."));
  });

  it("is undone by unflatten", () => {
    const nested = {
      Action: "CreateCompShareInstance",
      Disks: [{ IsBoot: true, Size: 100, Type: "CLOUD_SSD" }],
      UHostIds: ["a", "b"],
      Softwares: { CUDAVersion: "12.1", Application: ["x"] },
    };
    assert.deepEqual(unflatten(flatten(nested)), nested);
  });
});

describe("unflatten", () => {
  it("rebuilds dense lists", () => {
    assert.deepEqual(unflatten({ "UHostIds.0": "a", "UHostIds.1": "b" }), { UHostIds: ["a", "b"] });
    // Key order on the wire does not matter.
    assert.deepEqual(unflatten({ "UHostIds.2": "c", "UHostIds.0": "a", "UHostIds.1": "b" }), { UHostIds: ["a", "b", "c"] });
  });

  it("rebuilds lists of objects and objects", () => {
    assert.deepEqual(
      unflatten({
        "Disks.0.IsBoot": "true",
        "Disks.0.Size": "100",
        "Disks.0.Type": "CLOUD_SSD",
        "Disks.1.IsBoot": "false",
        "Disks.1.Size": "200",
        "Disks.1.Type": "CLOUD_NORMAL",
        "Softwares.CUDAVersion": "12.1",
        Region: "cn-wlcb",
      }),
      {
        Disks: [
          { IsBoot: "true", Size: "100", Type: "CLOUD_SSD" },
          { IsBoot: "false", Size: "200", Type: "CLOUD_NORMAL" },
        ],
        Softwares: { CUDAVersion: "12.1" },
        Region: "cn-wlcb",
      },
    );
  });

  it("keeps native JSON values as they are", () => {
    assert.deepEqual(unflatten({ Limit: 20, WithoutGpu: true, "L.0": null }), { Limit: 20, WithoutGpu: true, L: [null] });
  });

  it("refuses a list with a gap, naming the key", () => {
    assertRefused({ "UHostIds.0": "a", "UHostIds.2": "c" }, "UHostIds.2");
    assertRefused({ "UHostIds.1": "b" }, "UHostIds.1");
  });

  it("refuses a leading-zero index, naming the key", () => {
    assertRefused({ "UHostIds.0": "a", "UHostIds.01": "b" }, "UHostIds.01");
    assertRefused({ "UHostIds.00": "a" }, "UHostIds.00");
  });

  it("refuses an index above MAX_LIST_INDEX, naming the key", () => {
    assertRefused({ [`UHostIds.${MAX_LIST_INDEX + 1}`]: "x" }, `UHostIds.${MAX_LIST_INDEX + 1}`);
    assertRefused({ "UHostIds.0": "a", "UHostIds.99999999999999999999": "x" }, "UHostIds.99999999999999999999");
  });

  it("accepts a dense list up to index MAX_LIST_INDEX", () => {
    const params: WireParams = {};
    for (let i = 0; i <= MAX_LIST_INDEX; i++) params[`L.${i}`] = String(i);
    const out = unflatten(params) as { L: string[] };
    assert.equal(out.L.length, MAX_LIST_INDEX + 1);
    assert.equal(out.L[MAX_LIST_INDEX], String(MAX_LIST_INDEX));
  });

  it("refuses a key path deeper than MAX_KEY_DEPTH, naming the key", () => {
    const tooDeep = Array.from({ length: MAX_KEY_DEPTH + 1 }, (_, i) => `k${i}`).join(".");
    assertRefused({ [tooDeep]: "x" }, tooDeep);
    const deepest = Array.from({ length: MAX_KEY_DEPTH }, (_, i) => `k${i}`).join(".");
    assert.doesNotThrow(() => unflatten({ [deepest]: "x" }));
  });

  it("refuses a key that is both a value and a container, in either order", () => {
    assertRefused({ Softwares: "x", "Softwares.CUDAVersion": "12.1" }, "Softwares.CUDAVersion");
    assertRefused({ "Softwares.CUDAVersion": "12.1", Softwares: "x" }, "Softwares");
    assertRefused({ "Disks.0": "x", "Disks.0.Size": "1" }, "Disks.0.Size");
  });

  it("refuses empty path segments", () => {
    assertRefused({ "A..B": "x" }, "A..B");
    assertRefused({ "A.": "x" }, "A.");
  });

  it("keeps numeric keys at the top level as object keys", () => {
    const out = unflatten({ "0": "a", "1": "b" });
    assert.equal(Array.isArray(out), false);
    assert.deepEqual({ ...out }, { "0": "a", "1": "b" });
    // Even with a gap: the top level is never a list.
    assert.deepEqual({ ...unflatten({ "5": "x" }) }, { "5": "x" });
  });

  it("does not let __proto__ keys pollute prototypes", () => {
    const out = unflatten({ "__proto__.polluted": "yes", "a.__proto__.b": "c" });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
    assert.equal(typeof out, "object");
  });
});
