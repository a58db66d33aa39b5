import { SEVERITIES } from '../contract/common';
import { CHANNELS } from '../contract/channels';
import type { ChatPlatform } from '../contract/chat';
import { ACTIONS, DEFAULT_ADMINS, DEFAULT_IDENTITY_REQUIRE } from '../contract/identity';
import { z } from 'zod';
import { slackChannel } from './chat-channels';
import { DURATION_PATTERN } from './duration';
import { EMPTY_RUNBOOKS, runbooksSchema } from './runbook-schema';
import { DEFAULT_INCIDENT_PAGE_URL, DEFAULT_STATUS_PAGE_URL } from './links';
import { teamsFields, timeZoneSchema } from './teams-schema';
import { webhookMappingSchema } from './webhook-mapping-schema';

const SEVERITY = z.enum(SEVERITIES);
export const NOBODY = '-';
export { CHANNELS, type Channel } from '../contract/channels';
const duration = z.string().regex(DURATION_PATTERN, 'expected a duration such as 30s, 15m, 2h or 1d');
const contactId = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'contact ids are lower-case slugs');

/**
 * A recipient reference: "oncall" (the rotation, resolved at paging time),
 * "role:<role>" (the contact holding that role), "commander" (the incident commander,
 * falling back to role:incident-commander) or a contact id.
 */
const target = z.string().min(1);

const severityRule = z.object({
  label: z.string().min(1),
  description: z.string().default(''),
  /** Time allowed for an acknowledgement before escalation. "0s" means immediate. */
  ackSla: duration,
  /** Page every level of the escalation path at once (the plan's P0 rule). */
  pageAllLevels: z.boolean().default(false),
  /** Cadence of stakeholder status updates until resolved; omit for none. */
  statusUpdateEvery: duration.optional(),
  /** Executives must hear about the incident within this time. */
  executiveNotifyWithin: duration.optional(),
  /** How a page reaches each person, in order; a channel that fails for good falls through to the next. */
  channels: z.array(z.enum(CHANNELS)).min(1).default(['email']),
  /**
   * Pages only within the owning team's business hours (teams[].businessHours): outside them the on-call
   * is notified without a page, and the SLA clock starts when business hours next start.
   */
  businessHoursOnly: z.boolean().optional(),
});

const contact = z.object({
  id: contactId,
  name: z.string().min(1),
  email: z.email(),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'phone numbers are E.164, e.g. +15550100001')
    .optional(),
  roles: z.array(z.string().min(1)).default([]),
  /** Who is paged when a page to this person is not acknowledged within the policy's `backupAfter` (the plan's Backup column). */
  backup: contactId.optional(),
  /**
   * The person's own order of channels for a page, each after a delay (SMS at once, a call after 2m, email
   * after 5m), within the channels the severity allows; later ones stop at an acknowledgement. Unset: every
   * channel of the severity at once.
   */
  notificationRules: z
    .array(z.object({ channel: z.enum(CHANNELS), after: duration }))
    .min(1)
    .optional(),
  /**
   * The person's id on each chat platform: who presses a button or runs a command there is this
   * contact, verified by the platform's signature. Slack: the member id (U…).
   */
  chat: z
    .object({ slack: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack member id such as U012AB3CD') } satisfies Record<
      ChatPlatform,
      unknown
    >)
    .partial()
    .strict()
    .optional(),
});

const timeZone = timeZoneSchema;

/** Slack's part of the chat policy: where its posts go. */
export const slackSchema = z.object({
  /** A channel of its own for incidents of these severities (created at declaration, archived after the review); others get a thread in `channels.incidents`. */
  channelPerIncident: z.array(SEVERITY).default(['P0', 'P1', 'P2']),
  /** {number}, {slug} (of the title) and {service}; Slack allows lower case, digits, - and _, 80 characters. */
  channelName: z.string().min(1).default('inc-{number}-{slug}'),
  channels: z
    .object({
      /** New incidents, status updates, resolutions; incident threads when there is no channel of its own. */
      incidents: slackChannel.default('#incidents'),
      /** Every page, announced. */
      onCall: slackChannel.default('#on-call'),
      /** The end-of-day summary. */
      engineering: slackChannel.default('#engineering'),
    })
    .default({ incidents: '#incidents', onCall: '#on-call', engineering: '#engineering' }),
});
export type SlackPolicy = z.infer<typeof slackSchema>;

/**
 * Chat, on every platform the worker is connected to: what all platforms share, then each platform's
 * own part (where its posts go). A platform the worker has no credentials for is off.
 */
export const chatSchema = z.object({
  /** A video room for these severities, posted and pinned in the channel and carried by the executive notification; {id} and {number}. */
  warRoom: z
    .object({
      url: z.string().regex(/^https:\/\//, 'an https URL template such as https://meet.example.com/{id}'),
      severities: z.array(SEVERITY).default(['P0']),
    })
    .optional(),
  /** The end-of-day summary (to each platform's engineering channel), a Temporal Schedule at this local time. */
  endOfDay: z
    .object({
      at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time such as 17:30'),
      timeZone: timeZone,
    })
    .default({ at: '17:30', timeZone: 'UTC' }),
  slack: slackSchema.default(slackSchema.parse({})),
} satisfies Record<ChatPlatform, unknown> & Record<string, unknown>);
export type ChatPolicy = z.infer<typeof chatSchema>;
export const DEFAULT_CHAT_POLICY: ChatPolicy = chatSchema.parse({});

const escalationLevel = z.object({
  name: z.string().min(1),
  targets: z.array(target).min(1),
  /** Offset of this level on the plan's path; level 0 is paged at declaration. */
  after: duration,
  /** Restrict the level to some severities (the plan's CEO level is P0 only). */
  severities: z.array(SEVERITY).optional(),
});

export const policySchema = z
  .object({
    name: z.string().min(1),
    version: z.string().default('1'),
    defaultSeverity: SEVERITY.default('P2'),
    severities: z.object({ P0: severityRule, P1: severityRule, P2: severityRule, P3: severityRule }),
    /** Cumulative budgets from declaration: a phase must have ended by then. */
    phaseBudgets: z
      .object({
        detect: duration,
        triage: duration,
        contain: duration,
        investigate: duration,
        resolve: duration,
        recover: duration,
        review: duration,
      })
      .partial(),
    escalation: z.object({
      levels: z.array(escalationLevel).min(1),
      repeat: z.object({
        /** Capped at 9, as PagerDuty caps its repeats. */
        times: z.number().int().min(0).max(9),
        interval: duration,
      }),
    }),
    contacts: z.array(contact).min(1),
    /** A page to a person with a `backup` that is not acknowledged within this pages the backup too. Unset: backups are not paged. */
    backupAfter: duration.optional(),
    oncall: z.object({
      /** Contact ids, one per shift, in order; "-" marks a shift with nobody on call (the next level is paged). */
      rotation: z.array(z.union([contactId, z.literal('-')])).min(1),
      /** An instant at which rotation[0] took over, e.g. "2026-01-05T09:00:00Z" (Monday 09:00 UTC). */
      start: z.iso.datetime({ offset: true }),
      shift: duration,
      /** Weekly handoff at a local day and hour; replaces `shift` when set. `start` anchors rotation[0]'s week. */
      handoff: z
        .object({
          day: z.enum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']),
          hour: z.number().int().min(0).max(23),
          timezone: timeZone,
        })
        .optional(),
    }),
    /** Channels for internal status updates to the distribution list (`notify.statusUpdates`). */
    statusUpdateChannels: z.array(z.enum(CHANNELS)).min(1).default(['email']),
    notify: z.object({
      phaseChange: z.array(target).default([]),
      statusUpdates: z.array(target).default([]),
      budgetBreach: z.array(target).default([]),
      resolution: z.array(target).default([]),
      executives: z.array(target).default([]),
    }),
    templates: z.object({
      initialNotification: z.string().min(1),
      resolutionNotification: z.string().min(1),
      statusUpdate: z.string().min(1),
      page: z.string().min(1),
      postMortem: z.string().min(1),
    }),
    /** The public page of an incident (stakeholder notices link to it); see policy/links.ts for the placeholders. */
    statusPageUrl: z.string().default(DEFAULT_STATUS_PAGE_URL),
    /** Where a responder opens an incident (pages link to it): the Temporal Web UI's page of its workflow by default. */
    incidentPageUrl: z.string().default(DEFAULT_INCIDENT_PAGE_URL),
    /** The public status page: its title, and the components customers know (with the services behind each). */
    statusPage: z
      .object({
        title: z.string().min(1).default('Service status'),
        components: z
          .array(
            z.object({
              id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'component ids are lower-case slugs'),
              name: z.string().min(1),
              /** Internal service names (an incident's `service`) that make up this component. */
              services: z.array(z.string().min(1)).default([]),
            }),
          )
          .default([]),
        /** A user-facing incident of these severities must have a public update within `updateWithin`... */
        updateSeverities: z.array(SEVERITY).default(['P0', 'P1']),
        updateWithin: duration.optional(),
        /** ...or these are paged, once, and it is a breach in reports. */
        remind: z.array(target).default(['role:communications-lead']),
      })
      .default({ title: 'Service status', components: [], updateSeverities: ['P0', 'P1'], remind: ['role:communications-lead'] }),
    /**
     * What needs a verified person (an API token, a signed link, a signed SMS or chat request): an
     * action ("approve"), or an action on incidents of a severity ("resolve:P1"). Others may act
     * unverified (`--as` over a direct Temporal connection), recorded as such.
     */
    identity: z
      .object({
        require: z
          .array(
            z
              .string()
              .regex(
                new RegExp(`^(${ACTIONS.join('|')})(:P[0-3])?$`),
                `an action (${ACTIONS.join(', ')}), optionally with a severity, e.g. resolve:P1`,
              ),
          )
          .default(DEFAULT_IDENTITY_REQUIRE),
        /**
         * Who may create, list and revoke other people's API tokens (contact ids or role:NAME), checked
         * on the HTTP server against the verified person; the first one is bootstrapped on the server's machine.
         * Unset: role:incident-commander.
         */
        admins: z.array(z.string().regex(/^(role:[\w.-]+|[a-z0-9][a-z0-9._-]*)$/, 'a contact id or role:NAME')).optional(),
      })
      .default({ require: DEFAULT_IDENTITY_REQUIRE, admins: DEFAULT_ADMINS }),
    /** Chat (Slack when the worker has SLACK_BOT_TOKEN): see chatSchema. */
    chat: chatSchema.default(DEFAULT_CHAT_POLICY),
    /** Customer email for P0/P1 incidents affecting more than `thresholdPct` of users. */
    customerNotice: z
      .object({
        severities: z.array(SEVERITY),
        thresholdPct: z.number().min(0).max(100),
        recipients: z.array(z.object({ name: z.string().min(1), email: z.email() })).min(1),
      })
      .default({ severities: ['P0', 'P1'], thresholdPct: 10, recipients: [{ name: 'Customers', email: 'customers@example.com' }] }),
    /** The post-incident review: reminders, due time, distribution and the weekly digest. */
    review: z
      .object({
        firstReminder: duration,
        due: duration,
        overdueEvery: duration,
        remind: z.array(target).min(1),
        overdueCopy: z.array(target),
        distribution: z.array(target).min(1),
        requiredSections: z.array(z.string().min(1)),
        digestCron: z.string().regex(/^(\S+\s+){4}\S+$/, 'a five-field cron expression'),
        digestRecipients: z.array(target).min(1),
        /** Whether incidents that resolved on their own (alertmanager.autoResolve) get a review too. */
        autoResolved: z.boolean().default(false),
      })
      .default({
        autoResolved: false,
        firstReminder: '24h',
        due: '48h',
        overdueEvery: '24h',
        remind: ['commander'],
        overdueCopy: ['role:engineering-lead'],
        distribution: ['role:engineering-lead'],
        requiredSections: ['Summary', 'Root Cause', 'Resolution', 'Impact', 'What Went Well', 'What Could Be Improved', 'Action Items'],
        digestCron: '0 9 * * MON',
        digestRecipients: ['role:engineering-lead'],
      }),
    /** How Alertmanager alerts become incidents. */
    /**
     * The plan's Emergency Hotline: Twilio voice numbers whose callers choose a severity, are put through
     * to the on-call of the number's service, and open an incident (voicemail when nobody answers).
     */
    hotline: z
      .object({
        numbers: z
          .array(
            z.object({
              number: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +15550100000'),
              service: z.string().min(1).max(100),
              greeting: z
                .string()
                .min(1)
                .max(500)
                .default('You have reached the incident hotline. Your call opens an incident and is put through to the engineer on call.'),
            }),
          )
          .default([]),
      })
      .default({ numbers: [] }),
    /**
     * Mail in (the plan's Security Team Email): each address opens or joins an incident for its service,
     * threaded by Message-ID, from the sender domains listed only. Served where MAIL_IN_PORT is set.
     */
    mailIn: z
      .object({
        addresses: z
          .array(
            z.object({
              address: z.email(),
              service: z.string().min(1).max(100),
              severity: SEVERITY.default('P2'),
              senderDomains: z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'a mail domain such as example.com')).min(1),
            }),
          )
          .default([]),
      })
      .default({ addresses: [] }),
    /** Generic webhooks: how each kind of sender's JSON maps to an incident (integrations of kind `webhook` name one). */
    webhookMappings: z.array(webhookMappingSchema).default([]),
    /** Integrations' events (the Events API v2): `payload.severity` → incident severity. */
    integrations: z
      .object({
        severityMap: z
          .object({ critical: SEVERITY, error: SEVERITY, warning: SEVERITY, info: SEVERITY })
          .default({ critical: 'P1', error: 'P2', warning: 'P3', info: 'P3' }),
      })
      .default({ severityMap: { critical: 'P1', error: 'P2', warning: 'P3', info: 'P3' } }),
    alertmanager: z
      .object({
        /** `severity` label value -> incident severity; a `priority: P0..P3` label is taken as it is. */
        severityMap: z.record(z.string(), SEVERITY),
        /** Severities that resolve on their own when every alert of the group clears. */
        autoResolve: z.array(SEVERITY),
        /**
         * The monitoring pipeline's heartbeat: Alertmanager's always-firing alert of this name is not an
         * incident; when it stops arriving for `silentAfter`, an incident "monitoring pipeline is silent"
         * of `severity` pages the on-call person, and it resolves itself when the heartbeat returns.
         */
        watchdog: z
          .object({
            alertname: z.string().min(1).default('Watchdog'),
            silentAfter: duration.default('10m'),
            severity: SEVERITY.default('P3'),
          })
          .optional(),
      })
      .default({ severityMap: { critical: 'P1', warning: 'P3' }, autoResolve: ['P3'] }),
    /** Diagnostics that run on their own and changes that run only after a named approval. */
    runbooks: runbooksSchema.default(runbooksSchema.parse(EMPTY_RUNBOOKS)),
    /** Many teams (policy/teams-schema.ts); without them the policy is one team. */
    ...teamsFields,
  })
  .superRefine((policy, ctx) => {
    const ids = new Set<string>();
    policy.contacts.forEach((c, i) => {
      if (ids.has(c.id)) ctx.addIssue({ code: 'custom', path: ['contacts', i, 'id'], message: `duplicate contact id "${c.id}"` });
      ids.add(c.id);
    });
    const roles = new Set(policy.contacts.flatMap((c) => c.roles));
    const checkTarget = (t: string, path: (string | number)[]) => {
      if (t === 'oncall' || t === 'commander') return;
      if (t.startsWith('role:')) {
        if (!roles.has(t.slice(5))) ctx.addIssue({ code: 'custom', path, message: `no contact holds role "${t.slice(5)}"` });
      } else if (!ids.has(t)) {
        ctx.addIssue({ code: 'custom', path, message: `unknown contact "${t}"` });
      }
    };
    policy.escalation.levels.forEach((l, i) => l.targets.forEach((t, j) => checkTarget(t, ['escalation', 'levels', i, 'targets', j])));
    for (const [key, targets] of Object.entries(policy.notify)) {
      targets.forEach((t, j) => checkTarget(t, ['notify', key, j]));
    }
    for (const key of ['remind', 'overdueCopy', 'distribution', 'digestRecipients'] as const) {
      policy.review[key].forEach((t, j) => checkTarget(t, ['review', key, j]));
    }
    policy.runbooks.approvers.forEach((t, j) => checkTarget(t, ['runbooks', 'approvers', j]));
    policy.runbooks.definitions.forEach((def, i) =>
      def.steps.forEach((step, j) =>
        step.targets?.forEach((t, k) => checkTarget(t, ['runbooks', 'definitions', i, 'steps', j, 'targets', k])),
      ),
    );
    // One contact per chat account: a press or a command names exactly one person.
    const chatIds = new Set<string>();
    policy.contacts.forEach((c, i) => {
      for (const [platform, id] of Object.entries(c.chat ?? {})) {
        if (chatIds.has(`${platform}:${id}`))
          ctx.addIssue({
            code: 'custom',
            path: ['contacts', i, 'chat', platform],
            message: `${platform} account ${id} is already another contact`,
          });
        chatIds.add(`${platform}:${id}`);
      }
    });
    policy.oncall.rotation.forEach((id, i) => {
      if (id !== NOBODY && !ids.has(id))
        ctx.addIssue({ code: 'custom', path: ['oncall', 'rotation', i], message: `unknown contact "${id}"` });
    });
    policy.contacts.forEach((c, i) => {
      if (c.backup === undefined) return;
      if (!ids.has(c.backup)) ctx.addIssue({ code: 'custom', path: ['contacts', i, 'backup'], message: `unknown contact "${c.backup}"` });
      else if (c.backup === c.id)
        ctx.addIssue({ code: 'custom', path: ['contacts', i, 'backup'], message: 'a contact cannot be their own backup' });
    });
    checkTeams(policy, ids, checkTarget, ctx);
  });

/** Every reference between teams, services, schedules, escalation policies and routes names something that exists. */
function checkTeams(
  policy: z.infer<z.ZodObject<typeof teamsFields>> & {
    statusPage: { components: { id: string }[] };
    runbooks?: { definitions: { id: string }[] };
  },
  contacts: Set<string>,
  checkTarget: (t: string, path: (string | number)[]) => void,
  ctx: z.RefinementCtx,
) {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const unique = (key: string, items: { id: string }[]) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.id)) issue([key, i, 'id'], `duplicate id "${item.id}"`);
      seen.add(item.id);
    });
    return seen;
  };
  const teams = unique('teams', policy.teams);
  const services = unique('services', policy.services);
  const schedules = unique('schedules', policy.schedules);
  const eps = unique('escalationPolicies', policy.escalationPolicies);
  const known = (set: Set<string>, what: string, id: string, path: (string | number)[]) => {
    if (!set.has(id)) issue(path, `unknown ${what} "${id}"${set.size ? ` (${[...set].join(', ')})` : ''}`);
  };
  policy.schedules.forEach((s, i) =>
    s.layers.forEach((l, j) =>
      l.members.forEach((id, k) => {
        if (id !== NOBODY) known(contacts, 'contact', id, ['schedules', i, 'layers', j, 'members', k]);
      }),
    ),
  );
  policy.teams.forEach((t, i) => {
    known(schedules, 'schedule', t.schedule, ['teams', i, 'schedule']);
    known(eps, 'escalation policy', t.escalationPolicy, ['teams', i, 'escalationPolicy']);
    t.members.forEach((id, j) => known(contacts, 'contact', id, ['teams', i, 'members', j]));
  });
  const components = new Set(policy.statusPage.components.map((c) => c.id));
  const runbookIds = new Set((policy.runbooks?.definitions ?? []).map((d) => d.id));
  policy.services.forEach((s, i) => {
    known(teams, 'team', s.team, ['services', i, 'team']);
    if (s.component) known(components, 'status page component', s.component, ['services', i, 'component']);
    if (s.escalationPolicy) known(eps, 'escalation policy', s.escalationPolicy, ['services', i, 'escalationPolicy']);
    s.runbooks?.forEach((id, j) => known(runbookIds, 'runbook', id, ['services', i, 'runbooks', j]));
  });
  policy.escalationPolicies.forEach((ep, i) => {
    for (const during of ['business-hours', 'outside-business-hours'] as const)
      if (!ep.levels.some((l) => !l.during || l.during === during))
        issue(
          ['escalationPolicies', i, 'levels'],
          `every level is for the other hours: nobody would be paged ${during === 'business-hours' ? 'within' : 'outside'} business hours`,
        );
  });
  policy.escalationPolicies.forEach((ep, i) =>
    ep.levels.forEach((l, j) =>
      l.targets.forEach((t, k) => {
        const path = ['escalationPolicies', i, 'levels', j, 'targets', k];
        if (t.startsWith('schedule:')) known(schedules, 'schedule', t.slice(9), path);
        else if (t.startsWith('team:')) known(teams, 'team', t.slice(5), path);
        else checkTarget(t, path);
      }),
    ),
  );
  policy.routes.forEach((r, i) => known(services, 'service', r.service, ['routes', i, 'service']));
  if (policy.defaultService) known(services, 'service', policy.defaultService, ['defaultService']);
  if (!policy.teams.length && (policy.services.length || policy.routes.length))
    issue(['teams'], 'services and routes belong to teams: add at least one team');
}

export type ResponsePolicy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type Contact = ResponsePolicy['contacts'][number];
export type EscalationLevel = ResponsePolicy['escalation']['levels'][number];
