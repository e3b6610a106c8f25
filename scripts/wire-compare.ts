/**
 * Compares the wire answers of two servers for one scripted scenario, byte for byte once what
 * must differ between two runs is normalised: ids are renamed in the order they first appear
 * (uhost#1, op#2, ip#3, …), and the values of time fields, times in messages and request ids are
 * replaced. A refactor that
 * must not change behaviour is checked by running it against a server of the commit before and one
 * of the commit after:
 *
 *   node --import tsx --conditions=source scripts/wire-compare.ts http://127.0.0.1:PORT_A http://127.0.0.1:PORT_B
 *
 * Both servers: the simulated driver, the default keys `OCS_PUBLIC_KEY` / `OCS_PRIVATE_KEY` given
 * as KEYS below, and the same `OCS_SIM_BOOT_MS`. Each scenario step runs on A, then on B. Prints
 * each differing step with both answers, then `N steps, M differ`; exit 1 when any differs.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { flatten, sign, type NestedValue } from "@opencompshare/protocol";

const KEYS = { PublicKey: process.env.WIRE_PUBLIC_KEY ?? "wire_public_key", PrivateKey: process.env.WIRE_PRIVATE_KEY ?? "wire_private_key" };
const REGION = { Region: "cn-wlcb", Zone: "cn-wlcb-01" };
const CREATE = { ...REGION, MachineType: "G", CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", CompShareImageId: "compshareImage-ubuntu2204", ChargeType: "Postpay", Password: Buffer.from("Wire-pass1!").toString("base64"), Name: "wire" };
const ID = /\bop-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\b|\b(uhost|op|bsi|bsm|org|disk|compshareImage-custom|uimage|req|ev)-[A-Za-z0-9]+\b|\b52:54:00(:[0-9a-f]{2}){3}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b10\.\d+\.\d+\.\d+\b/g;
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g;
const TIME_KEY = /Time$|^Expire|At$|^RequestId$|^Request$/;

async function raw(url: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams(params);
  const res = await fetch(`${url}/`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
  return `${res.status} ${await res.text()}`;
}

async function call(url: string, action: string, params: Record<string, NestedValue> = {}, keys = KEYS): Promise<string> {
  const flat = flatten({ Action: action, ...params, PublicKey: keys.PublicKey });
  flat.Signature = sign(flat, keys.PrivateKey);
  return raw(url, Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, v === null ? "" : String(v)])));
}

/** Ids renamed in order of appearance, time fields and request ids blanked; the rest kept byte for byte. */
function normalise(text: string, names: Map<string, string>): string {
  const space = text.indexOf(" ");
  let body = text.slice(space + 1);
  try {
    body = JSON.stringify(JSON.parse(body, (k, v: unknown) => (TIME_KEY.test(k) && (typeof v === "number" || typeof v === "string") ? `<${typeof v}>` : v)));
  } catch {
    // not JSON: compared as it is
  }
  body = body.replace(ISO_TIME, "<iso-time>").replace(ID, (id) => {
    const kind = id.startsWith("10.") ? "ip" : id.startsWith("52:54:00") ? "mac" : /^[0-9a-f]{8}-/.test(id) ? "uuid" : id.slice(0, id.indexOf("-"));
    if (!names.has(id)) names.set(id, `${kind}#${names.size + 1}`);
    return names.get(id)!;
  });
  return `${text.slice(0, space)} ${body}`;
}

interface Side {
  url: string;
  names: Map<string, string>;
  instance: string;
}

async function waitState(side: Side, state: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const body = JSON.parse((await call(side.url, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": side.instance })).slice(4)) as { UHostSet?: Array<{ State: string }> };
    if (body.UHostSet?.[0]?.State === state) return;
    await sleep(50);
  }
  throw new Error(`${side.url}: ${side.instance} never became ${state}`);
}

type Step = [name: string, run: (side: Side) => Promise<string>];

const STEPS: Step[] = [
  ["images", (s) => call(s.url, "DescribeCompShareImages", { ...REGION, Limit: 3 })],
  ["price", (s) => call(s.url, "GetCompShareInstancePrice", { ...CREATE, Count: 1 })],
  ["describe none", (s) => call(s.url, "DescribeCompShareInstance", REGION)],
  [
    "create",
    async (s) => {
      const text = await call(s.url, "CreateCompShareInstance", CREATE);
      s.instance = ((JSON.parse(text.slice(4)) as { UHostIds?: string[] }).UHostIds ?? [""])[0] as string;
      return text;
    },
  ],
  ["describe initializing", (s) => call(s.url, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": s.instance })],
  ["wait running", async (s) => (await waitState(s, "Running"), "ok")],
  ["describe running", (s) => call(s.url, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": s.instance })],
  ["reboot", (s) => call(s.url, "RebootCompShareInstance", { ...REGION, UHostId: s.instance })],
  ["reboot again (locked)", (s) => call(s.url, "RebootCompShareInstance", { ...REGION, UHostId: s.instance })],
  ["start while rebooting", (s) => call(s.url, "StartCompShareInstance", { ...REGION, UHostId: s.instance })],
  ["wait running again", async (s) => (await waitState(s, "Running"), "ok")],
  ["stop", (s) => call(s.url, "StopCompShareInstance", { ...REGION, UHostId: s.instance })],
  ["wait stopped", async (s) => (await waitState(s, "Stopped"), "ok")],
  ["describe stopped", (s) => call(s.url, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": s.instance })],
  ["rename", (s) => call(s.url, "ModifyCompShareInstanceName", { ...REGION, UHostId: s.instance, Name: "wire-2" })],
  ["operations", (s) => call(s.url, "DescribeCompShareInstanceOperations", { ...REGION, UHostId: s.instance })],
  ["missing param", (s) => call(s.url, "RebootCompShareInstance", REGION)],
  ["bad value", (s) => call(s.url, "DescribeCompShareInstance", { ...REGION, Limit: "many" })],
  ["unknown instance", (s) => call(s.url, "RebootCompShareInstance", { ...REGION, UHostId: "uhost-doesnotexist" })],
  ["unknown action", (s) => call(s.url, "NoSuchCompShareAction", REGION)],
  ["bad signature", (s) => call(s.url, "DescribeCompShareInstance", REGION, { ...KEYS, PrivateKey: "wrong" })],
  ["no action", (s) => raw(s.url, { PublicKey: KEYS.PublicKey })],
  ["projects", (s) => call(s.url, "GetProjectList", {})],
  ["terminate", (s) => call(s.url, "TerminateCompShareInstance", { ...REGION, UHostId: s.instance })],
  ["describe after terminate", (s) => call(s.url, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": s.instance })],
];

async function main(): Promise<number> {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) {
    console.error("usage: wire-compare.ts URL_A URL_B");
    return 2;
  }
  const sides: [Side, Side] = [
    { url: a, names: new Map(), instance: "" },
    { url: b, names: new Map(), instance: "" },
  ];
  let differ = 0;
  for (const [name, run] of STEPS) {
    const [x, y] = [normalise(await run(sides[0]), sides[0].names), normalise(await run(sides[1]), sides[1].names)];
    if (x !== y) {
      differ++;
      console.log(`DIFF  ${name}\n  A: ${x}\n  B: ${y}`);
    } else console.log(`same  ${name}`);
  }
  console.log(`${STEPS.length} steps, ${differ} differ`);
  return differ === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
