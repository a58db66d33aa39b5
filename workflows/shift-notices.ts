/**
 * Shift notices: one long-running workflow per schedule with `shiftNotice`, started by the worker. It
 * reads the policy, finds the next shift to start, sleeps on a durable timer until `before` ahead of it
 * (an hour at most, so a changed policy is seen), and mails the person coming on call. Never a cron in
 * a process: a worker restart loses nothing, and the message key keeps a retried send one mail.
 */
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { durationMs } from '../policy/duration';
import { scheduleShifts } from '../policy/schedules';
import { nowIso } from './clock';

const acts = proxyActivities<ReturnType<typeof createActivities>>({ startToCloseTimeout: '30s', retry: { maximumInterval: '1m' } });
const HOUR_MS = 3_600_000;
const LOOKAHEAD_MS = 14 * 24 * HOUR_MS;

/** `sent`: the last shift start told, carried across continue-as-new so none is told twice. */
export async function shiftNoticeWorkflow(input: { schedule: string; sent?: number }): Promise<string> {
  let sent = input.sent ?? 0;
  for (let pass = 0; pass < 200; pass++) {
    const policy = await acts.currentPolicy();
    const schedule = policy.schedules.find((s) => s.id === input.schedule);
    if (!schedule?.shiftNotice) return `schedule ${input.schedule} has no shift notices any more`;
    const beforeMs = durationMs(schedule.shiftNotice.before);
    const now = Date.parse(nowIso());
    // The next shift someone starts (not one that goes on, and not one already told).
    const next = scheduleShifts(schedule, now, now + LOOKAHEAD_MS).find((s, i) => i > 0 && s.contactId && s.from > sent);
    if (!next) {
      await sleep(HOUR_MS);
      continue;
    }
    const dueAt = next.from - beforeMs;
    if (dueAt > now) {
      await sleep(Math.min(dueAt - now, HOUR_MS));
      continue;
    }
    const contact = policy.contacts.find((c) => c.id === next.contactId);
    sent = next.from;
    if (!contact) continue;
    const name = schedule.name ?? schedule.id;
    const starts = new Date(next.from).toISOString();
    await acts.sendEmail({
      to: [{ name: contact.name, email: contact.email }],
      subject: `On call from ${starts}: ${name}`,
      body: `${contact.name}, you are on call for ${name} from ${starts} to ${new Date(next.to).toISOString()} (layer ${next.layer}).\n\nincidentctl oncall --team … and incidentctl schedule show ${schedule.id} show who is on call when.`,
      messageKey: `shift:${schedule.id}:${next.from}:${contact.id}`,
    });
  }
  // A long-running loop keeps its history short.
  return continueAsNew<typeof shiftNoticeWorkflow>({ schedule: input.schedule, sent });
}
