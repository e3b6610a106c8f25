/** A minimal signing client for tests: form, JSON or GET, exactly as the official SDKs send. */
import { flatten, sign, type NestedValue, type WireParams } from "@opencompshare/protocol";

export interface Keys {
  PublicKey: string;
  PrivateKey: string;
  ProjectId?: string;
}

export type Encoding = "form" | "json" | "get";

export interface Answer {
  status: number;
  requestId: string | null;
  body: Record<string, unknown> & { RetCode: number; Action: string; Message?: string };
}

export function signedParams(action: string, params: Record<string, NestedValue>, keys: Keys): WireParams {
  const flat = flatten({ Action: action, ...params, PublicKey: keys.PublicKey });
  flat.Signature = sign(flat, keys.PrivateKey);
  return flat;
}

export async function send(url: string, flat: WireParams, encoding: Encoding = "form"): Promise<Answer> {
  let res: Response;
  if (encoding === "get") {
    const qs = new URLSearchParams(Object.entries(flat).map(([k, v]): [string, string] => [k, String(v)]));
    res = await fetch(`${url}/?${qs.toString()}`);
  } else if (encoding === "json") {
    res = await fetch(`${url}/`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(flat) });
  } else {
    const body = new URLSearchParams(Object.entries(flat).map(([k, v]): [string, string] => [k, v === null ? "" : String(v)]));
    res = await fetch(`${url}/`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
  }
  const text = await res.text();
  return { status: res.status, requestId: res.headers.get("x-ucloud-request-uuid"), body: JSON.parse(text) as Answer["body"] };
}

export async function call(url: string, keys: Keys, action: string, params: Record<string, NestedValue> = {}, encoding: Encoding = "form") {
  const withProject = keys.ProjectId && params.ProjectId === undefined ? { ...params, ProjectId: keys.ProjectId } : params;
  return send(url, signedParams(action, withProject, keys), encoding);
}
