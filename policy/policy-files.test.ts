import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { stringify } from 'yaml';
import defaultPolicy from './default-policy.json';
import { policyJsonSchema, policyJsonSchemaText } from './json-schema';
import { loadPolicy } from './load';
import { policyReference } from './reference';

const shipped = () => JSON.parse(JSON.stringify(defaultPolicy)) as Record<string, unknown> & { severities: Record<string, unknown> };
const validator = () => new Ajv2020({ strict: false, allErrors: true }).compile(policyJsonSchema());

test('policy/policy.schema.json is the zod schema as it is now (npm run policy:schema writes it)', () => {
  expect(readFileSync(path.join(__dirname, 'policy.schema.json'), 'utf8')).toBe(policyJsonSchemaText());
  expect(defaultPolicy.$schema).toBe('./policy.schema.json');
});

test('the JSON Schema accepts the shipped policy and refuses a broken one, naming the field', () => {
  const validate = validator();
  expect(validate(shipped())).toBe(true);

  const broken = shipped();
  broken.defaultSeverity = 'P9';
  (broken.severities.P1 as Record<string, unknown>).channels = ['pigeon'];
  expect(validate(broken)).toBe(false);
  const paths = (validate.errors ?? []).map((e) => e.instancePath);
  expect(paths).toEqual(expect.arrayContaining(['/defaultSeverity', '/severities/P1/channels/0']));
});

test('a YAML policy file loads as its JSON twin does; a malformed one is refused with its path and line', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'policy-yaml-'));
  writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(shipped()));
  writeFileSync(path.join(dir, 'policy.yaml'), stringify(shipped()));
  expect(loadPolicy(path.join(dir, 'policy.yaml'))).toEqual(loadPolicy(path.join(dir, 'policy.json')));

  writeFileSync(path.join(dir, 'bad.yml'), 'name: x\nseverities: [unclosed\n');
  expect(() => loadPolicy(path.join(dir, 'bad.yml'))).toThrow(/cannot read policy file .*bad\.yml: .*line \d+/s);
});

test('docs/policy.md is the schema and the shipped policy as they are now (npm run docs:reference)', () => {
  const written = readFileSync(path.join(__dirname, '..', 'docs', 'policy.md'), 'utf8');
  expect(written).toBe(policyReference());
  expect(written).toContain('| `escalation.levels[].name` |');
  expect(written).toContain('`"15m"`');
});
