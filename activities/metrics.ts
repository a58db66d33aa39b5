import { Counter, Histogram, Registry } from 'prom-client';

/**
 * Paging metrics, recorded where pages are sent (the worker). The HTTP server's /metrics merges
 * this registry when it runs in the same process, as `npm start` does.
 */
export const pageRegistry = new Registry();

export const pageMetrics = {
  pages: new Counter({
    name: 'pages_total',
    help: 'Pages and notifications by channel and outcome (sent, outbox, duplicate, skipped, failed, retried)',
    labelNames: ['kind', 'channel', 'outcome'],
    registers: [pageRegistry],
  }),
  firstPage: new Histogram({
    name: 'incident_first_page_seconds',
    help: 'Time from an incident being opened (alert received or declared) to its first page sent',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [pageRegistry],
  }),
};
