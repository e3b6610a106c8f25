#!/usr/bin/env node
// The `ocs` binary: the bundled command line (npm ci builds it; `npm run build` after a change).
// Under NODE_OPTIONS="--import tsx --conditions=source", as the tests run it, the same import
// resolves to the TypeScript sources instead.
const { main } = await import("@opencompshare/cli/entry");
process.exitCode = await main(process.argv.slice(2));
