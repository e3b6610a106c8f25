/** Every handler, by Action name. The type makes a missing handler a compile error. */
import type { HandlerMap } from "./registry.js";
import { billHandlers } from "./bills.js";
import { catalogHandlers } from "./catalog.js";
import { communityHandlers } from "./community.js";
import { diskHandlers } from "./disks.js";
import { imageHandlers } from "./images.js";
import { instanceHandlers } from "./instances.js";
import { monitorHandlers } from "./monitor.js";
import { operationHandlers } from "./operations.js";
import { policyHandlers } from "./policies.js";
import { pricingHandlers } from "./pricing.js";
import { projectHandlers } from "./projects.js";
import { testingHandlers } from "./testing.js";
import { webhookHandlers } from "./webhooks.js";

export const handlers: HandlerMap = {
  ...instanceHandlers,
  ...catalogHandlers,
  ...pricingHandlers,
  ...monitorHandlers,
  ...diskHandlers,
  ...imageHandlers,
  ...communityHandlers,
  ...projectHandlers,
  ...operationHandlers,
  ...policyHandlers,
  ...webhookHandlers,
  ...billHandlers,
  ...testingHandlers,
};
export type { Services, RequestContext } from "./registry.js";
