/** `npm run docs:reference`: writes docs/cli.md and docs/policy.md from the code (tests check they are current). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildProgram } from '../client/cli/main';
import { cliReference } from '../client/cli/reference';
import { policyReference } from '../policy/reference';

const docs = path.join(__dirname, '..', 'docs');
const quiet = { env: {}, stdout: () => undefined, stderr: () => undefined };
writeFileSync(path.join(docs, 'cli.md'), cliReference(buildProgram(quiet)));
writeFileSync(path.join(docs, 'policy.md'), policyReference());
console.log('wrote docs/cli.md and docs/policy.md');
