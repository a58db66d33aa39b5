#!/usr/bin/env node
// incidentctl: the compiled CLI (npm run build, which npm install runs); from a checkout without a
// build, the TypeScript source through tsx.
const { existsSync } = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '../dist/client/cli/bin.js');
if (existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs');
  require('../client/cli/bin.ts');
}
