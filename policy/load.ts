import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import defaultPolicyJson from './default-policy.json';
import { policySchema, type ResponsePolicy } from './schema';

export class PolicyError extends Error {
  override name = 'PolicyError';
}

function describeIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => `  - ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  return `invalid response policy in ${source}:\n${lines.join('\n')}`;
}

export function parsePolicy(raw: unknown, source = 'policy'): ResponsePolicy {
  const result = policySchema.safeParse(raw);
  if (!result.success) throw new PolicyError(describeIssues(source, result.error));
  return result.data;
}

/**
 * The plan's defaults, or the policy file at `file`: JSON, or YAML when it ends in .yaml or .yml. A bad
 * file is refused with its path and field.
 */
export function loadPolicy(file?: string): ResponsePolicy {
  if (!file) return parsePolicy(defaultPolicyJson, 'the built-in default policy');
  const absolute = path.resolve(file);
  let raw: unknown;
  try {
    const text = readFileSync(absolute, 'utf8');
    raw = /\.ya?ml$/i.test(absolute) ? parseYaml(text, { prettyErrors: true }) : JSON.parse(text);
  } catch (error) {
    throw new PolicyError(`cannot read policy file ${absolute}: ${(error as Error).message}`);
  }
  return parsePolicy(raw, absolute);
}
