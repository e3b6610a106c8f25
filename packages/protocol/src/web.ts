/**
 * @opencompshare/protocol/web: the protocol for a browser. Everything of the main entry but the
 * signature's hashing (signature.ts, on node:crypto): a page hashes `signingString()` with Web
 * Crypto instead. No module here touches a platform API, so the console imports its models, the
 * rule table, the states and the RetCodes from here rather than keeping copies.
 */
export * from "./signing-string.js";
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
export * from "./faults.js";
export * from "./agent.js";
export * from "./events.js";
