/** The `t` schema language: wire coercion for requests, strict JSON types for responses. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actions, parseWith, t, type Issue, type Mode, type Schema } from "@opencompshare/protocol";

/** Parses and returns the issues as `kind path` strings, for compact assertions. */
function issuesOf<T>(schema: Schema<T>, value: unknown, mode: Mode): string[] {
  return parseWith(schema, value, mode).issues.map((i: Issue) => `${i.kind} ${i.path}`);
}

function ok<T>(schema: Schema<T>, value: unknown, mode: Mode): T | undefined {
  const res = parseWith(schema, value, mode);
  assert.deepEqual(res.issues, [], `expected ${JSON.stringify(value)} to parse in ${mode} mode`);
  return res.value;
}

const Req = t.object({
  UHostId: t.string({ maxLength: 8 }),
  Limit: t.optional(t.int({ min: 0, max: 100 })),
  Price: t.optional(t.float({ min: 0 })),
  WithoutGpu: t.optional(t.bool()),
  ChargeType: t.optional(t.string({ enum: ["Month", "Day"] as const })),
  Name: t.optional(t.string()),
});

describe("t / parseWith in wire mode", () => {
  it("coerces strings to ints: '10' → 10, '42.0' → 42", () => {
    assert.equal(ok(t.int(), "10", "wire"), 10);
    assert.equal(ok(t.int(), "42.0", "wire"), 42);
    assert.equal(ok(t.int(), "-3", "wire"), -3);
    assert.equal(ok(t.int(), 7, "wire"), 7);
    assert.deepEqual(ok(Req, { UHostId: "u", Limit: "10" }, "wire"), { UHostId: "u", Limit: 10 });
  });

  it("refuses what is not an integer", () => {
    for (const v of ["abc", "1.5", "1e3", "0x10", "", "  ", "NaN", "Infinity", 1.5, true, [], {}]) {
      assert.deepEqual(issuesOf(t.int(), v, "wire"), ["invalid "], JSON.stringify(v));
    }
    // Beyond the safe integers.
    assert.deepEqual(issuesOf(t.int(), "9999999999999999", "wire"), ["invalid "]);
    assert.deepEqual(issuesOf(t.int(), 2 ** 60, "wire"), ["invalid "]);
  });

  it("coerces strings to floats", () => {
    assert.equal(ok(t.float(), "1.5", "wire"), 1.5);
    assert.equal(ok(t.float(), "2", "wire"), 2);
    assert.equal(ok(t.float(), 0.25, "wire"), 0.25);
    assert.deepEqual(issuesOf(t.float(), "x1", "wire"), ["invalid "]);
  });

  it("coerces 'true' / 'FALSE' to booleans, case-insensitively", () => {
    assert.equal(ok(t.bool(), "true", "wire"), true);
    assert.equal(ok(t.bool(), "True", "wire"), true);
    assert.equal(ok(t.bool(), "FALSE", "wire"), false);
    assert.equal(ok(t.bool(), "false", "wire"), false);
    assert.equal(ok(t.bool(), false, "wire"), false);
    for (const v of ["yes", "1", "0", 1, "truee"]) assert.deepEqual(issuesOf(t.bool(), v, "wire"), ["invalid "], String(v));
  });

  it("coerces numbers and booleans to strings", () => {
    assert.equal(ok(t.string(), 42, "wire"), "42");
    assert.equal(ok(t.string(), 1.5, "wire"), "1.5");
    assert.equal(ok(t.string(), true, "wire"), "true");
    assert.deepEqual(issuesOf(t.string(), { a: "1" }, "wire"), ["invalid "]);
    assert.deepEqual(issuesOf(t.string(), ["a"], "wire"), ["invalid "]);
  });

  it("treats an empty string as absent: missing when required, left out when optional", () => {
    assert.deepEqual(issuesOf(Req, { UHostId: "" }, "wire"), ["missing UHostId"]);
    assert.deepEqual(issuesOf(Req, {}, "wire"), ["missing UHostId"]);
    assert.deepEqual(issuesOf(Req, { UHostId: null }, "wire"), ["missing UHostId"]);
    assert.deepEqual(ok(Req, { UHostId: "u", Name: "", Limit: "", WithoutGpu: "", ChargeType: "" }, "wire"), { UHostId: "u" });
  });

  it("drops keys the schema does not declare", () => {
    assert.deepEqual(ok(Req, { UHostId: "u", Unknown: "x" }, "wire"), { UHostId: "u" });
  });

  it("checks enums", () => {
    assert.deepEqual(ok(Req, { UHostId: "u", ChargeType: "Month" }, "wire"), { UHostId: "u", ChargeType: "Month" });
    assert.deepEqual(issuesOf(Req, { UHostId: "u", ChargeType: "month" }, "wire"), ["invalid ChargeType"]);
    assert.deepEqual(issuesOf(Req, { UHostId: "u", ChargeType: "Year" }, "wire"), ["invalid ChargeType"]);
  });

  it("checks maxLength, in characters", () => {
    assert.deepEqual(ok(Req, { UHostId: "12345678" }, "wire"), { UHostId: "12345678" });
    assert.deepEqual(issuesOf(Req, { UHostId: "123456789" }, "wire"), ["invalid UHostId"]);
    // The default bound is 4096.
    assert.equal(ok(t.string(), "x".repeat(4096), "wire"), "x".repeat(4096));
    assert.deepEqual(issuesOf(t.string(), "x".repeat(4097), "wire"), ["invalid "]);
    assert.equal(ok(t.string({ maxLength: 2 }), "名字", "wire"), "名字");
  });

  it("checks min and max", () => {
    assert.deepEqual(ok(Req, { UHostId: "u", Limit: "0" }, "wire"), { UHostId: "u", Limit: 0 });
    assert.deepEqual(ok(Req, { UHostId: "u", Limit: "100" }, "wire"), { UHostId: "u", Limit: 100 });
    assert.deepEqual(issuesOf(Req, { UHostId: "u", Limit: "-1" }, "wire"), ["invalid Limit"]);
    assert.deepEqual(issuesOf(Req, { UHostId: "u", Limit: "101" }, "wire"), ["invalid Limit"]);
    assert.deepEqual(issuesOf(Req, { UHostId: "u", Price: "-0.5" }, "wire"), ["invalid Price"]);
  });

  it("checks a string pattern", () => {
    const S = t.string({ pattern: /^[a-z]+$/ });
    assert.equal(ok(S, "abc", "wire"), "abc");
    assert.deepEqual(issuesOf(S, "ab1", "wire"), ["invalid "]);
  });

  it("parses arrays of objects and names errors by their flattened path", () => {
    const Disks = t.object({
      Disks: t.optional(t.array(t.object({ IsBoot: t.bool(), Size: t.int({ min: 1 }), Type: t.string() }), { max: 2 })),
    });
    const disks = [
      { IsBoot: "true", Size: "100", Type: "CLOUD_SSD" },
      { IsBoot: "False", Size: "200", Type: "CLOUD_SSD" },
    ];
    assert.deepEqual(ok(Disks, { Disks: disks }, "wire"), {
      Disks: [
        { IsBoot: true, Size: 100, Type: "CLOUD_SSD" },
        { IsBoot: false, Size: 200, Type: "CLOUD_SSD" },
      ],
    });
    assert.deepEqual(issuesOf(Disks, { Disks: [{ IsBoot: "true", Size: "x", Type: "T" }, { IsBoot: "maybe", Type: "" }] }, "wire"), [
      "invalid Disks.0.Size",
      "invalid Disks.1.IsBoot",
      "missing Disks.1.Size",
      "missing Disks.1.Type",
    ]);
    assert.deepEqual(issuesOf(Disks, { Disks: [...disks, ...disks] }, "wire"), ["invalid Disks"]);
    assert.deepEqual(issuesOf(Disks, { Disks: "x" }, "wire"), ["invalid Disks"]);
    assert.deepEqual(issuesOf(Disks, { Disks: { a: "1" } }, "wire"), ["invalid Disks"]);
  });

  it("parses arrays of scalars with coercion and a default bound of 100 items", () => {
    assert.deepEqual(ok(t.array(t.int()), ["1", 2, "3.0"], "wire"), [1, 2, 3]);
    assert.deepEqual(issuesOf(t.array(t.int()), ["1", "x"], "wire"), ["invalid .1"]);
    assert.equal((ok(t.array(t.string()), Array(100).fill("a"), "wire") as string[]).length, 100);
    assert.deepEqual(issuesOf(t.array(t.string()), Array(101).fill("a"), "wire"), ["invalid "]);
  });

  it("parses nested objects (Softwares.CUDAVersion)", () => {
    const S = t.object({ Softwares: t.optional(t.object({ CUDAVersion: t.optional(t.string()), Application: t.optional(t.array(t.string())) })) });
    assert.deepEqual(ok(S, { Softwares: { CUDAVersion: "12.1", Application: ["a"] } }, "wire"), {
      Softwares: { CUDAVersion: "12.1", Application: ["a"] },
    });
    assert.deepEqual(issuesOf(S, { Softwares: "12.1" }, "wire"), ["invalid Softwares"]);
  });

  it("refuses a value that is not an object where an object is declared", () => {
    for (const v of [null, "x", 1, ["a"]]) assert.equal(parseWith(Req, v, "wire").value, undefined);
    assert.deepEqual(issuesOf(Req, "x", "wire"), ["invalid "]);
  });
});

describe("t / parseWith in strict mode", () => {
  it("refuses a string where an int is declared", () => {
    assert.deepEqual(issuesOf(t.int(), "10", "strict"), ["invalid "]);
    assert.deepEqual(issuesOf(t.object({ TotalCount: t.int() }), { TotalCount: "1" }, "strict"), ["invalid TotalCount"]);
    assert.equal(ok(t.int(), 10, "strict"), 10);
    assert.deepEqual(issuesOf(t.int(), 1.5, "strict"), ["invalid "]);
  });

  it("refuses 'True' (and 'true') for a bool", () => {
    assert.deepEqual(issuesOf(t.bool(), "True", "strict"), ["invalid "]);
    assert.deepEqual(issuesOf(t.bool(), "true", "strict"), ["invalid "]);
    assert.equal(ok(t.bool(), true, "strict"), true);
  });

  it("refuses numbers and booleans where a string is declared", () => {
    assert.deepEqual(issuesOf(t.string(), 42, "strict"), ["invalid "]);
    assert.deepEqual(issuesOf(t.string(), false, "strict"), ["invalid "]);
  });

  it("takes an empty string as a present value, and null as absent", () => {
    assert.deepEqual(ok(t.object({ State: t.string() }), { State: "" }, "strict"), { State: "" });
    assert.deepEqual(issuesOf(t.object({ State: t.string() }), { State: null }, "strict"), ["missing State"]);
    assert.deepEqual(issuesOf(t.object({ N: t.int() }), { N: "" }, "strict"), ["invalid N"]);
  });

  it("checks the element types of arrays of objects", () => {
    const R = t.object({ Set: t.array(t.object({ Size: t.int(), IsBoot: t.string() })) });
    assert.deepEqual(ok(R, { Set: [{ Size: 1, IsBoot: "True" }] }, "strict"), { Set: [{ Size: 1, IsBoot: "True" }] });
    assert.deepEqual(issuesOf(R, { Set: [{ Size: "1", IsBoot: true }] }, "strict"), ["invalid Set.0.Size", "invalid Set.0.IsBoot"]);
  });
});

describe("the Action contracts", () => {
  const entries = Object.entries(actions);

  it("lists at least the seed and the instance lifecycle", () => {
    for (const name of [
      "RebootCompShareInstance",
      "CreateCompShareInstance",
      "DescribeCompShareInstance",
      "StartCompShareInstance",
      "StopCompShareInstance",
      "TerminateCompShareInstance",
    ]) {
      assert.ok(Object.hasOwn(actions, name), name);
    }
  });

  it("gives every Action its own name, and request and response object schemas", () => {
    for (const [key, contract] of entries) {
      assert.equal(contract.name, key);
      assert.equal(contract.request.type, "object", `${key} request`);
      assert.equal(contract.response.type, "object", `${key} response`);
      assert.equal(typeof contract.request.shape, "object", `${key} request shape`);
      assert.equal(typeof contract.response.shape, "object", `${key} response shape`);
      // The envelope's own keys are not part of the action's fields.
      for (const envelopeKey of ["Action", "RetCode", "Message"]) {
        assert.equal(Object.hasOwn(contract.response.shape, envelopeKey), false, `${key} response declares ${envelopeKey}`);
      }
      for (const transport of ["Action", "PublicKey", "Signature"]) {
        assert.equal(Object.hasOwn(contract.request.shape, transport), false, `${key} request declares ${transport}`);
      }
    }
  });

  it("marks as not idempotent exactly the actions a resend could repeat: the Create* that make something, a publish, a charge switch, and the test controls that arm, move the clock or save", () => {
    // Adding a favorite twice leaves one favorite: that Create is safe to resend.
    // A resent advance would move the clock twice; a resent arm would arm a second fault; a resent save would find its own snapshot.
    const controls = ["ArmCompShareFault", "AdvanceCompShareClock", "SaveCompShareSnapshot"];
    const repeats = (key: string) => (key.startsWith("Create") && key !== "CreateCompShareImageFavorite") || key === "PublishCompShareImage" || key === "SwitchChargeType" || controls.includes(key);
    for (const [key, contract] of entries) {
      assert.equal(contract.idempotent, !repeats(key), key);
    }
  });

  it("makes the seed's reboot require Region, Zone and UHostId, with ProjectId optional", () => {
    const req = actions.RebootCompShareInstance.request;
    assert.deepEqual(issuesOf(req, {}, "wire"), ["missing Region", "missing Zone", "missing UHostId"]);
    assert.deepEqual(ok(req, { Region: "cn-wlcb", Zone: "cn-wlcb-01", UHostId: "uhost-xxxx" }, "wire"), {
      Region: "cn-wlcb",
      Zone: "cn-wlcb-01",
      UHostId: "uhost-xxxx",
    });
    assert.deepEqual(ok(actions.RebootCompShareInstance.response, { UHostId: "uhost-xxxx" }, "strict"), { UHostId: "uhost-xxxx" });
  });
});
