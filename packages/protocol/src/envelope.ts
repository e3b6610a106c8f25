/**
 * The response envelope: every answer is HTTP 200 with `Action: <Action>Response`, a numeric
 * `RetCode` (0 for success), `Message` on errors, and the action's own fields.
 */

/** The header that carries the request id; the official SDKs read it into their exceptions. */
export const REQUEST_ID_HEADER = "X-UCLOUD-REQUEST-UUID";

export interface Envelope {
  Action: string;
  RetCode: number;
  Message?: string;
  [field: string]: unknown;
}

/** `RebootCompShareInstance` → `RebootCompShareInstanceResponse`. */
export const responseActionName = (action: string): string => `${action}Response`;

export function successEnvelope(action: string, fields: object): Envelope {
  return { Action: responseActionName(action), RetCode: 0, ...fields };
}

export function errorEnvelope(action: string, retCode: number, message: string): Envelope {
  return { Action: responseActionName(action), RetCode: retCode, Message: message };
}
