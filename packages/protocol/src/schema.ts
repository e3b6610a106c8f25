/**
 * A small schema language for Action contracts. One schema gives three things:
 * the TypeScript type (`Infer<typeof S>`), the server's validation with coercion of
 * form/query strings to the declared types, and a strict check of response JSON types.
 *
 * It is written here rather than taken from a library because the SDK must ship with zero
 * runtime dependencies, and the wire rules (strings to ints and bools, empty means absent,
 * errors named by their flattened key) are UCloud's own.
 *
 * @example
 * const Req = t.object({ UHostId: t.string(), Limit: t.optional(t.int({ min: 0 })) });
 * type Req = Infer<typeof Req>; // { UHostId: string; Limit?: number }
 */

/** `missing`: a required value is absent (RetCode 220). `invalid`: present but not acceptable (230). */
export interface Issue {
  kind: "missing" | "invalid";
  path: string;
  reason: string;
}

/** `wire`: coerce strings from form and query. `strict`: JSON types must already be exact (responses). */
export type Mode = "wire" | "strict";

export interface Schema<T, Optional extends boolean = false> {
  readonly type: string;
  readonly optional: Optional;
  /** JSON null is a value of this schema, not an absent one. */
  readonly acceptsNull?: boolean;
  /** Returns the parsed value, or `undefined` after pushing at least one issue. */
  parse(value: unknown, path: string, mode: Mode, issues: Issue[]): T | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySchema = Schema<any, boolean>;
export type Infer<S> = S extends Schema<infer T, boolean> ? T : never;

type Shape = Record<string, AnySchema>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K]["optional"] extends true ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K]["optional"] extends true ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type InferShape<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

export interface ObjectSchema<S extends Shape> extends Schema<InferShape<S>> {
  readonly shape: S;
}

const invalid = (issues: Issue[], path: string, reason: string): undefined => {
  issues.push({ kind: "invalid", path, reason });
  return undefined;
};

function scalar<T>(type: string, parse: Schema<T>["parse"]): Schema<T> {
  return { type, optional: false, parse };
}

interface StringOptions {
  enum?: readonly string[];
  maxLength?: number;
  pattern?: RegExp;
  /**
   * The rule in words, given as the reason whenever the value breaks it (too long, not of the
   * enum, not matching the pattern): `1 to 63 characters of Chinese, letters, digits…`.
   */
  rule?: string;
}

function string<const E extends readonly string[]>(opts: StringOptions & { enum: E }): Schema<E[number]>;
function string(opts?: StringOptions): Schema<string>;
function string(opts: StringOptions = {}): Schema<string> {
  const maxLength = opts.maxLength ?? 4096;
  return scalar("string", (value, path, mode, issues) => {
    let s: string;
    if (typeof value === "string") s = value;
    else if (mode === "wire" && (typeof value === "number" || typeof value === "boolean")) s = String(value);
    else return invalid(issues, path, "expected a string");
    if (s.length > maxLength) return invalid(issues, path, opts.rule ?? `at most ${maxLength} characters (${s.length} given)`);
    if (opts.enum && !opts.enum.includes(s)) return invalid(issues, path, opts.rule ?? `one of ${opts.enum.join(", ")}`);
    if (opts.pattern && !opts.pattern.test(s)) return invalid(issues, path, opts.rule ?? `does not match ${String(opts.pattern)}`);
    return s;
  });
}

interface NumberOptions {
  min?: number;
  max?: number;
}

function numeric(type: "int" | "float", opts: NumberOptions): Schema<number> {
  const wirePattern = type === "int" ? /^[-+]?\d{1,16}(\.0*)?$/ : /^[-+]?(\d+\.?\d*|\.\d+)$/;
  return scalar(type, (value, path, mode, issues) => {
    let n: number;
    if (typeof value === "number") n = value;
    else if (mode === "wire" && typeof value === "string" && wirePattern.test(value.trim())) n = Number(value);
    else return invalid(issues, path, `expected ${type === "int" ? "an integer" : "a number"}`);
    if (!Number.isFinite(n)) return invalid(issues, path, "not finite");
    if (type === "int" && !Number.isSafeInteger(n)) return invalid(issues, path, "expected an integer");
    if (opts.min !== undefined && n < opts.min) return invalid(issues, path, `at least ${opts.min}`);
    if (opts.max !== undefined && n > opts.max) return invalid(issues, path, `at most ${opts.max}`);
    return n;
  });
}

const bool = (): Schema<boolean> =>
  scalar("bool", (value, path, mode, issues) => {
    if (typeof value === "boolean") return value;
    if (mode === "wire" && typeof value === "string") {
      const v = value.toLowerCase();
      if (v === "true") return true;
      if (v === "false") return false;
    }
    return invalid(issues, path, "expected true or false");
  });

function array<T>(item: Schema<T>, opts: { max?: number; /** On the wire, a single value counts as a list of one (`Tag=a` as well as `Tag.0=a`). */ single?: boolean } = {}): Schema<T[]> {
  const max = opts.max ?? 100;
  return {
    type: `${item.type}[]`,
    optional: false,
    parse(value, path, mode, issues) {
      if (opts.single && mode === "wire" && !Array.isArray(value) && (typeof value !== "object" || value === null)) value = [value];
      if (!Array.isArray(value)) return invalid(issues, path, "expected a list");
      if (value.length > max) return invalid(issues, path, `at most ${max} items (${value.length} given)`);
      const out: T[] = [];
      let ok = true;
      value.forEach((v, i) => {
        const p = item.parse(v, `${path}.${i}`, mode, issues);
        if (p === undefined) ok = false;
        else out.push(p);
      });
      return ok ? out : undefined;
    },
  };
}

type InferTuple<A extends readonly AnySchema[]> = { -readonly [K in keyof A]: Infer<A[K]> };

/** A list of fixed length, each place of its own schema: the arguments of a machine method. */
function tuple<const A extends readonly AnySchema[]>(items: A): Schema<InferTuple<A>> {
  return {
    type: `[${items.map((i) => i.type).join(", ")}]`,
    optional: false,
    parse(value, path, mode, issues) {
      if (!Array.isArray(value)) return invalid(issues, path, "expected a list");
      const required = items.filter((i) => !i.optional).length;
      if (value.length < required || value.length > items.length) {
        return invalid(issues, path, `expected ${required === items.length ? items.length : `${required} to ${items.length}`} items (${value.length} given)`);
      }
      const out: unknown[] = [];
      let ok = true;
      items.forEach((item, i) => {
        const p = path ? `${path}.${i}` : String(i);
        if (value[i] === undefined || value[i] === null) {
          if (item.optional) return void out.push(undefined);
          ok = false;
          return void issues.push({ kind: "missing", path: p, reason: "required" });
        }
        const parsed: unknown = item.parse(value[i], p, mode, issues);
        if (parsed === undefined) ok = false;
        else out.push(parsed);
      });
      return ok ? (out as InferTuple<A>) : undefined;
    },
  };
}

/** On the wire an empty string means absent: the Python SDK sends `Name=` for unset values. */
const isAbsent = (value: unknown, mode: Mode): boolean =>
  value === undefined || value === null || (mode === "wire" && value === "");

function object<S extends Shape>(shape: S): ObjectSchema<S> {
  return {
    type: "object",
    optional: false,
    shape,
    parse(value, path, mode, issues) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return invalid(issues, path, "expected an object");
      }
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const [key, schema] of Object.entries(shape)) {
        const p = path ? `${path}.${key}` : key;
        const v = input[key];
        if (v === null && schema.acceptsNull) {
          out[key] = null;
          continue;
        }
        if (isAbsent(v, mode)) {
          if (!schema.optional) {
            issues.push({ kind: "missing", path: p, reason: "required" });
            ok = false;
          }
          continue;
        }
        const parsed: unknown = schema.parse(v, p, mode, issues);
        if (parsed === undefined) ok = false;
        else out[key] = parsed;
      }
      return ok ? (out as InferShape<S>) : undefined;
    },
  };
}

/** An object with any keys, every value of one schema: `TagsMap`, `MachineTypesMap`. */
function record<T>(value: Schema<T>, opts: { max?: number } = {}): Schema<Record<string, T>> {
  const max = opts.max ?? 1000;
  return {
    type: `record<${value.type}>`,
    optional: false,
    parse(input, path, mode, issues) {
      if (input === null || typeof input !== "object" || Array.isArray(input)) return invalid(issues, path, "expected an object");
      const entries = Object.entries(input as Record<string, unknown>);
      if (entries.length > max) return invalid(issues, path, `at most ${max} keys (${entries.length} given)`);
      const out: Record<string, T> = {};
      let ok = true;
      for (const [key, v] of entries) {
        const parsed = value.parse(v, path ? `${path}.${key}` : key, mode, issues);
        if (parsed === undefined) ok = false;
        else Object.defineProperty(out, key, { value: parsed, enumerable: true, writable: true, configurable: true });
      }
      return ok ? out : undefined;
    },
  };
}

/** A value that may also be JSON null (kept as null, where an optional field would drop it). */
function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return {
    type: `${schema.type} | null`,
    optional: false,
    acceptsNull: true,
    parse: (value, path, mode, issues) => (value === null ? null : schema.parse(value, path, mode, issues)),
  };
}

/** Any JSON value, passed on as it is: what a method answers, checked where it is used. */
const unknownValue = (): Schema<unknown> => ({ ...scalar("unknown", (value) => (value === undefined ? null : value)), acceptsNull: true });

/** Marks a field optional. Absent (or, on the wire, empty) values are left out of the result. */
function optional<T>(schema: Schema<T>): Schema<T, true> {
  return { ...schema, optional: true };
}

export const t = {
  string,
  int: (opts: NumberOptions = {}) => numeric("int", opts),
  float: (opts: NumberOptions = {}) => numeric("float", opts),
  bool,
  array,
  object,
  record,
  tuple,
  nullable,
  unknown: unknownValue,
  optional,
};

/** Parses `value` against `schema`; `issues` is empty on success. */
export function parseWith<T>(schema: Schema<T>, value: unknown, mode: Mode): { value?: T; issues: Issue[] } {
  const issues: Issue[] = [];
  const parsed = schema.parse(value, "", mode, issues);
  return parsed === undefined || issues.length > 0 ? { issues } : { value: parsed, issues };
}
