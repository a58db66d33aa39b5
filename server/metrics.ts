import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'webhook_requests_total',
      help: 'Webhook requests by route and status code',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'alerts_received_total',
      help: 'Alerts received from Alertmanager, by status',
      labelNames: ['status'],
      registers: [registry],
    }),
    incidents: new Counter({
      name: 'alert_groups_ingested_total',
      help: 'Alert groups by outcome: started a new incident, joined an open one, or ignored (resolved with no open incident)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    bodiesParsed: new Counter({
      name: 'http_request_bodies_parsed_total',
      help: 'Request bodies parsed, by route: credentials are checked first, so strangers never reach this',
      labelNames: ['route'],
      registers: [registry],
    }),
    temporalUp: new Gauge({
      name: 'temporal_reachable',
      help: 'Whether the HTTP server last reached Temporal (1) or not (0): webhook calls and /readyz probes',
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'webhook_request_duration_seconds',
      help: 'Webhook latency until Temporal durably accepted the alerts',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
