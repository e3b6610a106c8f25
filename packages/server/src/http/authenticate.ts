/**
 * Stage 2, authenticate: the PublicKey names an active key; the Signature over every other
 * parameter must match, compared in constant time.
 */
import { commonErrors, verify, type WireParams } from "@opencompshare/protocol";
import { lookupKey } from "../accounts/accounts.js";
import type { Sealer } from "../security/secrets.js";
import type { Db } from "../store/schema.js";

export async function authenticate(db: Db, sealer: Sealer, params: WireParams): Promise<string> {
  const signature = params.Signature;
  if (signature === undefined || signature === null || signature === "") throw commonErrors.missingSignature();
  const publicKey = params.PublicKey;
  if (typeof publicKey !== "string" || publicKey === "") throw commonErrors.userNotExists();
  const owner = await lookupKey(db, sealer, publicKey);
  if (!owner) throw commonErrors.userNotExists();
  if (!verify(params, owner.privateKey, String(signature))) throw commonErrors.signature();
  return owner.accountId;
}
