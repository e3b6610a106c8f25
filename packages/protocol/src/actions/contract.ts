/** What defines an Action once, for the server's validation, the SDK's types and the docs. */
import { t, type AnySchema, type Infer, type ObjectSchema } from "../schema.js";

export type Family = "instances" | "catalog" | "pricing" | "monitoring" | "disks" | "images" | "community" | "projects" | "operations" | "policies" | "webhooks" | "bills" | "testing";

export interface ActionContract<
  Name extends string = string,
  Req extends ObjectSchema<Record<string, AnySchema>> = ObjectSchema<Record<string, AnySchema>>,
  Res extends ObjectSchema<Record<string, AnySchema>> = ObjectSchema<Record<string, AnySchema>>,
  F extends Family = Family,
> {
  readonly name: Name;
  readonly family: F;
  readonly summary: string;
  /** The request parameters, as nested values after unflattening (common auth keys excluded). */
  readonly request: Req;
  /** The action's own response fields (the envelope's Action and RetCode excluded). */
  readonly response: Res;
  /** A client may resend it after a transport failure. False for `Create*`. */
  readonly idempotent: boolean;
  /** True for actions this project adds to the CompShare API. */
  readonly extension?: boolean;
  /**
   * True for the test controls (actions/testing.ts): answered only by a server in testing mode,
   * and only to the operator's keys; 161 anywhere else.
   */
  readonly testing?: boolean;
}

export const defineAction = <
  const Name extends string,
  Req extends ObjectSchema<Record<string, AnySchema>>,
  Res extends ObjectSchema<Record<string, AnySchema>>,
  const F extends Family,
>(
  contract: ActionContract<Name, Req, Res, F>,
): ActionContract<Name, Req, Res, F> => contract;

export type RequestOf<C extends ActionContract> = Infer<C["request"]>;
export type ResponseOf<C extends ActionContract> = Infer<C["response"]>;

/** Region and zone of CompShare; the server checks the values against its catalog. */
export const region = () => t.string({ maxLength: 64 });
export const zone = () => t.string({ maxLength: 64 });
export const projectId = () => t.optional(t.string({ maxLength: 64 }));
export const uhostId = () => t.string({ maxLength: 64 });
export const limit = () => t.optional(t.int({ min: 0, max: 1_000_000 }));
export const offset = () => t.optional(t.int({ min: 0 }));

/** Region, Zone and ProjectId where a listing may leave them out. */
export const optionalScope = { Region: t.optional(region()), Zone: t.optional(zone()), ProjectId: projectId() };
/** Region (required) with Zone and ProjectId optional. */
export const inRegion = { Region: region(), Zone: t.optional(zone()), ProjectId: projectId() };
/** Region and Zone required, ProjectId optional. */
export const inZone = { Region: region(), Zone: zone(), ProjectId: projectId() };
/** An instance's Name, as CompShare allows it: the rule is named in the refusal, whatever part of it is broken. */
export const instanceName = () =>
  t.string({ maxLength: 63, pattern: /^[\p{Script=Han}A-Za-z0-9_.,:\- ]{1,63}$/u, rule: "1 to 63 characters of Chinese, letters, digits, space and _ . , : -" });
export const imageId = () => t.string({ maxLength: 64 });
export const diskId = () => t.string({ maxLength: 64 });
/** A list of instance ids (`UHostIds.N`), or one. */
export const uhostIds = (max = 100) => t.array(uhostId(), { max, single: true });

/** Region, Zone and UHostId: the request of most instance actions. */
export const onInstance = { Region: region(), Zone: zone(), ProjectId: projectId(), UHostId: uhostId() };
/** The same with Zone optional: the official models of the stop-scheduler actions leave it out. */
export const onInstanceAnyZone = { ...onInstance, Zone: t.optional(zone()) };
export const uhostIdResponse = t.object({ UHostId: t.string() });
export const emptyResponse = t.object({});
