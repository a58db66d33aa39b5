/**
 * Effects: one durable timer for the incident's next deadline. It is started when the deadline is
 * planned and cancelled only when the deadline moves; a signal or update wakes the main loop without
 * touching it (each cancel and restart would cost two history events per message).
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { Wake } from './deadlines';

export class DeadlineTimer {
  private armed?: { atMs: number; scope: CancellationScope };

  /** Arms the timer for `next` (or disarms it); `fired` is called when it goes off. */
  arm(next: Wake | undefined, nowMs: number, fired: () => void): void {
    if (this.armed && this.armed.atMs === next?.atMs) return;
    this.disarm();
    if (!next) return;
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
          // Cancelled because the deadline moved, or with the workflow (whose main loop raises that).
          if (!isCancellation(error)) throw error;
        },
      );
  }

  disarm(): void {
    this.armed?.scope.cancel();
    this.armed = undefined;
  }
}
