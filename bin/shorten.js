#!/usr/bin/env node
// The `shorten` command: runs the compiled CLI (built into dist/ by `npm install`).
import { main } from '../dist/cli/main.js';

main(process.argv).catch((err) => {
  process.stderr.write(`shorten: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
