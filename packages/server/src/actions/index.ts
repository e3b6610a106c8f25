/** Every handler, by Action name. The type makes a missing handler a compile error. */
import type { HandlerMap } from "./registry.js";
import { imageHandlers } from "./images.js";
import { instanceHandlers } from "./instances.js";
import { operationHandlers } from "./operations.js";

export const handlers: HandlerMap = { ...instanceHandlers, ...imageHandlers, ...operationHandlers };
export type { Services, RequestContext } from "./registry.js";
