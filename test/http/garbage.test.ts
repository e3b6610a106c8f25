/**
 * Random bodies, keys and paths: never a 5xx, never an internal error, no prototype polluted,
 * and the server still answers afterwards.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { assertAnswer, FORM, formOf, JSON_TYPE, raw, signFlat, UUID, wire } from "./raw.js";

describe("HTTP parsing: garbage", () => {
  const s = serverForSuite();
  const { form } = wire(s);

  it("never answers 5xx to ~50 random bodies and keys, and still answers afterwards", async () => {
    // A fixed-seed generator: the same garbage on every run.
    let seed = 0x2f6b1a3d;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const randomString = (n: number): string => {
      const alphabet = "abcXYZ019.=&%+ _-[]{}\"'\\/:;,?#\u0000\u00e9\u4e2d\ud83d\ude80";
      let out = "";
      for (let i = 0; i < n; i++) out += pick([...alphabet]);
      return out;
    };
    const weirdKeys = [
      "__proto__",
      "__proto__.polluted",
      "constructor",
      "constructor.prototype.polluted",
      "prototype",
      "a.__proto__.polluted",
      "UHostIds.999999999",
      "UHostIds.-1",
      "UHostIds.1e3",
      "Disks.0.0.0.0.0.0.0.0.0",
      "..",
      ".",
      "",
      "Limit",
      "Action",
      "Signature",
      "PublicKey",
      "Region",
      "Softwares.CUDAVersion.x",
    ];
    const types = [FORM, JSON_TYPE, "", "text/plain", "application/x-www-form-urlencoded; charset=latin1", "application/vnd.api+json"];
    let answered = 0;
    for (let i = 0; i < 50; i++) {
      const kind = i % 5;
      let body: string | Buffer;
      let type = pick(types);
      if (kind === 0) {
        body = Buffer.from(Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256)));
      } else if (kind === 1) {
        const pairs = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => `${pick(weirdKeys)}=${randomString(Math.floor(rand() * 12))}`);
        body = pairs.join("&");
        type = FORM;
      } else if (kind === 2) {
        const obj: Record<string, unknown> = {};
        for (let j = 0; j < 1 + Math.floor(rand() * 6); j++) {
          obj[pick(weirdKeys)] = pick<unknown>([randomString(5), 1e300, -0, 1.5e-9, true, null, [], {}, [1, [2, [3]]], { x: { y: "z" } }, "𝒳"]);
        }
        body = JSON.stringify(obj).replace('"__proto___', '"__proto__');
        if (rand() < 0.3) body = `{"__proto__":{"polluted":"yes"},"Action":"DescribeCompShareInstance","x":${body}}`;
        type = JSON_TYPE;
      } else if (kind === 3) {
        // A signed request with one random extra key: still a well-formed, authenticated call.
        const params = signFlat({ Action: pick(["DescribeCompShareInstance", "RebootCompShareInstance", "Nope"]), ...REGION, [pick(weirdKeys)]: randomString(6) }, s.keys);
        body = formOf(params);
        type = pick([FORM, ""]);
      } else {
        body = randomString(Math.floor(rand() * 300));
      }
      const method = rand() < 0.2 ? "GET" : "POST";
      const path = rand() < 0.3 ? `/?${encodeURIComponent(pick(weirdKeys))}=${encodeURIComponent(randomString(4))}&${encodeURIComponent(randomString(6))}`
          : pick(["/", "/x/y", "//", "/?", "/?a=%zz&b=%E4%B8", "/?=&&=x&Action", "/?Action=DescribeCompShareInstance&Action=Nope"]);
      const headers: Record<string, string> = type ? { "Content-Type": type } : {};
      const res = await raw(s.url, { method, path, headers, body });
      assert.ok(res.status < 500, `request ${i} (${method} ${path}, ${type}): HTTP ${res.status} ${res.text}`);
      if (res.status === 200) {
        assert.equal(typeof res.body.RetCode, "number", `request ${i}: ${res.text}`);
        assert.match(res.body.Action, /Response$/, `request ${i}: ${res.text}`);
        assert.match(String(res.headers["x-ucloud-request-uuid"]), UUID);
        assert.notEqual(res.body.RetCode, 8433, `request ${i} met an internal error: ${res.text}`);
      }
      answered++;
    }
    assert.equal(answered, 50);
    // No prototype was polluted, and the server still serves.
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assertAnswer(await form("DescribeCompShareInstance", REGION), "DescribeCompShareInstance", 0);
    assert.equal(s.logs.filter((l) => l.includes("unhandled error")).length, 0);
  });
});
