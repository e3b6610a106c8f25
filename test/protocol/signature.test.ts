/** The UCloud request signature: every test vector of protocol.md, verification and value spelling. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { flatten, sign, signingString, spellValue, verify, type WireParams } from "@opencompshare/protocol";

const UC_PUBLIC = "ucloudsomeone@example.com1296235120854146120";
const UC_PRIVATE = "46f09bb9fab4f12dfc160dae12273d5332b5debe";
const MY_PUBLIC = "my_public_key";
const MY_PRIVATE = "my_private_key";

const CREATE_UHOST: WireParams = {
  Action: "CreateUHostInstance",
  CPU: "2",
  ChargeType: "Month",
  DiskSpace: "10",
  ImageId: "f43736e1-65a5-4bea-ad2e-8a46e18883c2",
  LoginMode: "Password",
  Memory: "2048",
  Name: "Host01",
  Password: "VUNsb3VkLmNu",
  Quantity: "1",
  Region: "cn-bj2",
  Zone: "cn-bj2-04",
  PublicKey: UC_PUBLIC,
};

const backends = (): WireParams => {
  const out: WireParams = { Action: "AllocateBackendBatch", PublicKey: UC_PUBLIC };
  const values = ["foo", "bar", "42"];
  for (let i = 0; i < 12; i++) out[`Backends.${i}`] = values[i % 3] as string;
  return out;
};

const SEED: WireParams = {
  Action: "RebootCompShareInstance",
  Region: "cn-wlcb",
  Zone: "cn-wlcb-01",
  UHostId: "uhost-xxxx",
  PublicKey: MY_PUBLIC,
};
const SEED_SIGNATURE = "9b2267baf30d3919420ffcdcb5bdae717e5aa6fd";

describe("sign: the test vectors of protocol.md", () => {
  it("row 1: DescribeUHostInstance with Limit=10", () => {
    const params: WireParams = { Action: "DescribeUHostInstance", Region: "cn-bj2", Limit: "10", PublicKey: UC_PUBLIC };
    assert.equal(sign(params, UC_PRIVATE), "cba5cf5ec4d4233d206b1b54951e3787350a642f");
    // A JSON body carries Limit as a native number; it is spelled the same.
    assert.equal(sign({ ...params, Limit: 10 }, UC_PRIVATE), "cba5cf5ec4d4233d206b1b54951e3787350a642f");
    assert.equal(sign({ ...params, Limit: 10.0 }, UC_PRIVATE), "cba5cf5ec4d4233d206b1b54951e3787350a642f");
  });

  it("row 2: CreateUHostInstance", () => {
    assert.equal(sign(CREATE_UHOST, UC_PRIVATE), "4f9ef5df2abab2c6fccd1e9515cb7e2df8c6bb65");
    const native: WireParams = { ...CREATE_UHOST, CPU: 2, DiskSpace: 10, Memory: 2048, Quantity: 1 };
    assert.equal(sign(native, UC_PRIVATE), "4f9ef5df2abab2c6fccd1e9515cb7e2df8c6bb65");
  });

  it("row 3: CreateUHostInstance with SecurityToken (the token is signed)", () => {
    const params: WireParams = { ...CREATE_UHOST, SecurityToken: "some_stoken" };
    assert.equal(sign(params, UC_PRIVATE), "170c480ad176a247b324eb92a2cfe536aacfbd04");
    assert.notEqual(sign(params, UC_PRIVATE), sign(CREATE_UHOST, UC_PRIVATE));
  });

  it("row 4: AllocateBackendBatch with Backends.0..11 = foo,bar,42 repeated (plain string order of keys)", () => {
    assert.equal(sign(backends(), UC_PRIVATE), "6bc32642779f8cb0bb3d3f128b1c0688abf9a1a3");
    // The same request built from a nested list, with 42 as a native number.
    const flat = flatten({
      Action: "AllocateBackendBatch",
      Backends: ["foo", "bar", 42, "foo", "bar", 42, "foo", "bar", 42, "foo", "bar", 42],
      PublicKey: UC_PUBLIC,
    });
    assert.deepEqual(Object.keys(flat).sort(), Object.keys(backends()).sort());
    assert.equal(sign(flat, UC_PRIVATE), "6bc32642779f8cb0bb3d3f128b1c0688abf9a1a3");
    // Plain ascending order: Backends.1 < Backends.10 < Backends.11 < Backends.2.
    const s = signingString(backends(), UC_PRIVATE);
    assert.equal(
      s,
      "ActionAllocateBackendBatchBackends.0fooBackends.1barBackends.10barBackends.1142Backends.242Backends.3foo" +
        "Backends.4barBackends.542Backends.6fooBackends.7barBackends.842Backends.9foo" +
        `PublicKey${UC_PUBLIC}${UC_PRIVATE}`,
    );
  });

  it("row 5: the seed's reboot", () => {
    assert.equal(sign(SEED, MY_PRIVATE), SEED_SIGNATURE);
  });

  it('row 6: {"foo":"bar"} (PublicKey included)', () => {
    assert.equal(sign({ foo: "bar", PublicKey: MY_PUBLIC }, MY_PRIVATE), "d4411ab30953fb0bbcb1e7313081f05e4e91a394");
  });

  it("ignores the Signature key itself and the insertion order of keys", () => {
    assert.equal(sign({ ...SEED, Signature: "whatever" }, MY_PRIVATE), SEED_SIGNATURE);
    const reversed: WireParams = {};
    for (const k of Object.keys(SEED).reverse()) reversed[k] = SEED[k] as string;
    assert.equal(sign(reversed, MY_PRIVATE), SEED_SIGNATURE);
  });

  it("is lowercase hex SHA-1 of the UTF-8 signing string", () => {
    const params: WireParams = { ...SEED, Name: "名字 🚀" };
    const expected = createHash("sha1").update(Buffer.from(signingString(params, MY_PRIVATE), "utf8")).digest("hex");
    assert.equal(sign(params, MY_PRIVATE), expected);
    assert.match(sign(params, MY_PRIVATE), /^[0-9a-f]{40}$/);
  });
});

describe("signingString", () => {
  it("gives the debugging string of the seed row", () => {
    assert.equal(
      signingString(SEED, MY_PRIVATE),
      "ActionRebootCompShareInstancePublicKeymy_public_keyRegioncn-wlcbUHostIduhost-xxxxZonecn-wlcb-01my_private_key",
    );
  });

  it("leaves out Signature and uses no separators and no URL escaping", () => {
    assert.equal(signingString({ B: "a b&c=d", A: "%20", Signature: "x" }, "k"), "A%20Ba b&c=dk");
  });

  it("spells an empty value as nothing but keeps its key (Name= of the Python SDK)", () => {
    assert.equal(signingString({ Name: "", Action: "X" }, "k"), "ActionXNamek");
    assert.equal(signingString({ Name: null, Action: "X" }, "k"), "ActionXNamek");
  });
});

describe("verify", () => {
  it("accepts the right signature", () => {
    assert.equal(verify(SEED, MY_PRIVATE, SEED_SIGNATURE), true);
    assert.equal(verify({ ...SEED, Signature: SEED_SIGNATURE }, MY_PRIVATE, SEED_SIGNATURE), true);
  });

  it("refuses a wrong signature of the right length", () => {
    const wrong = SEED_SIGNATURE.slice(0, -1) + (SEED_SIGNATURE.endsWith("0") ? "1" : "0");
    assert.equal(verify(SEED, MY_PRIVATE, wrong), false);
    assert.equal(verify(SEED, "other_private_key", SEED_SIGNATURE), false);
    assert.equal(verify({ ...SEED, UHostId: "uhost-yyyy" }, MY_PRIVATE, SEED_SIGNATURE), false);
  });

  it("refuses signatures of a different length without throwing", () => {
    assert.equal(verify(SEED, MY_PRIVATE, SEED_SIGNATURE.slice(0, 39)), false);
    assert.equal(verify(SEED, MY_PRIVATE, SEED_SIGNATURE + "0"), false);
    assert.equal(verify(SEED, MY_PRIVATE, ""), false);
    assert.equal(verify(SEED, MY_PRIVATE, "é".repeat(40)), false);
  });

  it("accepts the signature in uppercase hex", () => {
    assert.equal(verify(SEED, MY_PRIVATE, SEED_SIGNATURE.toUpperCase()), true);
  });
});

describe("spellValue", () => {
  it("spells booleans true/false", () => {
    assert.equal(spellValue(true), "true");
    assert.equal(spellValue(false), "false");
  });

  it("spells a float with no fraction as an integer", () => {
    assert.equal(spellValue(42.0), "42");
    assert.equal(spellValue(-7.0), "-7");
    assert.equal(spellValue(0), "0");
    assert.equal(spellValue(-0), "0");
    assert.equal(spellValue(1.5), "1.5");
    assert.equal(spellValue(0.1), "0.1");
  });

  it("never uses scientific notation", () => {
    assert.equal(spellValue(1e21), "1000000000000000000000");
    assert.equal(spellValue(1e22), "10000000000000000000000");
    assert.equal(spellValue(-1e21), "-1000000000000000000000");
    assert.equal(spellValue(1e-7), "0.0000001");
    assert.equal(spellValue(1.5e-7), "0.00000015");
    for (const n of [1e21, 1e25, 1e-7, 2.5e-8, 123456789012345680000]) assert.doesNotMatch(spellValue(n), /e/i, String(n));
  });

  it("spells null as the empty string and strings as themselves", () => {
    assert.equal(spellValue(null), "");
    assert.equal(spellValue(""), "");
    assert.equal(spellValue("42.0"), "42.0");
    assert.equal(spellValue("True"), "True");
  });
});
