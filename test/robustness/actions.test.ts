/**
 * Every Action, property-based: arbitrary parameter maps for its declared fields (valid values,
 * values of the wrong type, edge numbers, hostile strings, lists with gaps or huge indexes,
 * unknown keys), signed and sent as a form, a query, flat JSON or nested JSON. Every answer is
 * HTTP 200 with the envelope `<Action>Response`, a numeric RetCode and the request id; never
 * 8433 and never a 5xx; the signature always verifies; no answer shows another account's
 * instance. After each Action the server still answers a normal request.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { actions, ChargeTypes, ImageTypes, type ActionContract, type AnySchema, type NestedValue } from "@opencompshare/protocol";
import type { Keys } from "../helpers/client.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import {
  anyNested,
  anyNumber,
  anyScalar,
  anyString,
  AUTH_REFUSALS,
  checkAnswer,
  fcParams,
  keepAlive,
  NO_RATE_LIMIT,
  objectOf,
  raw,
  signedRequest,
  type Encoding,
} from "./support.js";

/** Runs per Action, on each engine. */
const RUNS = 150;

/** The ids the generators draw from: real ones (the caller's and another account's) and made-up ones. */
interface Pools {
  own: string[];
  foreign: string[];
  projects: string[];
  images: string[];
}

const pools: Pools = { own: [], foreign: [], projects: [], images: [] };

/** RetCodes seen per Action: printed with OCS_FUZZ_STATS=1, to see how deep the inputs reach. */
const seen = new Map<string, Map<number, number>>();
const count = (action: string, retCode: number) => {
  const m = seen.get(action) ?? new Map<number, number>();
  m.set(retCode, (m.get(retCode) ?? 0) + 1);
  seen.set(action, m);
};

const pick = <T>(values: () => T[]): fc.Arbitrary<T> => fc.nat().map((n) => {
  const list = values();
  return list[n % list.length] as T;
});

const instanceId = fc.oneof(
  { weight: 8, arbitrary: pick(() => pools.own) },
  { weight: 2, arbitrary: pick(() => pools.foreign) },
  { weight: 1, arbitrary: fc.constantFrom("uhost-000000000000", "uhost-", "UHOST-", "%", "uhost-*") },
  { weight: 1, arbitrary: anyString },
);

/** Mostly the right value, sometimes a plausible wrong one. */
const mostly = <T extends NestedValue>(right: T, ...wrong: T[]): fc.Arbitrary<T> =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(right) }, { weight: 1, arbitrary: fc.constantFrom(...wrong) });

const base64 = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString("base64"));
const stopTime = fc.integer({ min: -3600, max: 400 * 86_400 }).map((d) => Math.floor(Date.UTC(2026, 10, 26, 12) / 1000) + d);

/** Values that pass validation (or nearly), by field name: they take the request past the schema into the handlers. */
const VALID: Record<string, fc.Arbitrary<NestedValue>> = {
  Region: mostly(REGION.Region, "cn-bj2", "CN-WLCB"),
  Zone: mostly(REGION.Zone, "cn-wlcb-02", "cn-bj2-01"),
  ProjectId: fc.oneof({ weight: 4, arbitrary: pick(() => pools.projects.slice(0, 1)) }, { weight: 1, arbitrary: pick(() => pools.projects) }),
  UHostId: instanceId,
  UHostIds: fc.array(instanceId, { maxLength: 5 }),
  CompShareImageId: pick(() => pools.images),
  GpuType: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("4090", "3090", "A800", "H20") }, { weight: 1, arbitrary: fc.constant("V100") }),
  MachineType: mostly("G", "O"),
  ChargeType: fc.constantFrom(...ChargeTypes),
  ImageType: fc.constantFrom(...ImageTypes),
  Password: base64,
  CPU: fc.integer({ min: 1, max: 64 }),
  Cpu: fc.integer({ min: 1, max: 64 }),
  Memory: fc.integer({ min: 1024, max: 262_144 }),
  GPU: fc.integer({ min: 0, max: 8 }),
  Gpu: fc.integer({ min: 0, max: 8 }),
  Quantity: fc.integer({ min: 0, max: 100 }),
  DiskSpace: fc.integer({ min: 1, max: 2000 }),
  StopTime: stopTime,
  Offset: fc.integer({ min: 0, max: 50 }),
  Limit: fc.integer({ min: 0, max: 200 }),
  Disks: fc.array(
    fc.record({ IsBoot: fc.boolean(), Size: fc.integer({ min: 1, max: 500 }), Type: fc.constantFrom("CLOUD_SSD", "LOCAL_NORMAL") }),
    { minLength: 1, maxLength: 3 },
  ),
  Softwares: fc.record(
    {
      Application: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
      CUDAVersion: fc.constantFrom("12.4", "11.8", ""),
      Framework: fc.string({ maxLength: 10 }),
      FrameworkVersion: fc.string({ maxLength: 5 }),
    },
    { requiredKeys: [] },
  ),
};

/** A plausible value of a field with no entry in VALID: short printable strings, small numbers. */
function plausible(schema: AnySchema): fc.Arbitrary<NestedValue> {
  switch (schema.type) {
    case "string":
      return fc.string({ maxLength: 24 });
    case "int":
    case "float":
      return fc.integer({ min: 0, max: 100 });
    case "bool":
      return fc.boolean();
    default:
      return ofType(schema);
  }
}

/** A value of the declared type, without regard to the field's own limits. */
function ofType(schema: AnySchema): fc.Arbitrary<NestedValue> {
  switch (schema.type) {
    case "string":
      return anyString;
    case "int":
    case "float":
      return anyNumber;
    case "bool":
      return fc.oneof(fc.boolean(), fc.constantFrom("true", "false", "TRUE", "yes", "1", 1, 0));
    case "object":
      return anyNested;
    default:
      // Lists: of scalars or of objects.
      return fc.array(fc.oneof(anyScalar, anyNested), { maxLength: 6 });
  }
}

/** A value of the wrong kind: a list or an object where a scalar goes, a scalar where a list goes. */
function wrongType(schema: AnySchema): fc.Arbitrary<NestedValue> {
  if (schema.type.endsWith("[]") || schema.type === "object") return anyScalar;
  return fc.oneof(fc.array(anyScalar, { maxLength: 3 }), anyNested);
}

type Field = [key: string, value: NestedValue];

/** A list field spelled as flat keys with gaps, negative, huge or zero-padded indexes. */
function flatListArb(key: string): fc.Arbitrary<Field[]> {
  const index = fc.oneof(fc.nat(4).map(String), fc.constantFrom("-1", "01", "1000", "999", "4294967296", "99999999999999999999", "1e2", " 1", "x"));
  return fc.uniqueArray(fc.tuple(index, fc.oneof(instanceId, anyScalar)), { maxLength: 5, selector: ([i]) => i }).map((items) =>
    items.map(([i, v]): Field => [`${key}.${i}`, v]),
  );
}

const RESERVED = new Set(["Action", "PublicKey", "Signature"]);

/** Keys the contract does not declare, some shaped like declared ones (`UHostId.0`, `__proto__.UHostId`). */
const extraArb = (declared: string[]): fc.Arbitrary<Field[]> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 10 }),
          fc.constantFrom(...declared).map((k) => `${k}.0`),
          fc.constantFrom("__proto__", "constructor", "prototype").chain((p) => fc.constantFrom(...declared).map((k) => `${p}.${k}`)),
          fc.constantFrom("SecurityToken", "_timestamp", "Timestamp", "Request_uuid", "__proto__"),
        ),
        anyScalar,
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((fields) => fields.filter(([k]) => !RESERVED.has(k) && !declared.includes(k)));

/** What a mutation does to one declared field of an otherwise valid request. */
type MutationKind = "drop" | "type" | "wrong" | "empty" | "null" | "flat-list";
interface Mutation {
  field: number;
  kind: MutationKind;
  value: NestedValue;
  list: Field[];
}

interface Case {
  fields: Field[];
  encoding: Encoding;
  advanceMs: number;
}

/**
 * A request that is valid but for a few mutations (none in about a third of the cases, so the
 * handlers and the engine are reached too), plus sometimes keys the contract does not declare.
 */
function caseArb(contract: ActionContract): fc.Arbitrary<Case> {
  const shape = contract.request.shape;
  const declared = Object.keys(shape);
  const schemaOf = (key: string) => shape[key] as AnySchema;
  const base = fc.tuple(
    ...declared.map((key) => {
      const valid = VALID[key] ?? plausible(schemaOf(key));
      return schemaOf(key).optional ? fc.option(valid, { nil: undefined, freq: 2 }) : valid;
    }),
  );
  const mutation: fc.Arbitrary<Mutation> = fc.nat(Math.max(0, declared.length - 1)).chain((field) => {
    const key = declared[field] as string;
    const schema = schemaOf(key);
    return fc.record({
      field: fc.constant(field),
      kind: fc.constantFrom<MutationKind>("drop", "type", "type", "wrong", "empty", "null", ...(schema.type.endsWith("[]") ? (["flat-list"] as const) : [])),
      value: fc.oneof(ofType(schema), wrongType(schema)),
      list: flatListArb(key),
    });
  });
  // An Action without parameters (the test controls that only read) has nothing to mutate.
  const mutations =
    declared.length === 0 ? fc.constant<Mutation[]>([]) : fc.oneof({ weight: 1, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) });
  // Undeclared keys are built on declared ones; an Action without parameters gets them on Region.
  const extra = fc.oneof({ weight: 3, arbitrary: fc.constant<Field[]>([]) }, { weight: 1, arbitrary: extraArb(declared.length > 0 ? declared : ["Region"]) });
  return fc.record({
    fields: fc.tuple(base, mutations, extra).map(([values, muts, more]) => {
      const fields = new Map<string, Field[]>();
      declared.forEach((key, i) => fields.set(key, values[i] === undefined ? [] : [[key, values[i] as NestedValue]]));
      for (const m of muts) {
        const key = declared[m.field] as string;
        if (m.kind === "drop") fields.set(key, []);
        else if (m.kind === "empty") fields.set(key, [[key, ""]]);
        else if (m.kind === "null") fields.set(key, [[key, null]]);
        else if (m.kind === "flat-list") fields.set(key, m.list);
        else fields.set(key, [[key, m.value]]);
      }
      return [...[...fields.values()].flat(), ...more];
    }),
    encoding: fc.constantFrom<Encoding>("form", "get", "json-flat", "json-nested"),
    advanceMs: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }) }),
  });
}

/** Actions whose UHostId names one instance: another account's must never be acted on. */
const ON_ONE_INSTANCE = new Set<string>(
  Object.values(actions)
    .filter((c) => Object.hasOwn(c.request.shape, "UHostId"))
    .map((c) => c.name),
);

describe("every Action under arbitrary parameters", () => {
  let s: TestServer;
  let keys: Keys;

  before(async () => {
    s = await startServer({ env: { ...NO_RATE_LIMIT, OCS_SIM_BOOT_MS: "1000", OCS_SIM_IMAGE_MS: "2000", OCS_LOG_LEVEL: "warn" } });
    keys = s.keys;
    // The caller: Running and Stopped instances (topped up before each Action), a custom image.
    await replenish();
    const image = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: pools.own[0] as string, Name: "fuzz" });
    assert.equal(image.body.RetCode, 0, JSON.stringify(image.body));
    const imageId = image.body.CompShareImageId as string;
    await s.until(async () => {
      const p = await s.call("GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: imageId });
      return p.body.Process === 100;
    });
    // Another account, with one instance.
    const other = await s.account("mallory");
    const otherKeys = { PublicKey: other.PublicKey, PrivateKey: other.PrivateKey };
    const theirs = await s.running(otherKeys);
    const ownProject = (await s.app.store.db.selectFrom("projects").select("id").where("is_default", "=", 1).where("account_id", "!=", other.AccountId).executeTakeFirstOrThrow()).id;
    pools.foreign = [theirs];
    pools.projects = [ownProject, other.ProjectId, "org-doesnotexist"];
    pools.images = [imageId, "compshareImage-ubuntu2204", "compshareImage-pytorch24", "compshareImage-comfyui", "compshareImage-000000000000"];
  });
  after(async () => {
    if (process.env.OCS_FUZZ_STATS) for (const [a, m] of seen) console.log(a, JSON.stringify(Object.fromEntries(m)));
    keepAlive.destroy();
    await s.close();
  });

  /**
   * Earlier properties terminate, stop and reinstall the caller's instances: before each Action,
   * drop the ones gone and make sure two are Running and one is Stopped.
   */
  async function replenish(): Promise<void> {
    await s.clock.advance(10_000);
    const rows = await s.app.store.db.selectFrom("instances").select(["id", "state"]).where("id", "in", [...pools.own, "-"]).where("recycling", "=", 0).execute();
    pools.own = rows.map((r) => r.id);
    const count = (state: string) => rows.filter((r) => r.state === state).length;
    for (let i = count("Running"); i < 2; i++) pools.own.push(await s.running());
    if (count("Stopped") < 1) {
      const id = await s.running();
      assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
      await s.until(async () => (await s.state(id)) === "Stopped");
      pools.own.push(id);
    }
  }

  /** A normal request still gets a normal answer. */
  async function stillServes(): Promise<void> {
    const res = await s.call("DescribeCompShareInstance", { ...REGION, Limit: 1 });
    assert.equal(res.status, 200);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  }

  for (const contract of (Object.values(actions) as ActionContract[]).filter((c) => !c.testing)) {
    it(`${contract.name}: HTTP 200, its envelope, a RetCode, never 8433 (${RUNS} runs)`, async () => {
      await replenish();
      await fc.assert(
        fc.asyncProperty(caseArb(contract), async (c) => {
          const params = objectOf(c.fields);
          let signed;
          try {
            signed = signedRequest(contract.name, params, keys, c.encoding);
          } catch {
            // Our own flatten refuses the map (a key given twice with different values): nothing to send.
            fc.pre(false);
            return;
          }
          const res = await raw(s.url, signed.request);
          const input = { action: contract.name, encoding: c.encoding, params: c.fields };
          const retCode = checkAnswer(res, { action: contract.name, input, oversized: signed.size > s.config.bodyLimit });
          count(contract.name, retCode);
          const context = `${res.text.slice(0, 300)}\ninput: ${JSON.stringify(input).slice(0, 1500)}`;
          assert.ok(!AUTH_REFUSALS.has(retCode), `a correctly signed request was refused with ${retCode}\n${context}`);
          const body = res.json as Record<string, unknown>;
          for (const inst of (body.UHostSet as Array<{ UHostId: string }> | undefined) ?? []) {
            assert.ok(!pools.foreign.includes(inst.UHostId), `another account's instance was listed\n${context}`);
          }
          const target = params.UHostId;
          if (ON_ONE_INSTANCE.has(contract.name) && typeof target === "string" && pools.foreign.includes(target)) {
            assert.notEqual(retCode, 0, `another account's instance was acted on\n${context}`);
          }
          if (c.advanceMs > 0) await s.clock.advance(c.advanceMs);
        }),
        fcParams(RUNS),
      );
      await stillServes();
    });
  }

  it("the test controls do not exist outside testing mode: 161 whatever their parameters", async () => {
    for (const contract of (Object.values(actions) as ActionContract[]).filter((c) => c.testing)) {
      await fc.assert(
        fc.asyncProperty(caseArb(contract), async (c) => {
          let signed;
          try {
            signed = signedRequest(contract.name, objectOf(c.fields), keys, c.encoding);
          } catch {
            fc.pre(false);
            return;
          }
          const res = await raw(s.url, signed.request);
          const oversized = signed.size > s.config.bodyLimit;
          const retCode = checkAnswer(res, { action: contract.name, input: { action: contract.name, params: c.fields }, oversized });
          if (!oversized) assert.equal(retCode, 161, `${contract.name}: ${res.text.slice(0, 300)}`);
        }),
        fcParams(30),
      );
    }
    await stillServes();
  });

  it("another account's instance is still there and untouched", async () => {
    const theirs = pools.foreign[0] as string;
    const db = s.app.store.db;
    const row = await db.selectFrom("instances").select(["state", "name", "stop_scheduler_time"]).where("id", "=", theirs).executeTakeFirstOrThrow();
    assert.deepEqual({ ...row, stop_scheduler_time: Number(row.stop_scheduler_time) }, { state: "Running", name: "host", stop_scheduler_time: 0 });
    const ops = await db.selectFrom("operations").select("action").where("instance_id", "=", theirs).execute();
    assert.deepEqual(ops.map((o) => o.action), ["CreateCompShareInstance"]);
  });
});

describe("the test controls under arbitrary parameters, in testing mode", () => {
  let s: TestServer;

  before(async () => {
    s = await startServer({ env: { ...NO_RATE_LIMIT, OCS_TESTING: "1", OCS_LOG_LEVEL: "warn" } });
  });
  after(async () => {
    await s.close();
  });

  for (const contract of (Object.values(actions) as ActionContract[]).filter((c) => c.testing)) {
    it(`${contract.name}: HTTP 200, its envelope, a RetCode, never 8433 (${RUNS} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb(contract), async (c) => {
          let signed;
          try {
            signed = signedRequest(contract.name, objectOf(c.fields), s.keys, c.encoding);
          } catch {
            fc.pre(false);
            return;
          }
          const res = await raw(s.url, signed.request);
          const input = { action: contract.name, encoding: c.encoding, params: c.fields };
          const retCode = checkAnswer(res, { action: contract.name, input, oversized: signed.size > s.config.bodyLimit });
          assert.ok(!AUTH_REFUSALS.has(retCode), `the operator's signed request was refused with ${retCode}\n${res.text.slice(0, 300)}`);
          if (c.advanceMs > 0) await s.clock.advance(c.advanceMs);
        }),
        fcParams(RUNS),
      );
      const res = await s.call("DescribeCompShareClock");
      assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    });
  }
});
