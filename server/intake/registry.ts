/** Every intake source the HTTP server serves: a new monitor is a file in this folder and a line here. */
import { alertmanager } from './alertmanager';
import { eventsV2 } from './events-v2';
import { heartbeat } from './heartbeat';
import { integrationWebhooks } from './integration-webhooks';
import type { IntakeSource } from './source';

export const INTAKE_SOURCES = {
  alertmanager,
  'events-v2': eventsV2,
  heartbeat,
  'integration-webhooks': integrationWebhooks,
} as const satisfies Record<string, IntakeSource>;
