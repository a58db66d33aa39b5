/**
 * Temporal answers that say "not now" rather than "no": a workflow task being retried ("Workflow Task in
 * failed state"), a server busy or restarting. Callers retry them with backoff within their own answer
 * deadline, with one update id throughout (the server runs an update once per id), so a person sees an
 * error only when it is final.
 */
import { randomUUID } from 'node:crypto';
import type { UpdateDefinition } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';

/** gRPC codes RESOURCE_EXHAUSTED 8 and UNAVAILABLE 14; FAILED_PRECONDITION 9 only for a workflow task in a failed state. */
export function isTransientTemporalError(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    if (code === 14 || code === 8) return true;
    // FAILED_PRECONDITION, or the SDK's error wrapping it: only while a workflow task is being retried.
    if (typeof message === 'string' && /workflow task in failed state/i.test(message)) return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `fn` again after transient answers (200 ms, doubling to 2 s) until `withinMs` has passed; then its error. */
export async function retryTransient<T>(fn: () => Promise<T>, withinMs = 20_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await fn();
    } catch (error) {
      if (!isTransientTemporalError(error) || Date.now() + delay > deadline) throw error;
      await sleep(delay);
    }
  }
}

/** An update that rides out transient refusals: the same update id on every try. */
export function executeUpdateRetrying<Ret, Arg>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [Arg]>,
  args: [Arg],
  withinMs?: number,
): Promise<Ret> {
  const updateId = randomUUID();
  return retryTransient(() => handle.executeUpdate(update, { args, updateId }), withinMs);
}
