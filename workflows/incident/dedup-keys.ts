/**
 * Ledger keys: one row per incident and key in PostgreSQL makes every send happen once, across
 * retries, replays and restarts. They are a wire format: a changed key sends a page again after a
 * restart and replay would not notice, so each builder is pinned by a unit test.
 */
import { CHANNEL_TRAITS } from '../../contract/channels';
import { escalationKey } from '../escalation';
import type { Channel } from '../../policy/schema';
import type { Phase } from '../../contract';

export const dedupKeys = {
  /** An automatic escalation entry (cycle, level) of the plan: `page:c0-l1`. */
  escalationPage: (cycle: number, level: number) => `page:${escalationKey(cycle, level)}`,
  /** The n-th page outside the plan (by hand or for a runbook): `page:m2-l1`. */
  manualPage: (n: number, level: number) => `page:m${n}-l${level}`,
  /** A rotation gap: the next level paged in place of the on-call engineer: `page:c0-l0-gap-l1`. */
  gapPage: (prefix: string, level: number) => `${prefix}-gap-l${level}`,
  /** The n-th responder brought in by hand (a team's on-call or a person): `page:r2`. */
  responders: (n: number) => `page:r${n}`,
  /** The backup of a person whose page went unacknowledged: `page:backup-ana`. */
  backup: (contactId: string) => `page:backup-${contactId}`,
  /** One person of a send to targets: `page:c0-l1:lead`. */
  person: (prefix: string, contactId: string) => `${prefix}:${contactId}`,
  /** Email keeps the bare key (incidents paged before phone channels existed stay deduplicated). */
  channel: (key: string, channel: Channel) => `${key}${CHANNEL_TRAITS[channel].keySuffix}`,
  initial: () => 'initial',
  /** Outside business hours: the on-call told without a page. */
  afterHours: () => 'after-hours',
  executive: () => 'executive',
  phase: (phase: Phase) => `phase:${phase}`,
  breach: (breachKey: string) => `breach:${breachKey}`,
  customers: (index: number) => `customers:${index}`,
  approval: (ref: string) => `approval:${ref}`,
  runbookNotify: (ref: string) => `runbook:${ref}`,
  runbookTrouble: (host: string) => `runbook-trouble:${host}`,
  resolution: () => 'resolution',
  statusUpdate: (n: number) => `status:${n}`,
} as const;
