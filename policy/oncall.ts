// Pure and deterministic: imported by workflow code as well as by Node code.
import { durationMs } from './duration';
import type { ResponsePolicy } from './schema';

export interface OnCallShift {
  contactId: string;
  from: string;
  to: string;
}

/** Who holds the rotation at `atMs`, and the shift after that. */
export function onCallAt(policy: Pick<ResponsePolicy, 'oncall'>, atMs: number): { now: OnCallShift; next: OnCallShift } {
  const { rotation, start, shift } = policy.oncall;
  const shiftMs = durationMs(shift);
  const startMs = Date.parse(start);
  const index = Math.floor((atMs - startMs) / shiftMs);
  const at = (i: number): OnCallShift => ({
    contactId: rotation[((i % rotation.length) + rotation.length) % rotation.length]!,
    from: new Date(startMs + i * shiftMs).toISOString(),
    to: new Date(startMs + (i + 1) * shiftMs).toISOString(),
  });
  return { now: at(index), next: at(index + 1) };
}
