/**
 * Stage 1, parse: query string and body (form or JSON) become one flat parameter map.
 * Query and body are merged; a key given twice with different values is refused, and so is
 * a key or value holding U+0000.
 */
import { ApiError, commonErrors, flatten, UnflattenError, type NestedValue, type WireParams, type WireValue } from "@opencompshare/protocol";

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

/** U+0000 is in no valid parameter, and PostgreSQL cannot store or compare text holding it. */
const hasNul = (s: string): boolean => s.includes("\u0000");

function addParam(params: WireParams, key: string, value: WireValue): void {
  if (key === "__proto__") throw commonErrors.invalidParam(key, "a reserved name, not a parameter");
  if (hasNul(key) || (typeof value === "string" && hasNul(value))) throw commonErrors.invalidParam(key.replaceAll("\u0000", "\\0"), "holds a NUL character (U+0000)");
  if (Object.hasOwn(params, key) && params[key] !== value && String(params[key]) !== String(value)) {
    throw commonErrors.invalidParam(key, "given twice with different values");
  }
  params[key] = value;
}

function addSearchParams(params: WireParams, text: string): void {
  for (const [key, value] of new URLSearchParams(text)) addParam(params, key, value);
}

/**
 * The first name given twice in one JSON object, if any. JSON.parse keeps the last silently;
 * the wire refuses conflicting duplicates, in JSON as in forms. Expects valid JSON.
 */
export function duplicateJsonKey(text: string): string | undefined {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      stack.push(null);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const keys = stack[stack.length - 1] as Set<string>;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}

function addJson(params: WireParams, body: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ApiError("ParamsNotAvailable", "Params [body] not available: not valid JSON");
  }
  const duplicate = duplicateJsonKey(body);
  if (duplicate !== undefined) throw commonErrors.invalidParam(duplicate, "given twice with different values");
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ApiError("ParamsNotAvailable", "Params [body] not available: a JSON object is expected");
  }
  let flat: WireParams;
  try {
    flat = flatten(parsed as Record<string, NestedValue>);
  } catch (error) {
    if (error instanceof UnflattenError) throw commonErrors.invalidParam(error.key, error.reason);
    throw error;
  }
  for (const [key, value] of Object.entries(flat)) addParam(params, key, value);
}

/** The media type without parameters, lowercased: `application/json; charset=utf-8` → `application/json`. */
const mediaType = (header: string | undefined): string => (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

export function parseParams(url: string, contentType: string | undefined, body: Buffer): WireParams {
  const params: WireParams = Object.create(null) as WireParams;
  const q = url.indexOf("?");
  if (q >= 0) addSearchParams(params, url.slice(q + 1));
  if (body.length === 0) return params;
  const type = mediaType(contentType);
  const text = body.toString("utf8");
  if (type === JSON_TYPE || type.endsWith("+json")) addJson(params, text);
  else if (type === FORM || type === "") addSearchParams(params, text);
  else throw new ApiError("ParamsNotAvailable", `Params [Content-Type] not available: use ${FORM} or ${JSON_TYPE}`);
  return params;
}

/**
 * The second form a JSON body may be signed in: each top-level array of strings or numbers
 * written under its bare key as its elements joined with nothing between them (CompShare's CLI
 * signs GetCompShareInstanceMonitor's `UHostIds` so). Undefined when the body has no such array.
 * Only the signature uses this form; the request itself keeps the elements.
 */
export function concatenatedArrayForm(params: WireParams, contentType: string | undefined, body: Buffer): WireParams | undefined {
  const type = mediaType(contentType);
  if (body.length === 0 || !(type === JSON_TYPE || type.endsWith("+json"))) return undefined;
  const parsed = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  let form: WireParams | undefined;
  for (const [key, value] of Object.entries(parsed)) {
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string" || typeof v === "number")) continue;
    form ??= { ...params };
    for (let i = 0; i < value.length; i++) delete form[`${key}.${i}`];
    form[key] = value.join("");
  }
  return form;
}

/** The Action a request names, best effort and never throwing: used to name the envelope of an error met while parsing. */
export function actionHint(url: string, contentType: string | undefined, body: Buffer | undefined): string {
  const q = url.indexOf("?");
  const fromQuery = q >= 0 ? new URLSearchParams(url.slice(q + 1)).get("Action") : null;
  if (fromQuery) return fromQuery;
  if (!body || body.length === 0) return "";
  try {
    const type = mediaType(contentType);
    if (type === JSON_TYPE || type.endsWith("+json")) {
      const parsed = JSON.parse(body.toString("utf8")) as { Action?: unknown };
      return typeof parsed?.Action === "string" ? parsed.Action : "";
    }
    return new URLSearchParams(body.toString("utf8")).get("Action") ?? "";
  } catch {
    return "";
  }
}
