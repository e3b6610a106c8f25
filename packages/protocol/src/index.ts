/**
 * @opencompshare/protocol: the wire contract shared by the server, the SDK, the CLI and the
 * agent: everything of the browser's entry (web.ts), and the signature's hash on node:crypto.
 */
export * from "./web.js";
export * from "./signature.js";
