/**
 * Generic webhooks: where an incident's fields come from in a monitor's JSON, as JMESPath expressions
 * (jmespath.org), one mapping per kind of sender. An integration of kind `webhook` names its mapping.
 */
import * as jmespath from 'jmespath';

/** The parser alone (syntax, not data): jmespath exports it, its type definitions do not. */
const { compile } = jmespath as unknown as { compile: (this: void, expression: string) => unknown };
import { z } from 'zod';
import { SEVERITIES } from '../contract/common';

const expression = z
  .string()
  .min(1)
  .refine((expr) => {
    try {
      compile(expr);
      return true;
    } catch {
      return false;
    }
  }, "a JMESPath expression (jmespath.org), e.g. monitor.name or join(' ', ['Down:', monitorFriendlyName])");

export const webhookMappingSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'mapping ids are lower-case slugs'),
  /** The incident's title (text). */
  title: expression,
  /** What makes two posts the same incident (text or number). */
  dedupKey: expression,
  /** True when the post says the problem is over: it clears the incident's alert. Unset: never. */
  resolved: expression.optional(),
  /** A value mapped by `severityMap`; unset, or a value not in the map: `defaultSeverity`. */
  severity: expression.optional(),
  severityMap: z.record(z.string(), z.enum(SEVERITIES)).default({}),
  defaultSeverity: z.enum(SEVERITIES).default('P2'),
  /** The service, when the post names one the policy knows; else the integration's. */
  service: expression.optional(),
  /** Details kept on the timeline (as JSON text). */
  details: expression.optional(),
});
export type WebhookMapping = z.infer<typeof webhookMappingSchema>;
