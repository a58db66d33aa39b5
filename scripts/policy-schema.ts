/** `npm run policy:schema`: writes policy/policy.schema.json from the zod schema (a test checks it is current). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { POLICY_SCHEMA_FILE, policyJsonSchemaText } from '../policy/json-schema';

const file = path.join(__dirname, '..', 'policy', POLICY_SCHEMA_FILE);
writeFileSync(file, policyJsonSchemaText());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
