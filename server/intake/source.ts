/**
 * The seam for monitors that raise incidents: each intake source (Alertmanager, the Events API v2, …)
 * registers its routes with what they share: Temporal behind one deadline and breaker, the policy's
 * routes, the metrics. Adding a source is a file here and a line in registry.ts.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ResponsePolicy } from '../../policy/schema';
import type { CompiledRoute } from '../../policy/teams';
import type { KeyChecker } from './integration-keys';
import type { WebhookAuth } from '../auth';
import type { Metrics } from '../metrics';

export interface IntakeContext {
  client: Client;
  taskQueue: string;
  policy: ResponsePolicy;
  /** The policy's routes, parsed once: every alert goes through them. */
  routes: CompiledRoute[];
  metrics: Metrics;
  /** Alertmanager's credentials. */
  auth: WebhookAuth;
  /** Alertmanager bodies over this many bytes get 413. */
  bodyLimit: number;
  /** Checks an integration's key (one cache, guess budget and rates for every source); without a store, absent and sources that need it answer 503. */
  checkKey?: KeyChecker;
  /** Signs what an integration does on an incident (an acknowledgement), for the worker to check. */
  identitySecret?: string;
  /**
   * Runs `fn` against Temporal within the deadline, behind the breaker. Temporal down or late: answers
   * 503 with Retry-After (the sender retries) and returns undefined.
   */
  intoTemporal<T>(reply: FastifyReply, what: string, fn: () => Promise<T>): Promise<T | undefined>;
}

export interface IntakeSource {
  /** What the source is, in logs and docs. */
  name: string;
  register(app: FastifyInstance, ctx: IntakeContext): void;
}
