/**
 * What a chat platform provides, in two halves: the worker's (mirror an incident, archive its
 * channel, post the end-of-day summary) and the HTTP server's (the routes people's presses and
 * commands arrive on, each checked against the platform's signature). chat/registry.ts lists them.
 */
import type { KeyObject } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import type { AppConfig } from '../config/env';
import type { ChatSyncResult, ChatView, EndOfDaySummary } from '../contract';
import type { ResponsePolicy } from '../policy/schema';

/** The worker's half of a platform: the chat activities, for this platform. */
export interface ChatPlatformWorker {
  syncIncidentChat(view: ChatView): Promise<ChatSyncResult>;
  archiveIncidentChat(input: { incidentNumber: number; incidentId: string }): Promise<{ archived: boolean }>;
  postEndOfDaySummary(input: { summary: EndOfDaySummary; now: string }): Promise<{ posted: boolean; problems: string[] }>;
  close(): Promise<void>;
}

/** What the HTTP server hands a platform's routes. */
export interface ChatRouteContext {
  client: Client;
  taskQueue: string;
  policy: ResponsePolicy;
}

export type ChatRoutes = (app: FastifyInstance, context: ChatRouteContext) => void;

export interface ChatPlatformModule {
  /** As people read it on the timeline ("Slack: channel_not_found"). */
  label: string;
  /** Said once at start when the platform is off (no credentials). */
  off: string;
  /** The worker's half, when this worker has the platform's credentials. */
  worker(config: AppConfig & { DATABASE_URL: string }, policy: ResponsePolicy): ChatPlatformWorker | undefined;
  /** The server's routes, when the server has the platform's credentials and a store. */
  routes(config: AppConfig, pool: Pool | undefined, approvalKey: KeyObject | undefined): ChatRoutes | undefined;
}
