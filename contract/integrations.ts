/**
 * Integrations: monitors that raise incidents through the HTTP server, each with its own key (stored
 * hashed) and rate, owning one service. `events-v2` speaks PagerDuty's Events API v2 (`POST /v2/enqueue`).
 */
export const INTEGRATION_KINDS = ['events-v2'] as const;
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
}
