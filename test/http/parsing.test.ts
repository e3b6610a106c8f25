/**
 * The HTTP pipeline end to end against a real server: encodings (form, JSON, GET), flattened
 * keys, value spelling, merging of query and body, refusals of malformed requests, and every
 * common RetCode with UCloud's wording.
 */
import assert from "node:assert/strict";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { after, before, describe, it } from "node:test";
import { flatten, sign, type NestedValue, type WireParams } from "@opencompshare/protocol";
import { signedParams, type Keys } from "../helpers/client.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Envelope {
  Action: string;
  RetCode: number;
  Message?: string;
  [field: string]: unknown;
}

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: Envelope;
}

interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
}

/** One request over a fresh connection, with full control of method, headers and body. */
function raw(baseUrl: string, req: RawRequest): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, "utf8");
  const headers: Record<string, string> = { ...req.headers };
  if (body && !req.chunked) headers["Content-Length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { host: url.hostname, port: url.port, path: req.path ?? "/", method: req.method ?? "POST", headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Envelope;
          try {
            parsed = JSON.parse(text) as Envelope;
          } catch {
            parsed = { Action: "", RetCode: Number.NaN, Message: `not JSON: ${text.slice(0, 200)}` };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
        res.on("error", reject);
      },
    );
    // The server may answer (413) and close before the whole body is written; the answer counts.
    r.on("error", reject);
    if (body && req.chunked) {
      for (let i = 0; i < body.length; i += 512) r.write(body.subarray(i, i + 512));
    } else if (body) {
      r.write(body);
    }
    r.end();
  });
}

/** `k=v&…` with percent-encoded UTF-8, exactly as the Python SDK sends a form. */
const formOf = (params: WireParams): string =>
  Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v === null ? "" : String(v))}`)
    .join("&");

/** Adds PublicKey and the Signature over exactly these (already flat) parameters. */
function signFlat(params: WireParams, keys: Keys): WireParams {
  const flat: WireParams = { ...params, PublicKey: keys.PublicKey };
  flat.Signature = sign(flat, keys.PrivateKey);
  return flat;
}

/** Asserts the envelope of an API-level answer: HTTP 200, the request id header, `<Action>Response`. */
function assertAnswer(res: RawAnswer, action: string, retCode: number, message?: string | RegExp): void {
  const context = `${res.status} ${res.text}`;
  assert.equal(res.status, 200, context);
  assert.match(String(res.headers["x-ucloud-request-uuid"] ?? ""), UUID, context);
  assert.match(String(res.headers["content-type"] ?? ""), /^application\/json/, context);
  assert.equal(res.body.Action, `${action}Response`, context);
  assert.equal(res.body.RetCode, retCode, context);
  if (typeof message === "string") assert.equal(res.body.Message, message, context);
  else if (message) assert.match(res.body.Message ?? "", message, context);
  if (retCode !== 0) assert.equal(typeof res.body.Message, "string", context);
}

/** A refusal before the Action is known: HTTP 200, the request id, an envelope ending in `Response`. */
function assertRefusal(res: RawAnswer, message: string): void {
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers["x-ucloud-request-uuid"] ?? ""), UUID, res.text);
  assert.match(res.body.Action, /Response$/, res.text);
  assert.equal(res.body.RetCode, 230, res.text);
  assert.equal(res.body.Message, message, res.text);
}

describe("HTTP parsing and the common RetCodes", () => {
  let s: TestServer;
  /** Signed form POST of nested params. */
  const form = (action: string, params: Record<string, NestedValue>, keys: Keys = s.keys, path = "/") =>
    raw(s.url, { path, headers: { "Content-Type": FORM }, body: formOf(signedParams(action, params, keys)) });
  const json = (action: string, params: Record<string, NestedValue>, keys: Keys = s.keys) =>
    raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify(signedParams(action, params, keys)) });
  const get = (action: string, params: Record<string, NestedValue>, keys: Keys = s.keys) =>
    raw(s.url, { method: "GET", path: `/?${formOf(signedParams(action, params, keys))}` });
  const createOne = async (extra: Record<string, NestedValue> = {}): Promise<string> => {
    const res = await form("CreateCompShareInstance", { ...CREATE, ...extra });
    assertAnswer(res, "CreateCompShareInstance", 0);
    const ids = res.body.UHostIds as string[];
    assert.equal(ids.length, 1);
    return ids[0] as string;
  };
  const describeOne = async (id: string): Promise<Record<string, unknown>> => {
    const res = await form("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    assertAnswer(res, "DescribeCompShareInstance", 0);
    const set = res.body.UHostSet as Array<Record<string, unknown>>;
    assert.equal(set.length, 1, res.text);
    return set[0] as Record<string, unknown>;
  };

  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  describe("encodings", () => {
    it("accepts a form POST", async () => {
      const res = await form("DescribeCompShareInstance", { ...REGION, Limit: 5 });
      assertAnswer(res, "DescribeCompShareInstance", 0);
      assert.equal(typeof res.body.TotalCount, "number");
      assert.ok(Array.isArray(res.body.UHostSet));
    });

    it("accepts the seed's captured Python request byte for byte (the signature verifies)", async () => {
      const res = await raw(s.url, {
        headers: { "Content-Type": FORM, "U-Timestamp-Ms": "1795715649597", "User-Agent": "Python/3.11.4 Python-SDK/0.11.80" },
        body:
          "Region=cn-wlcb&Zone=cn-wlcb-01&UHostId=uhost-xxxx&Action=RebootCompShareInstance&PublicKey=my_public_key" +
          "&Signature=9b2267baf30d3919420ffcdcb5bdae717e5aa6fd",
      });
      // Authenticated and validated: the instance simply does not exist.
      assertAnswer(res, "RebootCompShareInstance", 8039, /^InstanceNotFound: .*uhost-xxxx/);
    });

    it("ignores the U-Timestamp-Ms and User-Agent headers of the official SDKs", async () => {
      for (const ua of ["Python/3.11.4 Python-SDK/0.11.80", "GO/go1.22 GO-SDK/0.22.0 Product/UCompShare", "JS-SDK/0.2.0"]) {
        const res = await raw(s.url, {
          headers: { "Content-Type": FORM, "U-Timestamp-Ms": String(Date.now()), "User-Agent": ua },
          body: formOf(signedParams("DescribeCompShareInstance", REGION, s.keys)),
        });
        assertAnswer(res, "DescribeCompShareInstance", 0);
      }
    });

    it('accepts a JSON POST with flattened keys and native types ({"UHostIds.0":…,"Limit":20,"WithoutGpu":true})', async () => {
      const id = await createOne();
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, "UHostIds.0": id, Limit: 20, WithoutGpu: true }, s.keys);
      const body = JSON.stringify(params);
      assert.ok(body.includes('"Limit":20') && body.includes('"WithoutGpu":true'), body);
      // WithoutGpu is read as the boolean true: it lists instances in no-GPU mode, and this one is not.
      const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
      assertAnswer(res, "DescribeCompShareInstance", 0);
      assert.deepEqual(res.body.UHostSet, []);
      const all = JSON.stringify(signFlat({ Action: "DescribeCompShareInstance", ...REGION, "UHostIds.0": id, Limit: 20, WithoutGpu: false }, s.keys));
      const res2 = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: all });
      assertAnswer(res2, "DescribeCompShareInstance", 0);
      assert.equal(res2.body.TotalCount, 1);
      assert.equal((res2.body.UHostSet as Array<{ UHostId: string }>)[0]?.UHostId, id);
    });

    it("signs a JSON float with no fraction as an integer (Limit 20.0 signed as 20)", async () => {
      const id = await createOne();
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, "UHostIds.0": id, Limit: 20 }, s.keys);
      const body = JSON.stringify(params).replace('"Limit":20', '"Limit":20.0');
      assert.ok(body.includes('"Limit":20.0'), body);
      const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
      assertAnswer(res, "DescribeCompShareInstance", 0);
      assert.equal(res.body.TotalCount, 1);
    });

    it("accepts a JSON POST with nested lists and objects, signed over the flattened keys", async () => {
      const id = await createOne();
      const nested: Record<string, NestedValue> = { Action: "DescribeCompShareInstance", ...REGION, UHostIds: [id], Limit: 20 };
      const flat = flatten(nested);
      assert.equal(flat["UHostIds.0"], id);
      const signature = sign({ ...flat, PublicKey: s.keys.PublicKey }, s.keys.PrivateKey);
      const res = await raw(s.url, {
        headers: { "Content-Type": JSON_TYPE },
        body: JSON.stringify({ ...nested, PublicKey: s.keys.PublicKey, Signature: signature }),
      });
      assertAnswer(res, "DescribeCompShareInstance", 0);
      assert.equal(res.body.TotalCount, 1);
      assert.equal((res.body.UHostSet as Array<{ UHostId: string }>)[0]?.UHostId, id);
    });

    it("accepts a JSON array signed as its elements concatenated (CompShare's CLI on GetCompShareInstanceMonitor), and not a wrong one", async () => {
      const a = await createOne();
      const b = await createOne();
      const nested: Record<string, NestedValue> = { Action: "GetCompShareInstanceMonitor", ...REGION, UHostIds: [a, b] };
      const concatenated = { ...REGION, Action: "GetCompShareInstanceMonitor", UHostIds: `${a}${b}`, PublicKey: s.keys.PublicKey };
      const signature = sign(concatenated, s.keys.PrivateKey);
      const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify({ ...nested, PublicKey: s.keys.PublicKey, Signature: signature }) });
      assertAnswer(res, "GetCompShareInstanceMonitor", 0);
      const list = (res.body.Data as { List: Array<{ UHostId: string }> }).List;
      assert.deepEqual(list.map((m) => m.UHostId).sort(), [a, b].sort(), "both elements were read, not the joined string");
      const wrong = sign({ ...concatenated, UHostIds: `${b}${a}` }, s.keys.PrivateKey);
      const refused = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify({ ...nested, PublicKey: s.keys.PublicKey, Signature: wrong }) });
      assertAnswer(refused, "GetCompShareInstanceMonitor", 171);
    });

    it("creates with nested JSON Disks and reads them back", async () => {
      const res = await json("CreateCompShareInstance", {
        ...CREATE,
        Disks: [
          { IsBoot: true, Size: 100, Type: "CLOUD_SSD" },
          { IsBoot: false, Size: 200, Type: "CLOUD_SSD" },
        ],
      });
      assertAnswer(res, "CreateCompShareInstance", 0);
      const inst = await describeOne((res.body.UHostIds as string[])[0] as string);
      const disks = inst.DiskSet as Array<{ IsBoot: string; Size: number }>;
      assert.deepEqual(
        disks.map((d) => [d.IsBoot, d.Size]),
        [
          ["True", 100],
          ["False", 200],
        ],
      );
      assert.equal(inst.TotalDiskSpace, 300);
    });

    it("accepts application/json and the form type with a charset parameter", async () => {
      const j = await raw(s.url, {
        headers: { "Content-Type": "application/json; charset=utf-8" },
        body: JSON.stringify(signedParams("DescribeCompShareInstance", REGION, s.keys)),
      });
      assertAnswer(j, "DescribeCompShareInstance", 0);
      const f = await raw(s.url, {
        headers: { "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" },
        body: formOf(signedParams("DescribeCompShareInstance", REGION, s.keys)),
      });
      assertAnswer(f, "DescribeCompShareInstance", 0);
    });

    it("accepts a GET with the parameters in the query string", async () => {
      const id = await createOne();
      const res = await get("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id, Limit: 10, WithoutGpu: false });
      assertAnswer(res, "DescribeCompShareInstance", 0);
      assert.equal(res.body.TotalCount, 1);
    });
  });

  describe("flattened keys", () => {
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

  describe("values", () => {
    // Names take Chinese (CompShare's rule); a Remark takes any text, four-byte UTF-8 included.
    const unicodeName = "训练机-a_1";
    const unicodeRemark = "训练机-🚀-ñ";

    it("takes unicode in Name and Remark, percent-encoded UTF-8 in a form and signed as UTF-8", async () => {
      const body = formOf(signedParams("CreateCompShareInstance", { ...CREATE, Name: unicodeName, Remark: unicodeRemark }, s.keys));
      assert.ok(body.includes("Remark=%E8%AE%AD%E7%BB%83%E6%9C%BA-%F0%9F%9A%80-%C3%B1"), body);
      const res = await raw(s.url, { headers: { "Content-Type": FORM }, body });
      assertAnswer(res, "CreateCompShareInstance", 0);
      const inst = await describeOne((res.body.UHostIds as string[])[0] as string);
      assert.equal(inst.Name, unicodeName);
      assert.equal(inst.Remark, unicodeRemark);
    });

    it("takes unicode in JSON and in a GET query", async () => {
      const j = await json("CreateCompShareInstance", { ...CREATE, Name: `${unicodeName}-json`, Remark: `${unicodeRemark}-json` });
      assertAnswer(j, "CreateCompShareInstance", 0);
      const id = (j.body.UHostIds as string[])[0] as string;
      assert.equal((await describeOne(id)).Name, `${unicodeName}-json`);
      assert.equal((await describeOne(id)).Remark, `${unicodeRemark}-json`);
      const g = await get("ModifyCompShareInstanceName", { ...REGION, UHostId: id, Name: "改名 1" });
      assertAnswer(g, "ModifyCompShareInstanceName", 0);
      assert.equal((await describeOne(id)).Name, "改名 1");
      const bad = await get("ModifyCompShareInstanceName", { ...REGION, UHostId: id, Name: "改名 ✅" });
      assertAnswer(bad, "ModifyCompShareInstanceName", 230);
    });

    it("accepts empty values sent and signed like the Python SDK (Name=)", async () => {
      const params = signFlat({ Action: "CreateCompShareInstance", ...CREATE, Name: "", ChargeType: "", Password: "", Quantity: "", LoginMode: "" }, s.keys);
      const body = formOf(params);
      assert.ok(body.includes("&Name=&"), body);
      const res = await raw(s.url, { headers: { "Content-Type": FORM }, body });
      assertAnswer(res, "CreateCompShareInstance", 0);
      const inst = await describeOne((res.body.UHostIds as string[])[0] as string);
      assert.equal(typeof inst.Name, "string");
      assert.notEqual(inst.Name, "");
      // Omitted (the Go SDK) verifies too.
      assertAnswer(await form("DescribeCompShareInstance", { ...REGION }), "DescribeCompShareInstance", 0);
      // An empty value in JSON, and an empty value in a query string.
      const j = await raw(s.url, {
        headers: { "Content-Type": JSON_TYPE },
        body: JSON.stringify(signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: "" }, s.keys)),
      });
      assertAnswer(j, "DescribeCompShareInstance", 0);
      const g = await raw(s.url, { method: "GET", path: `/?${formOf(signFlat({ Action: "DescribeCompShareInstance", ...REGION, Offset: "" }, s.keys))}` });
      assertAnswer(g, "DescribeCompShareInstance", 0);
    });

    it("takes an empty required value as missing (220), after the signature verified", async () => {
      const res = await raw(s.url, {
        headers: { "Content-Type": FORM },
        body: formOf(signFlat({ Action: "RebootCompShareInstance", ...REGION, UHostId: "" }, s.keys)),
      });
      assertAnswer(res, "RebootCompShareInstance", 220, "Missing params [UHostId]");
    });

    it("decodes + as a space in a form body and verifies the signature over the decoded value", async () => {
      const params = signFlat({ Action: "CreateCompShareInstance", ...CREATE, Name: "my gpu box" }, s.keys);
      const body = formOf(params).replace("Name=my%20gpu%20box", "Name=my+gpu+box");
      assert.ok(body.includes("Name=my+gpu+box"), body);
      const res = await raw(s.url, { headers: { "Content-Type": FORM }, body });
      assertAnswer(res, "CreateCompShareInstance", 0);
      assert.equal((await describeOne((res.body.UHostIds as string[])[0] as string)).Name, "my gpu box");
      // Signed over the undecoded "+" it does not verify.
      const wrong = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Name: "a+b" }, s.keys);
      const wrongBody = formOf(wrong).replace("Name=a%2Bb", "Name=a+b");
      assert.ok(wrongBody.includes("Name=a+b"), wrongBody);
      assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body: wrongBody }), "DescribeCompShareInstance", 171);
      // %2B is a literal plus.
      const plus = await form("CreateCompShareInstance", { ...CREATE, Remark: "a+b" });
      assertAnswer(plus, "CreateCompShareInstance", 0);
      assert.equal((await describeOne((plus.body.UHostIds as string[])[0] as string)).Remark, "a+b");
    });

    it("accepts a signed SecurityToken, and refuses one left out of the signature", async () => {
      const ok = await form("DescribeCompShareInstance", { ...REGION, SecurityToken: "some_stoken" });
      assertAnswer(ok, "DescribeCompShareInstance", 0);
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
      const res = await raw(s.url, { headers: { "Content-Type": FORM }, body: `${formOf(params)}&SecurityToken=some_stoken` });
      assertAnswer(res, "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
    });
  });

  describe("query and body together", () => {
    it("accepts Action in both the query and the body (Go SDK: POST /?Action=X)", async () => {
      const res = await form("DescribeCompShareInstance", REGION, s.keys, "/?Action=DescribeCompShareInstance");
      assertAnswer(res, "DescribeCompShareInstance", 0);
      const reboot = await form("RebootCompShareInstance", { ...REGION, UHostId: "uhost-nope" }, s.keys, "/?Action=RebootCompShareInstance");
      assertAnswer(reboot, "RebootCompShareInstance", 8039);
    });

    it("merges the query string with a body (Action only in the query)", async () => {
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: "3" }, s.keys);
      const { Action: _action, ...rest } = params;
      const res = await raw(s.url, { path: "/?Action=DescribeCompShareInstance", headers: { "Content-Type": FORM }, body: formOf(rest) });
      assertAnswer(res, "DescribeCompShareInstance", 0);
    });

    it("refuses conflicting duplicate keys with 230 naming the key", async () => {
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: "1" }, s.keys);
      const dupForm = await raw(s.url, { headers: { "Content-Type": FORM }, body: `${formOf(params)}&Limit=2` });
      assertRefusal(dupForm, "Params [Limit] not available: given twice with different values");
      const dupQuery = await raw(s.url, { path: "/?Limit=2", headers: { "Content-Type": FORM }, body: formOf(params) });
      assertRefusal(dupQuery, "Params [Limit] not available: given twice with different values");
      const dupAction = await raw(s.url, { path: "/?Action=StopCompShareInstance", headers: { "Content-Type": FORM }, body: formOf(params) });
      assert.equal(dupAction.status, 200);
      assert.equal(dupAction.body.RetCode, 230, dupAction.text);
      assert.match(dupAction.body.Message ?? "", /^Params \[Action\] not available/);
      const dupGet = await raw(s.url, { method: "GET", path: `/?${formOf(params)}&Limit=3` });
      assert.equal(dupGet.body.RetCode, 230, dupGet.text);
      assert.match(dupGet.body.Message ?? "", /^Params \[Limit\] not available/);
    });

    it("names the Action in the envelope of a duplicate-key refusal (the Action itself is unambiguous)", async () => {
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: "1" }, s.keys);
      const dupForm = await raw(s.url, { headers: { "Content-Type": FORM }, body: `${formOf(params)}&Limit=2` });
      assertAnswer(dupForm, "DescribeCompShareInstance", 230, "Params [Limit] not available: given twice with different values");
      const dupQuery = await raw(s.url, { path: "/?Action=DescribeCompShareInstance&Limit=2", headers: { "Content-Type": FORM }, body: formOf(params) });
      assertAnswer(dupQuery, "DescribeCompShareInstance", 230, "Params [Limit] not available: given twice with different values");
    });

    it("refuses a JSON body where a flat key and a nested value collide with different values", async () => {
      // {"UHostIds.0":"uhost-a", …, "UHostIds":["uhost-b"]} names UHostIds.0 twice. Whichever of the two
      // values the client signed, the request is ambiguous and must be refused, not silently resolved.
      for (const signed of ["uhost-a", "uhost-b"]) {
        const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, "UHostIds.0": signed }, s.keys);
        const body = JSON.stringify({ ...params, "UHostIds.0": "uhost-a", UHostIds: ["uhost-b"] });
        const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
        assert.equal(res.status, 200);
        assert.equal(res.body.RetCode, 230, `signed ${signed}: ${res.text}`);
        assert.match(res.body.Message ?? "", /^Params \[UHostIds\.0\] not available/);
      }
    });
    it("refuses a JSON body that names the same key twice with different values", async () => {
      // JSON.parse keeps the last of duplicate names; a form with the same duplicate is refused (above).
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: 2 }, s.keys);
      const body = JSON.stringify(params).replace('"Limit":2', '"Limit":1,"Limit":2');
      assert.ok(body.includes('"Limit":1,"Limit":2'), body);
      const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
      assert.equal(res.status, 200);
      assert.equal(res.body.RetCode, 230, res.text);
      assert.match(res.body.Message ?? "", /^Params \[Limit\] not available/);
    });
  });

  describe("malformed requests", () => {
    it("refuses a body of another Content-Type with 230 naming Content-Type", async () => {
      const body = formOf(signedParams("DescribeCompShareInstance", REGION, s.keys));
      for (const type of ["text/plain", "application/xml", "multipart/form-data; boundary=x"]) {
        const res = await raw(s.url, { headers: { "Content-Type": type }, body });
        assert.equal(res.status, 200, type);
        assert.match(String(res.headers["x-ucloud-request-uuid"]), UUID);
        assert.equal(res.body.RetCode, 230, `${type}: ${res.text}`);
        assert.match(res.body.Message ?? "", /Content-Type/, type);
        assert.match(res.body.Action, /Response$/);
      }
    });

    it("refuses invalid JSON, a JSON array and other non-object JSON with 230", async () => {
      for (const body of ['{"Action":"DescribeCompShareInstance",', "{'Action':1}", "[]", '[{"Action":"DescribeCompShareInstance"}]', '"x"', "42", "null", "true"]) {
        const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
        assert.equal(res.status, 200, body);
        assert.match(String(res.headers["x-ucloud-request-uuid"]), UUID);
        assert.equal(res.body.RetCode, 230, `${body}: ${res.text}`);
        assert.match(res.body.Message ?? "", /^Params \[[^\]]+\] not available/);
      }
    });

    it("refuses deep JSON nesting with 230, without crashing", async () => {
      const signed = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
      const prefix = JSON.stringify(signed).slice(0, -1);
      for (const depth of [12, 1000, 100_000]) {
        const body = `${prefix},"Deep":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
        const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
        assert.equal(res.status, 200, `depth ${depth}`);
        assert.equal(res.body.RetCode, 230, `depth ${depth}: ${res.text.slice(0, 200)}`);
        const arrays = `${prefix},"Deep":${"[".repeat(depth)}1${"]".repeat(depth)}}`;
        const res2 = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: arrays });
        assert.equal(res2.status, 200, `array depth ${depth}`);
        assert.equal(res2.body.RetCode, 230, `array depth ${depth}: ${res2.text.slice(0, 200)}`);
      }
      assertAnswer(await form("DescribeCompShareInstance", REGION), "DescribeCompShareInstance", 0);
    });

    it("answers HTTP 405 to methods other than GET and POST", async () => {
      for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
        const res = await raw(s.url, { method, headers: { "Content-Type": FORM }, body: formOf(signedParams("DescribeCompShareInstance", REGION, s.keys)) });
        assert.equal(res.status, 405, method);
        assert.match(String(res.headers.allow ?? ""), /GET/);
        assert.match(String(res.headers.allow ?? ""), /POST/);
        assert.match(String(res.headers["x-ucloud-request-uuid"]), UUID);
      }
    });
  });

  describe("common RetCodes", () => {
    it("160: no Action", async () => {
      const noAction = signFlat({ ...REGION }, s.keys);
      const res = await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf(noAction) });
      assertAnswer(res, "", 160);
      const empty = await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf(signFlat({ Action: "", ...REGION }, s.keys)) });
      assertAnswer(empty, "", 160);
      assertAnswer(await raw(s.url, { method: "GET", path: "/" }), "", 160);
      assertAnswer(await raw(s.url, { method: "POST", path: "/", body: "" }), "", 160);
    });

    it("161: an Action that does not exist", async () => {
      assertAnswer(await form("DescribeUHostInstance", REGION), "DescribeUHostInstance", 161);
      for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "describecompshareinstance"]) {
        const res = await form(name, REGION);
        assert.equal(res.status, 200, name);
        assert.equal(res.body.RetCode, 161, `${name}: ${res.text}`);
      }
    });

    it("170: no Signature, or an empty one", async () => {
      const { Signature: _sig, ...unsigned } = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
      assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf(unsigned) }), "DescribeCompShareInstance", 170);
      assertAnswer(
        await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf({ ...unsigned, Signature: "" }) }),
        "DescribeCompShareInstance",
        170,
      );
    });

    it('171: a wrong signature, with the Message "Signature VerifyAC Error"', async () => {
      const wrongKey = await form("DescribeCompShareInstance", REGION, { PublicKey: s.keys.PublicKey, PrivateKey: "not_my_private_key" });
      assertAnswer(wrongKey, "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
      for (const signature of ["0".repeat(40), "abc", `${String(params.Signature)}0`, "zz".repeat(20)]) {
        const res = await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf({ ...params, Signature: signature }) });
        assertAnswer(res, "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
      }
      // A parameter changed after signing.
      const tampered = await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf({ ...params, Limit: "5" }) });
      assertAnswer(tampered, "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
    });

    it("authenticates before validating the parameters", async () => {
      const bad = { PublicKey: s.keys.PublicKey, PrivateKey: "wrong" };
      assertAnswer(await form("DescribeCompShareInstance", { ...REGION, Limit: "abc" }, bad), "DescribeCompShareInstance", 171);
      assertAnswer(await form("RebootCompShareInstance", REGION, bad), "RebootCompShareInstance", 171);
    });

    it('172: an unknown PublicKey, with the Message "User Not Exists"', async () => {
      const res = await form("DescribeCompShareInstance", REGION, { PublicKey: "nobody_public_key", PrivateKey: "x" });
      assertAnswer(res, "DescribeCompShareInstance", 172, "User Not Exists");
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
      const { PublicKey: _pk, ...noKey } = params;
      assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf(noKey) }), "DescribeCompShareInstance", 172, "User Not Exists");
    });

    it("authenticates another account with its own keys, and not with a mix", async () => {
      const bob = await s.account("bob-parsing");
      assertAnswer(await form("DescribeCompShareInstance", REGION, bob), "DescribeCompShareInstance", 0);
      const mixed = { PublicKey: bob.PublicKey, PrivateKey: s.keys.PrivateKey };
      assertAnswer(await form("DescribeCompShareInstance", REGION, mixed), "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
    });

    it('220: a missing parameter, "Missing params [UHostId]"', async () => {
      assertAnswer(await form("RebootCompShareInstance", REGION), "RebootCompShareInstance", 220, "Missing params [UHostId]");
      assertAnswer(await json("RebootCompShareInstance", REGION), "RebootCompShareInstance", 220, "Missing params [UHostId]");
      assertAnswer(await get("RebootCompShareInstance", REGION), "RebootCompShareInstance", 220, "Missing params [UHostId]");
    });

    it('230: a value that is not accepted, "Params [Limit] not available: expected an integer" for Limit=abc', async () => {
      assertAnswer(await form("DescribeCompShareInstance", { ...REGION, Limit: "abc" }), "DescribeCompShareInstance", 230, "Params [Limit] not available: expected an integer");
      assertAnswer(await get("DescribeCompShareInstance", { ...REGION, Limit: "abc" }), "DescribeCompShareInstance", 230, "Params [Limit] not available: expected an integer");
      assertAnswer(await json("DescribeCompShareInstance", { ...REGION, Limit: "abc" }), "DescribeCompShareInstance", 230, "Params [Limit] not available: expected an integer");
      assertAnswer(await form("DescribeCompShareInstance", { ...REGION, WithoutGpu: "maybe" }), "DescribeCompShareInstance", 230, "Params [WithoutGpu] not available: expected true or false");
      assertAnswer(await form("CreateCompShareInstance", { ...CREATE, ChargeType: "Weekly" }), "CreateCompShareInstance", 230, "Params [ChargeType] not available: one of Month, Day, Dynamic, Postpay, Spot, Year");
    });

    it("coerces form strings: Limit=10, Limit=42.0, WithoutGpu=TRUE", async () => {
      for (const [k, v] of [
        ["Limit", "10"],
        ["Limit", "42.0"],
        ["WithoutGpu", "TRUE"],
        ["WithoutGpu", "false"],
      ] as const) {
        assertAnswer(await form("DescribeCompShareInstance", { ...REGION, [k]: v }), "DescribeCompShareInstance", 0);
      }
    });

    it("292: a ProjectId that is not the caller's", async () => {
      const res = await form("DescribeCompShareInstance", { ...REGION, ProjectId: "org-does-not-exist" });
      assertAnswer(res, "DescribeCompShareInstance", 292);
      const carol = await s.account("carol-parsing");
      const foreign = await form("RebootCompShareInstance", { ...REGION, UHostId: "uhost-x", ProjectId: carol.ProjectId });
      assertAnswer(foreign, "RebootCompShareInstance", 292);
      assertAnswer(await form("DescribeCompShareInstance", { ...REGION, ProjectId: carol.ProjectId }, carol), "DescribeCompShareInstance", 0);
    });

    it("230: an unknown Region or Zone", async () => {
      const region = await form("RebootCompShareInstance", { Region: "cn-nowhere", Zone: "cn-wlcb-01", UHostId: "uhost-x" });
      assertAnswer(region, "RebootCompShareInstance", 230, "Params [Region] not available: cn-nowhere is not a region of this service (cn-wlcb, cn-sh2)");
      const zone = await form("RebootCompShareInstance", { Region: "cn-wlcb", Zone: "cn-wlcb-99", UHostId: "uhost-x" });
      assertAnswer(zone, "RebootCompShareInstance", 230, /^Params \[Zone\] not available: cn-wlcb-99 is not a zone of cn-wlcb \(cn-wlcb-01.*\)$/);
      const describeZone = await form("DescribeCompShareInstance", { Zone: "cn-nowhere-01" });
      assertAnswer(describeZone, "DescribeCompShareInstance", 230, /^Params \[Zone\] not available: cn-nowhere-01 is not a zone of .+ \(.*cn-wlcb-01.*\)$/);
      const create = await form("CreateCompShareInstance", { ...CREATE, Region: "cn-bj2" });
      assertAnswer(create, "CreateCompShareInstance", 230, /^Params \[Region\] not available: cn-bj2 is not a region of this service/);
    });
  });

  describe("garbage", () => {
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
});

describe("the body limit (OCS_BODY_LIMIT=2048)", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_BODY_LIMIT: "2048" } });
  });
  after(async () => {
    await s.close();
  });

  it("answers HTTP 413 to a body over the limit, with Content-Length or chunked", async () => {
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Padding: "x".repeat(3000) }, s.keys);
    const body = formOf(params);
    assert.ok(body.length > 2048);
    const declared = await raw(s.url, { headers: { "Content-Type": FORM }, body });
    assert.equal(declared.status, 413, declared.text);
    assert.match(String(declared.headers["x-ucloud-request-uuid"]), UUID);
    const chunked = await raw(s.url, { headers: { "Content-Type": FORM }, body, chunked: true });
    assert.equal(chunked.status, 413, chunked.text);
    const jsonBody = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify(params) });
    assert.equal(jsonBody.status, 413, jsonBody.text);
  });

  it("accepts a body just under the limit, and still answers after a refusal", async () => {
    const base = formOf(signFlat({ Action: "DescribeCompShareInstance", ...REGION, Padding: "" }, s.keys));
    const padding = "y".repeat(2048 - base.length - 10);
    const body = formOf(signFlat({ Action: "DescribeCompShareInstance", ...REGION, Padding: padding }, s.keys));
    assert.ok(body.length <= 2048 && body.length > 1900, String(body.length));
    assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body }), "DescribeCompShareInstance", 0);
    const over = await raw(s.url, { headers: { "Content-Type": FORM }, body: `${body}${"z".repeat(200)}` });
    assert.equal(over.status, 413);
    assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body }), "DescribeCompShareInstance", 0);
  });
});

describe("requests Node cannot parse", () => {
  it("answers oversized headers with HTTP 431 and an envelope, and malformed HTTP with 400 and an envelope", async () => {
    const { connect } = await import("node:net");
    const s = await startServer();
    try {
      const port = Number(new URL(s.url).port);
      const raw = (text: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, "127.0.0.1", () => socket.end(text));
          let out = "";
          socket.on("data", (d: Buffer) => (out += d.toString()));
          socket.on("close", () => resolve(out));
          socket.on("error", reject);
        });
      const big = await raw(`GET /?Action=DescribeCompShareInstance HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
      assert.match(big, /^HTTP\/1\.1 431 /);
      assert.match(big, /X-UCLOUD-REQUEST-UUID: [0-9a-f-]{36}/i);
      const bigBody = JSON.parse(big.slice(big.indexOf("\r\n\r\n") + 4)) as { RetCode: number; Message: string };
      assert.equal(bigBody.RetCode, 230);
      assert.match(bigBody.Message, /headers too large/);
      const bad = await raw("NOT HTTP AT ALL\r\n\r\n");
      assert.match(bad, /^HTTP\/1\.1 400 /);
      assert.equal((JSON.parse(bad.slice(bad.indexOf("\r\n\r\n") + 4)) as { RetCode: number }).RetCode, 230);
      // The server still answers.
      assert.equal((await s.call("DescribeCompShareInstance", REGION)).body.RetCode, 0);
    } finally {
      await s.close();
    }
  });
});
