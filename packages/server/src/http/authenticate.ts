/**
 * Authenticates a signed request (the wire protocol, GET /events, the console's login): the
 * PublicKey names an active key; the Signature over every other parameter must match, compared
 * in constant time. A JSON body may also be signed with its arrays of strings concatenated
 * (`alternate`, see concatenatedArrayForm): either form passes.
 */
import { commonErrors, verify, type WireParams } from "@opencompshare/protocol";
import { lookupKey } from "../accounts/accounts.js";
import type { Sealer } from "../security/secrets.js";
import type { Db } from "../store/schema.js";

export async function authenticate(db: Db, sealer: Sealer, params: WireParams, alternate?: () => WireParams | undefined): Promise<string> {
  const signature = params.Signature;
  if (signature === undefined || signature === null || signature === "") throw commonErrors.missingSignature();
  const publicKey = params.PublicKey;
  if (typeof publicKey !== "string" || publicKey === "") throw commonErrors.userNotExists();
  const owner = await lookupKey(db, sealer, publicKey);
  if (!owner) throw commonErrors.userNotExists();
  if (verify(params, owner.privateKey, String(signature))) return owner.accountId;
  const other = alternate?.();
  if (!other || !verify(other, owner.privateKey, String(signature))) throw commonErrors.signature();
  return owner.accountId;
}
