#!/usr/bin/env node
// The `weir` command: runs the built CLI (npm install builds it through the `prepare` script).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("weir: dist/cli.js is missing; run `npm install` (or `npm run build`) in the weir package first\n");
  process.exit(2);
}
await import(cli.href);
