/** Binds each Action of the contract to its handler. The types come from the contract. */
import type { ActionName, Actions, RequestOf, ResponseOf } from "@opencompshare/protocol";
import type { Logger } from "pino";
import type { Catalog } from "../catalog/catalog.js";
import type { Clock } from "../clock.js";
import type { TestControls } from "../controls/controls.js";
import type { MachineView } from "../drivers/driver.js";
import type { Fleet } from "../fleet/placement.js";
import type { Caller, Engine } from "../operations/engine.js";
import type { Sealer } from "../security/secrets.js";
import type { Db } from "../store/schema.js";

/** What a handler may use. */
export interface Services {
  db: Db;
  clock: Clock;
  catalog: Catalog;
  fleet: Fleet;
  sealer: Sealer;
  engine: Engine;
  /** What the machines are doing, read-only: a handler never changes a machine; an operation does. */
  machines: MachineView;
  log: Logger;
  /** Limits from the configuration: OCS_INSTANCE_QUOTA, unset when the account levels' quotas apply (accounts/quota.ts). */
  limits: { instanceQuota: number | undefined };
  /** The local time of the reclaim rules, minutes east of UTC. */
  policy: { utcOffsetMin: number };
  /** The test controls, in testing mode only (OCS_TESTING=1): without them their Actions answer 161. */
  testing?: TestControls;
}

export interface RequestContext {
  caller: Caller;
  services: Services;
}

export type Handler<N extends ActionName> = (ctx: RequestContext, req: RequestOf<Actions[N]>) => Promise<ResponseOf<Actions[N]>>;
export type HandlerMap<N extends ActionName = ActionName> = { [K in N]: Handler<K> };
/** The Actions of one family of the contract: each handler file implements exactly these. */
export type ActionsOf<F extends Actions[ActionName]["family"]> = { [K in ActionName]: Actions[K]["family"] extends F ? K : never }[ActionName];
