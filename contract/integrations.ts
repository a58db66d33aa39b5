import { defineSignal } from '@temporalio/workflow';
import type { Severity } from './common';

/**
 * Integrations: monitors that raise incidents through the HTTP server, each with its own key (stored
 * hashed) and rate, owning one service. `events-v2` speaks PagerDuty's Events API v2 (`POST /v2/enqueue`);
 * `heartbeat` is pinged at a secret URL (`/heartbeat/<key>`) and opens an incident when it falls silent;
 * `grafana` (Grafana Alerting's webhook contact point) and `webhook` (any JSON, mapped by the policy's
 * `webhookMappings`) post to `/integrations/<key>`.
 */
export const INTEGRATION_KINDS = ['events-v2', 'heartbeat', 'grafana', 'webhook'] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

export interface IntegrationRecord {
  /** int_… */
  id: string;
  name: string;
  kind: IntegrationKind;
  /** The service its events are about (its team owns them). */
  service: string;
  /** Events accepted per minute; past it, 429. */
  ratePerMinute: number;
  createdAt: string;
  createdBy: string;
  lastEventAt?: string;
  revokedAt?: string;
  /** A heartbeat's expected interval and grace, and the severity of the incident its silence opens. */
  heartbeat?: HeartbeatSettings;
  /** A generic webhook's mapping (policy webhookMappings[].id). */
  mapping?: string;
}

export interface HeartbeatSettings {
  everySeconds: number;
  graceSeconds: number;
  severity: Severity;
}

/** One long-running workflow per heartbeat integration: a durable timer, reset by each ping. */
export const HEARTBEAT_WORKFLOW_TYPE = 'heartbeatWorkflow';
export const heartbeatWorkflowId = (integrationId: string) => `heartbeat-${integrationId}`;
export interface HeartbeatInput {
  integrationId: string;
  name: string;
  service: string;
  settings: HeartbeatSettings;
  /** Carried by continue-as-new: the open silence's incident workflow id, and how many silences so far. */
  silentIncident?: string;
  silences?: number;
}
/** A ping, with the integration's settings as they are now (an admin may have changed them). */
export const heartbeatPingSignal = defineSignal<[{ at: string; settings: HeartbeatSettings }]>('heartbeatPing');
/** The integration was removed: the heartbeat stops watching. */
export const heartbeatStopSignal = defineSignal<[{ by: string }]>('heartbeatStop');
