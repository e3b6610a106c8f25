/** @opencompshare/protocol: the wire contract shared by the server, the SDK and the CLI. */
export * from "./signature.js";
export * from "./states.js";
export * from "./rules.js";
export * from "./flatten.js";
export * from "./schema.js";
export * from "./errors.js";
export * from "./envelope.js";
export * from "./models.js";
export * from "./actions/index.js";
export * from "./host.js";
export * from "./machine.js";
export * from "./agent.js";
export * from "./events.js";
