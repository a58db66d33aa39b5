/**
 * Effects: one durable timer for the incident's next deadline. A signal or update wakes the main loop
 * without touching it, and a deadline that moves later keeps the timer already running: it goes off
 * early, the loop finds nothing due and arms the next one. Only a deadline that moves earlier cancels
 * and restarts it (each cancel and restart costs two history events; most incidents end before an
 * early timer goes off).
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { Wake } from './deadlines';

export class DeadlineTimer {
  private armed?: { atMs: number; scope: CancellationScope };

  /** Makes sure a timer goes off at `next` or before it; `fired` is called when one goes off. */
  arm(next: Wake | undefined, nowMs: number, fired: () => void): void {
    if (!next || (this.armed && this.armed.atMs <= next.atMs)) return;
    this.armed?.scope.cancel();
    const scope = new CancellationScope();
    const armed = { atMs: next.atMs, scope };
    this.armed = armed;
    void scope
      .run(() => sleep(Math.max(next.atMs - nowMs, 1), { summary: next.summary }))
      .then(
        () => {
          if (this.armed === armed) this.armed = undefined;
          fired();
        },
        (error: unknown) => {
          // Cancelled because the deadline moved earlier, or with the workflow (whose main loop raises that).
          if (!isCancellation(error)) throw error;
        },
      );
  }
}
