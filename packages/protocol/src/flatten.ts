/**
 * Nested values ⇄ the flattened keys of the wire: a list becomes `UHostIds.0`, an object
 * `Softwares.CUDAVersion`, a list of objects `Disks.0.Size`.
 */
import type { WireParams, WireValue } from "./signing-string.js";

/** A nested request value, before flattening. */
export type NestedValue = WireValue | undefined | NestedValue[] | { [key: string]: NestedValue };

/**
 * Flattens a nested object into wire keys. `undefined` entries are dropped. Nesting deeper
 * than `MAX_KEY_DEPTH` is an error naming the key.
 */
export function flatten(input: Record<string, NestedValue>): WireParams {
  const out: WireParams = {};
  const walk = (prefix: string, value: NestedValue, depth: number): void => {
    if (value === undefined) return;
    if (depth > MAX_KEY_DEPTH) throw new UnflattenError(prefix, "nested too deep");
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(`${prefix}.${i}`, item, depth + 1));
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v, depth + 1);
    } else {
      if (Object.hasOwn(out, prefix) && out[prefix] !== value) throw new UnflattenError(prefix, "given twice with different values");
      out[prefix] = value;
    }
  };
  walk("", input, 0);
  return out;
}

/** A problem met while rebuilding the nested value; `key` is the offending wire key. */
export class UnflattenError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
  }
}

/** Largest list index accepted on the wire. Bounds the memory one request can ask for. */
export const MAX_LIST_INDEX = 999;
/** Deepest key path accepted (`a.b.c.d…`). */
export const MAX_KEY_DEPTH = 8;

type Node = { [key: string]: Node | WireValue };

/**
 * Rebuilds nested objects and lists from flattened keys. Lists must be dense (`.0`, `.1`, …):
 * a gap, a huge index, a key that is both a value and a container, or a path too deep is an
 * error naming the key.
 */
export function unflatten(params: WireParams): Record<string, unknown> {
  const root: Node = Object.create(null) as Node;
  for (const [key, value] of Object.entries(params)) {
    const parts = key.split(".");
    if (parts.length > MAX_KEY_DEPTH) throw new UnflattenError(key, "nested too deep");
    if (parts.some((p) => p === "")) throw new UnflattenError(key, "empty path segment");
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      const next = node[part];
      if (next === undefined) {
        const created = Object.create(null) as Node;
        node[part] = created;
        node = created;
      } else if (next !== null && typeof next === "object") {
        node = next;
      } else {
        throw new UnflattenError(key, "is both a value and a container");
      }
    }
    const leaf = parts[parts.length - 1] as string;
    if (leaf in node) throw new UnflattenError(key, "is both a value and a container");
    node[leaf] = value;
  }
  return toLists(root, "", true) as Record<string, unknown>;
}

function toLists(node: Node | WireValue, path: string, root = false): unknown {
  if (node === null || typeof node !== "object") return node;
  const keys = Object.keys(node);
  const numeric = !root && keys.length > 0 && keys.every((k) => /^\d+$/.test(k));
  if (numeric) {
    const list: unknown[] = new Array(keys.length);
    for (const k of keys) {
      const name = path ? `${path}.${k}` : k;
      const index = Number(k);
      if (index > MAX_LIST_INDEX) throw new UnflattenError(name, `list index above ${MAX_LIST_INDEX}`);
      if (index >= keys.length || (k.length > 1 && k.startsWith("0"))) throw new UnflattenError(name, "list has a gap");
      list[index] = toLists(node[k] as Node | WireValue, name);
    }
    return list;
  }
  // Own data properties only: an assignment to `out["__proto__"]` would set the prototype, and
  // `__proto__.UHostId=…` would then read as `UHostId`.
  return Object.fromEntries(keys.map((k) => [k, toLists(node[k] as Node | WireValue, path ? `${path}.${k}` : k)]));
}
