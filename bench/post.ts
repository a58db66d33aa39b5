/** Posts Alertmanager webhooks from a worker thread (poster.js), as a separate sender would. */
import path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import type { WebhookPayload } from '../server/webhook/payload';

export interface PostResult {
  status: number;
  sentAt: number;
  ms: number;
}

/** Posts bodies from a worker thread: at `concurrency` in flight, or one every `intervalMs`; to `/alertmanager` unless `route` says. */
export function postFromThread(
  base: string,
  token: string,
  bodies: (WebhookPayload | object)[],
  options: { concurrency?: number; intervalMs?: number; route?: string },
) {
  return new Promise<{ results: PostResult[]; seconds: number }>((resolve, reject) => {
    const thread = new Thread(path.join(__dirname, 'poster.js'), {
      workerData: {
        base,
        token,
        bodies: bodies.map((b) => JSON.stringify(b)),
        concurrency: options.concurrency ?? 1,
        intervalMs: options.intervalMs,
        route: options.route,
      },
    });
    thread.once('message', resolve);
    thread.once('error', reject);
  });
}
