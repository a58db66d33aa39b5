/**
 * The policy's JSON Schema, generated from the zod schema (the one source of truth): editors validate
 * and complete policy files against `policy/policy.schema.json` through their `$schema`. It describes
 * the file as written (defaults optional); rules across fields (contacts that exist, durations that
 * parse) are still checked when the policy loads.
 */
import { z } from 'zod';
import { policySchema } from './schema';

export const POLICY_SCHEMA_FILE = 'policy.schema.json';

export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...generated,
    $id: 'https://incident-orchestrator.invalid/policy.schema.json',
    title: 'Incident orchestrator response policy',
    properties: { $schema: { type: 'string' }, ...(generated.properties as Record<string, unknown>) },
  };
}

/** The file's text: stable key order, so a regenerated schema shows as a diff only when the schema changed. */
export const policyJsonSchemaText = () => `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
