#!/usr/bin/env node
// incidentctl: the one-file bundle of the compiled CLI (npm run build, which npm install runs), else the
// compiled modules; from a checkout without a build, the TypeScript source through tsx.
const { existsSync } = require('node:fs');
const path = require('node:path');

const bundle = path.join(__dirname, '../dist/incidentctl.cjs');
const compiled = path.join(__dirname, '../dist/client/cli/bin.js');
if (existsSync(bundle)) {
  require(bundle);
} else if (existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs');
  require('../client/cli/bin.ts');
}
