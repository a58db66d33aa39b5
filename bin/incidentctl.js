#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so no build step is needed.
require('tsx/cjs');
const { run } = require('../client/cli/main.ts');
run(process.argv).then((code) => {
  process.exitCode = code;
});
