#!/usr/bin/env node
// The `ocs` binary: loads the TypeScript sources through tsx, then runs the command line.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
