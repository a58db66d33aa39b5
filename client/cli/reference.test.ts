// docs/cli.md is what the program says: a command, argument or option changed without regenerating it fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildProgram } from './main';
import { cliReference } from './reference';

test('docs/cli.md is current (npm run docs:reference)', () => {
  const written = readFileSync(path.join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
  const program = buildProgram({ env: {}, stdout: () => undefined, stderr: () => undefined });
  expect(written).toBe(cliReference(program));
  for (const name of ['declare', 'ack', 'inbox', 'token create', 'override list']) expect(written).toContain(`## \`incidentctl ${name}`);
});
