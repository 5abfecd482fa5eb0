#!/usr/bin/env node
// The `motif` command: runs the compiled CLI (built by `npm install` via the prepare script).
import('../dist/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
