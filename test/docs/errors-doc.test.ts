/** docs/errors.md shows exactly the error catalogue. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { ERRORS } from "@opencompshare/protocol";
import { currentErrorTable, ERRORS_DOC, renderErrorTable } from "../../scripts/errors-doc.js";

it("docs/errors.md lists every symbol and RetCode of the catalogue (npm run docs:errors)", () => {
  assert.equal(currentErrorTable(readFileSync(ERRORS_DOC, "utf8")), renderErrorTable());
});

it("the catalogue has the codes compshare-api.md and protocol.md name", () => {
  const expected: Record<string, number> = {
    InstanceNotFound: 8039,
    InstanceOperationInProgress: 226610,
    InstanceImageMaking: 226611,
    InstanceRecycling: 226612,
    InstanceBackgroundTask: 226613,
    InstanceStateInvalid: 8905,
    InstanceMustBeStopped: 8010,
    ResourceNotEnough: 226604,
    ImageNotFound: 226614,
    MissingAction: 160,
    ActionNotFound: 161,
    MissingSignature: 170,
    SignatureError: 171,
    UserNotExists: 172,
    MissingParams: 220,
    ParamsNotAvailable: 230,
    RateLimited: 153,
    ProjectNotExists: 292,
    NoPermission: 299,
  };
  for (const [symbol, code] of Object.entries(expected)) {
    assert.equal(ERRORS[symbol as keyof typeof ERRORS].retCode, code, symbol);
  }
  const codes = Object.values(ERRORS).map((e) => e.retCode);
  assert.equal(new Set(codes).size, codes.length, "every RetCode belongs to one symbol");
});
