/**
 * Dispatch's validate stage: the flat parameters are rebuilt into nested values and checked
 * against the Action's contract, coercing form strings to the declared types. Errors name the
 * parameter and the rule it breaks: MissingParams `Missing params [UHostId]`, ParamsNotAvailable
 * `Params [Limit] not available: expected an integer`.
 */
import { commonErrors, parseWith, unflatten, UnflattenError, type ActionContract, type WireParams } from "@opencompshare/protocol";

/** Keys every request may carry that are not the action's own parameters. */
const TRANSPORT_KEYS = new Set(["Action", "PublicKey", "Signature", "SecurityToken", "_timestamp", "Timestamp"]);

export function validate(contract: ActionContract, params: WireParams): Record<string, unknown> {
  const own: WireParams = {};
  for (const [key, value] of Object.entries(params)) if (!TRANSPORT_KEYS.has(key)) own[key] = value;
  let nested: Record<string, unknown>;
  try {
    nested = unflatten(own);
  } catch (error) {
    if (error instanceof UnflattenError) throw commonErrors.invalidParam(error.key, error.reason);
    throw error;
  }
  matchNamesLoosely(contract, nested);
  const { value, issues } = parseWith(contract.request, nested, "wire");
  const missing = issues.filter((i) => i.kind === "missing").map((i) => i.path);
  if (missing.length > 0) throw commonErrors.missingParams(missing);
  if (issues.length > 0 || value === undefined) throw commonErrors.invalidParams(issues);
  return value as Record<string, unknown>;
}

/**
 * Clients spell some parameters differently (`CPU` in the docs and the CLI, `Cpu` in the SDK
 * models; `name` and `Name`): a top-level parameter of the contract that is absent is looked up
 * again without regard to case. An exact spelling always wins. The signature was verified over
 * the parameters as received, so this changes nothing of what was signed.
 */
function matchNamesLoosely(contract: ActionContract, nested: Record<string, unknown>): void {
  const shape = contract.request.shape;
  let byLower: Map<string, string> | undefined;
  for (const key of Object.keys(shape)) {
    if (Object.hasOwn(nested, key)) continue;
    byLower ??= new Map(Object.keys(nested).filter((k) => !Object.hasOwn(shape, k)).map((k) => [k.toLowerCase(), k]));
    const other = byLower.get(key.toLowerCase());
    if (other !== undefined) nested[key] = nested[other];
  }
}
