import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { DeliveryResult, OutboundMessage } from '../contract';
import { durationMs, formatDuration } from '../policy/duration';
import type { Channel, Contact, ResponsePolicy } from '../policy/schema';
import {
  ErrorType,
  PHASES,
  acknowledgeUpdate,
  addNoteUpdate,
  advancePhaseUpdate,
  alertsSignal,
  assignCommanderUpdate,
  changeSeverityUpdate,
  escalateUpdate,
  formatIncidentId,
  postPublicUpdate,
  resolveUpdate,
  reviewWorkflowId,
  runbookEventSignal,
  runbookPlanQuery,
  runbookSyncSignal,
  runbookWorkflowId,
  attachRunbookUpdate,
  setImpactUpdate,
  searchAttributes,
  stateQuery,
  type AcknowledgeArgs,
  type AddNoteArgs,
  type AdvancePhaseArgs,
  type AttachRunbookArgs,
  type RunbookEvent,
  type RunbookSync,
  type AssignCommanderArgs,
  type ChangeSeverityArgs,
  type EscalateArgs,
  type IncidentBook,
  type PublicUpdateArgs,
  type SetImpactArgs,
  type ResolveArgs,
  type IncidentInput,
  type IncidentState,
  type Notice,
  type Phase,
  type TimelineKind,
} from '../contract';
import { dueEscalations, escalationKey, levelsFor, nextEscalation, planEscalation } from './escalation';
import { callText, notificationMessage, pageMessage, smsText, statusSmsText } from './messages';
import { resolveTargets } from './recipients';
import { reviewWorkflow } from './review';
import { runbookWorkflow } from './runbook';
import { matchRunbooks, planRunbook } from '../policy/runbook-plan';
import {
  validateAcknowledge,
  validateAddNote,
  validateAdvancePhase,
  validateAssignCommander,
  validateAttachRunbook,
  validateChangeSeverity,
  validateEscalate,
  validatePublicUpdate,
  validateResolve,
  validateSetImpact,
} from './validators';

type Activities = ReturnType<typeof createActivities>;

const activityOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: [ErrorType.InvalidInput, ErrorType.DeliveryRejected, ErrorType.StoreConflict],
  },
};
const { registerIncident, syncIncident, deliver, currentPolicy, checkPolicy, recordAcknowledgement, whoIsOnCall, addActionItem } =
  proxyActivities<Activities>(activityOptions);

/** Events kept in workflow state across continueAsNew; the store keeps every one. */
const CARRIED_TIMELINE_EVENTS = 200;
const SYSTEM = 'system';

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  // Assigned before the main loop; handlers that need it reject until the incident is registered.
  let policy: ResponsePolicy = input.policy!;
  const nowMs = () => Date.now();
  const nowIso = () => new Date(Date.now()).toISOString();

  // Declared when the workflow started (the alert arrived), not when a worker first ran it: a worker that
  // was down must catch up from the real time, and MTTA counts from it.
  const startedAt = () => (patched('declared-at-workflow-start') ? workflowInfo().startTime.toISOString() : nowIso());
  const declaredAt = input.carried ? '' : startedAt();
  const state: IncidentState = input.carried?.state ?? {
    incidentId: '',
    number: 0,
    title: input.title,
    severity: input.severity,
    service: input.service,
    source: input.source,
    status: 'open',
    phase: 'detect',
    declaredAt,
    declaredBy: input.declaredBy,
    commander: input.commander,
    commanderAssignedBy: input.commander ? input.declaredBy : undefined,
    escalationLevel: -1,
    escalationCycle: 0,
    phases: [{ phase: 'detect', startedAt: declaredAt, startedBy: input.declaredBy }],
    alerts: input.alerts ?? [],
    deadlines: {},
    breaches: [],
    timeline: [],
    timelineTruncated: 0,
  };
  const book: IncidentBook = input.carried?.book ?? {
    nextSeq: 1,
    persistedSeq: 0,
    paged: [],
    manualEscalations: 0,
    statusUpdatesSent: 0,
    lastStatusAt: state.declaredAt,
    breachKeys: [],
    executiveNotified: false,
    notices: [{ type: 'initial' }],
    truncatedEvents: 0,
  };
  const declaredMs = Date.parse(state.declaredAt);

  /** Set once the main loop starts (see mainLoop); the state query reads it and must not call patched(). */
  let catchUpRules = false;
  // Bumped on every change so the main loop wakes; not carried, it only orders wake-ups.
  let version = 0;
  let storeDirty = true;
  const changed = () => {
    version++;
    storeDirty = true;
  };
  const record = (kind: TimelineKind, actor: string, text: string) => {
    state.timeline.push({ seq: book.nextSeq++, at: nowIso(), actor, kind, text });
    changed();
  };
  const notice = (n: Notice) => {
    book.notices.push(n);
    changed();
  };

  const applicableLevels = () => levelsFor(policy, state.severity);
  const nextManualLevel = () => applicableLevels().find((l) => l > state.escalationLevel);

  const endPhase = (by: string) => {
    const current = state.phases[state.phases.length - 1];
    if (current && !current.endedAt) Object.assign(current, { endedAt: nowIso(), endedBy: by });
  };
  const enterPhase = (phase: Phase, by: string) => {
    const from = state.phase;
    endPhase(by);
    // Skipped phases are recorded as zero-length so the phase table stays complete.
    for (let i = PHASES.indexOf(from) + 1; i < PHASES.indexOf(phase); i++) {
      state.phases.push({ phase: PHASES[i]!, startedAt: nowIso(), startedBy: by, endedAt: nowIso(), endedBy: by });
    }
    state.phases.push({ phase, startedAt: nowIso(), startedBy: by });
    state.phase = phase;
    record('phase', by, `Phase ${from} → ${phase}`);
  };

  // Handlers are registered before the first await so no early message is lost.
  // Deadlines are derived, so every answer recomputes them rather than showing a stale plan.
  const reply = () => {
    if (state.number) computeDeadlines();
    return state;
  };
  setHandler(stateQuery, reply);

  setHandler(
    acknowledgeUpdate,
    async ({ by }) => {
      state.status = 'acknowledged';
      state.acknowledgedBy = by;
      state.acknowledgedAt = nowIso();
      record('ack', by, `Acknowledged by ${by}; automatic escalation stopped`);
      // In the store before the person hears "acknowledged": pages still in flight then stand down.
      if (patched('ack-recorded-in-store') && state.number) {
        await recordAcknowledgement.executeWithOptions({ ...activityOptions, summary: `Record the acknowledgement by ${by}` }, [
          { incidentNumber: state.number, by, at: state.acknowledgedAt },
        ]);
      }
      return reply();
    },
    { validator: (args: AcknowledgeArgs) => validateAcknowledge(state, args) },
  );

  /** Pages `level` now, outside the automatic plan: by hand, or for a runbook that needs attention. */
  const escalateTo = (level: number, by: string, reason: string | undefined, what: string) => {
    state.escalationLevel = Math.max(state.escalationLevel, level);
    // The automatic plan must not page this level again in the current cycle.
    book.paged.push(escalationKey(state.escalationCycle, level));
    const n = ++book.manualEscalations;
    record('escalation', by, `${what} ${policy.escalation.levels[level]!.name}${reason ? `: ${reason}` : ''}`);
    notice({ type: 'manual-escalation', n, level, by, reason });
  };

  setHandler(
    escalateUpdate,
    ({ by, reason }) => {
      escalateTo(nextManualLevel()!, by, reason, 'Manual escalation to');
      return reply();
    },
    { validator: (args: EscalateArgs) => validateEscalate(state, args, nextManualLevel()) },
  );

  setHandler(
    changeSeverityUpdate,
    ({ by, severity, reason }) => {
      const from = state.severity;
      state.severity = severity;
      record('severity', by, `Severity ${from} → ${severity}${reason ? `: ${reason}` : ''}; SLAs and update cadence re-planned`);
      if (policy.severities[severity].executiveNotifyWithin) notice({ type: 'executive' });
      return reply();
    },
    { validator: (args: ChangeSeverityArgs) => validateChangeSeverity(state, args) },
  );

  setHandler(
    addNoteUpdate,
    ({ by, text }) => {
      record('note', by, text.trim());
      return reply();
    },
    { validator: (args: AddNoteArgs) => validateAddNote(state, args) },
  );

  setHandler(
    assignCommanderUpdate,
    ({ by, commander }) => {
      state.commander = commander.trim();
      state.commanderAssignedBy = by;
      record('commander', by, `Incident commander: ${state.commander}`);
      return reply();
    },
    { validator: (args: AssignCommanderArgs) => validateAssignCommander(state, args) },
  );

  setHandler(
    advancePhaseUpdate,
    ({ by, to }) => {
      const phase = to ?? PHASES[PHASES.indexOf(state.phase) + 1]!;
      enterPhase(phase, by);
      notice({ type: 'phase', phase, by });
      return reply();
    },
    { validator: (args: AdvancePhaseArgs) => validateAdvancePhase(state, args) },
  );

  setHandler(
    resolveUpdate,
    ({ by, rootCause, resolution }) => {
      state.rootCause = rootCause.trim();
      state.resolution = resolution.trim();
      state.status = 'resolved';
      state.resolvedAt = nowIso();
      state.resolvedBy = by;
      record('resolved', by, `Resolved. Root cause: ${state.rootCause}. Resolution: ${state.resolution}`);
      enterPhase('review', by);
      notice({ type: 'resolution' });
      return reply();
    },
    { validator: (args: ResolveArgs) => validateResolve(state, args) },
  );

  setHandler(
    postPublicUpdate,
    ({ by, text }) => {
      (state.publicUpdates ??= []).push({ at: nowIso(), text: text.trim() });
      // The status page reads visibility only (no query, so no worker needed): public updates ride in the memo.
      upsertMemo({ publicUpdates: state.publicUpdates.slice(-20) });
      record('note', by, `Public status update: ${text.trim()}`);
      return reply();
    },
    { validator: (args: PublicUpdateArgs) => validatePublicUpdate(state, args) },
  );

  setHandler(
    setImpactUpdate,
    ({ by, usersPct }) => {
      state.usersAffectedPct = usersPct;
      record('note', by, `Impact: ${usersPct}% of users affected`);
      const notice = policy.customerNotice;
      if (notice.severities.includes(state.severity) && usersPct > notice.thresholdPct && !book.customersNotified) {
        book.customersNotified = true;
        book.notices.push({ type: 'customers' });
      }
      return reply();
    },
    { validator: (args: SetImpactArgs) => validateSetImpact(state, args) },
  );

  // ---- runbooks: attached by alert match or by hand, run by the incident's runbook workflow ----
  const runbookBook = () => (book.runbooks ??= { attached: [], started: false, sent: '' });
  const runbookLabels = (id: string) =>
    book.runbooks?.attached.find((a) => a.id === id)?.labels ??
    matchRunbooks(policy.runbooks, state.alerts).find((m) => m.id === id)?.labels ??
    state.alerts[0]?.labels ??
    {};
  const attachRunbook = (id: string, labels: Record<string, string>, by: string) => {
    const def = policy.runbooks.definitions.find((d) => d.id === id)!;
    runbookBook().attached.push({ id, labels, by, at: nowIso() });
    record('runbook', by, `Runbook ${id} attached: ${def.title}`);
  };

  setHandler(
    attachRunbookUpdate,
    ({ by, runbook }) => {
      attachRunbook(runbook, runbookLabels(runbook), by);
      return reply();
    },
    { validator: (args: AttachRunbookArgs) => validateAttachRunbook(state, policy, book.runbooks?.attached ?? [], args) },
  );

  setHandler(runbookPlanQuery, (id: string) => {
    const def = policy.runbooks?.definitions.find((d) => d.id === id);
    if (!def) throw new Error(`no runbook "${id}"; runbooks: ${(policy.runbooks?.definitions ?? []).map((d) => d.id).join(', ')}`);
    return planRunbook(def, runbookLabels(id), { incidentId: state.incidentId, nowMs: nowMs() });
  });

  setHandler(runbookEventSignal, (event: RunbookEvent) => {
    record(event.warning ? 'warning' : 'runbook', event.actor, event.text);
    if (event.approval) notice({ type: 'approval', ...event.approval });
    if (event.notify) notice({ type: 'runbook-notify', ...event.notify });
    if (event.trouble && !(book.troubleHosts ??= []).includes(event.trouble.host) && state.status !== 'resolved') {
      book.troubleHosts.push(event.trouble.host);
      notice({ type: 'runbook-trouble', host: event.trouble.host, text: event.text });
    }
    if (event.escalate && state.status !== 'resolved') {
      const next = nextManualLevel();
      if (next === undefined && patched('approval-escalation-capped')) {
        // Once per level, up to the last: past it, the timeline keeps the reminder and nobody is paged again.
        record('warning', SYSTEM, `${event.escalate}: every level of the escalation path has been paged`);
      } else {
        // Beyond the last level, the last level is paged again: an unanswered approval never goes quiet.
        escalateTo(next ?? applicableLevels()[applicableLevels().length - 1]!, 'runbook', event.escalate, 'Escalation to');
      }
    }
  });

  setHandler(alertsSignal, (batch) => {
    (book.alertBatches ??= []).push(batch);
    changed();
  });

  // ---- side effects, all through activities ----

  const flush = async () => {
    if (!storeDirty || !state.number) return;
    const events = state.timeline.filter((e) => e.seq > book.persistedSeq);
    const { timeline: _timeline, phases, breaches, ...rest } = state;
    await syncIncident.executeWithOptions({ ...activityOptions, summary: `Record ${state.incidentId} (${state.phase}, ${state.status})` }, [
      { number: state.number, state: rest, events, phases, breaches },
    ]);
    book.persistedSeq = events.length ? events[events.length - 1]!.seq : book.persistedSeq;
    storeDirty = false;
    publishSearchAttributes();
  };

  let published = '';
  const publishSearchAttributes = () => {
    const values = [state.incidentId, state.severity, state.phase, state.service, state.status];
    if (values.join('|') === published) return;
    published = values.join('|');
    upsertSearchAttributes([
      { key: searchAttributes.incidentId, value: state.incidentId },
      { key: searchAttributes.severity, value: state.severity },
      { key: searchAttributes.phase, value: state.phase },
      { key: searchAttributes.service, value: state.service },
      { key: searchAttributes.status, value: state.status },
    ]);
  };

  const channelsFor = (): Channel[] => policy.severities[state.severity].channels ?? ['email'];

  const deliverOne = async (payload: OutboundMessage, who: string, summary: string): Promise<boolean> => {
    const by = payload.channel === 'email' ? 'email' : payload.channel === 'sms' ? 'SMS' : 'voice call';
    const verb = payload.kind === 'page' ? 'Paged' : 'Notified';
    try {
      const result: DeliveryResult = await deliver.executeWithOptions({ ...activityOptions, summary }, [payload]);
      if (payload.kind === 'page' && result.status !== 'skipped' && !(state.pagedContacts ??= []).includes(payload.recipient.id))
        state.pagedContacts.push(payload.recipient.id);
      if (result.status === 'sent')
        record(payload.kind === 'page' ? 'page' : 'notification', SYSTEM, `${verb} ${who} by ${by}: ${payload.subject}`);
      if (result.status === 'outbox')
        record('warning', SYSTEM, `${verb} ${who}: ${by} not delivered, kept in the outbox: ${payload.subject}`);
      if (result.status === 'skipped') record('page', SYSTEM, `Page to ${who} by ${by} not sent: the incident was acknowledged meanwhile`);
      return true;
    } catch (error) {
      const cause = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause.message : String(error);
      record('warning', SYSTEM, `Failed to ${payload.kind === 'page' ? 'page' : 'notify'} ${who} by ${by}: ${cause}`);
      return false;
    }
  };

  /**
   * One person, through the severity's channels in order (pages) or by email (notifications).
   * A channel that fails for good, or a contact without a phone, falls through to the next;
   * when none worked, email is the last resort. Nothing is skipped silently.
   */
  const send = async (
    dedupKey: string,
    kind: OutboundMessage['kind'],
    contact: Contact,
    via: string,
    message: { subject: string; body: string; short?: string },
    label: string,
    stopIfAcknowledged = false,
    notificationChannels: Channel[] = ['email'],
  ): Promise<void> => {
    const who = `${contact.name} (${via})`;
    const channels: Channel[] = kind === 'page' ? channelsFor() : notificationChannels;
    const base = { incidentNumber: state.number, incidentId: state.incidentId, kind, subject: message.subject, stopIfAcknowledged };
    const recipient = { id: contact.id, name: contact.name, email: contact.email, phone: contact.phone };
    let delivered = false;
    for (const channel of channels) {
      if (stopIfAcknowledged && state.status !== 'open') return;
      if (channel !== 'email' && !contact.phone) {
        record('warning', SYSTEM, `${who} has no phone number: no ${channel === 'sms' ? 'SMS' : 'call'}; using the next channel`);
        continue;
      }
      const phoneText = message.short ?? (kind === 'page' ? smsText(state) : statusSmsText(state));
      const body =
        channel === 'email' ? message.body : channel === 'sms' || message.short ? phoneText : kind === 'page' ? callText(state) : phoneText;
      // Email keeps the original ledger key so incidents paged before phone channels existed stay deduplicated.
      const payload: OutboundMessage = {
        ...base,
        recipient,
        channel,
        body,
        dedupKey: channel === 'email' ? dedupKey : `${dedupKey}:${channel}`,
      };
      const how = channel === 'email' ? 'by email' : channel === 'sms' ? 'by SMS' : 'by phone';
      if (await deliverOne(payload, who, `${label}: ${kind === 'page' ? 'page' : 'notify'} ${contact.name} (${via}) ${how}`))
        delivered = true;
    }
    if (!delivered && !channels.includes('email') && !(stopIfAcknowledged && state.status !== 'open')) {
      record('warning', SYSTEM, `No ${channels.join('/')} reached ${who}; falling back to email`);
      await deliverOne(
        { ...base, recipient, channel: 'email', body: message.body, dedupKey },
        who,
        `${label}: fallback email to ${contact.name}`,
      );
    }
  };

  const sendToTargets = async (
    targets: string[],
    dedupPrefix: string,
    kind: OutboundMessage['kind'],
    message: { subject: string; body: string; short?: string },
    label: string,
    stopIfAcknowledged = false,
    onCall?: { contactId?: string; source: string },
    notificationChannels?: Channel[],
  ) => {
    const { recipients, unresolved } = resolveTargets(policy, targets, { nowMs: nowMs(), commander: state.commander, onCall });
    for (const target of unresolved) record('warning', SYSTEM, `${label}: nobody to notify for "${target}"`);
    await Promise.all(
      recipients.map((r) =>
        send(`${dedupPrefix}:${r.contact.id}`, kind, r.contact, r.via, message, label, stopIfAcknowledged, notificationChannels),
      ),
    );
  };

  const pageLevel = async (level: number, dedupPrefix: string, stopIfAcknowledged: boolean): Promise<void> => {
    const def = policy.escalation.levels[level]!;
    let onCall: { contactId?: string; source: string } | undefined;
    // "The on-call engineer" is resolved at the moment of paging, overrides from the store included.
    if (def.targets.includes('oncall') && patched('oncall-overrides')) {
      const who = await whoIsOnCall.executeWithOptions({ ...activityOptions, summary: 'Who is on call now' }, [
        { oncall: policy.oncall, at: nowIso() },
      ]);
      onCall = who.now;
      if (!who.now.contactId) {
        const next = applicableLevels().find((l) => l > level);
        record(
          'warning',
          SYSTEM,
          `Nobody is on call (rotation gap until ${who.now.to})${next !== undefined ? `: paging ${policy.escalation.levels[next]!.name} instead` : ''}`,
        );
        if (next !== undefined) {
          const cycle = Number(/^page:c(\d+)-/.exec(dedupPrefix)?.[1] ?? state.escalationCycle);
          book.paged.push(escalationKey(cycle, next));
          state.escalationLevel = Math.max(state.escalationLevel, next);
          await pageLevel(next, `${dedupPrefix}-gap-l${next}`, stopIfAcknowledged);
        }
        return;
      }
    }
    await sendToTargets(
      def.targets,
      dedupPrefix,
      'page',
      pageMessage(policy, state, def.name, nowMs()),
      def.name,
      stopIfAcknowledged,
      onCall,
    );
  };

  /** Applies queued Alertmanager batches: dedup by fingerprint, notes, and "alerts cleared". */
  const applyAlerts = () => {
    const batches = book.alertBatches ?? [];
    if (batches.length === 0 || state.status === 'resolved') return;
    book.alertBatches = [];
    for (const batch of batches) {
      for (const note of batch.notes) record('note', 'alertmanager', note);
      if (batch.truncatedAlerts > 0) record('warning', 'alertmanager', `${batch.truncatedAlerts} alerts were truncated by Alertmanager`);
      for (const alert of batch.alerts) {
        const known = state.alerts.find((a) => a.fingerprint === alert.fingerprint);
        if (known?.status === alert.status) continue;
        if (known) known.status = alert.status;
        else state.alerts.push(alert);
        const summary = alert.annotations?.summary ? `: ${alert.annotations.summary}` : '';
        record(
          'alert',
          'alertmanager',
          `${alert.status === 'firing' ? 'Alert firing' : 'Alert resolved'}: ${alert.name} [${alert.fingerprint}]${summary}`,
        );
      }
    }
    const cleared = state.alerts.length > 0 && state.alerts.every((a) => a.status === 'resolved');
    if (cleared && !book.alertsCleared) {
      book.alertsCleared = true;
      record('alert', 'alertmanager', 'Alerts cleared: every alert of the group reports resolved');
      if (policy.alertmanager.autoResolve.includes(state.severity)) {
        state.rootCause = 'Not recorded: the alerts cleared on their own';
        state.resolution = `Auto-resolved by policy: ${state.severity} incidents resolve when their alerts clear`;
        state.status = 'resolved';
        state.resolvedAt = nowIso();
        state.resolvedBy = 'alertmanager';
        record('resolved', 'alertmanager', state.resolution);
        enterPhase('review', 'alertmanager');
        notice({ type: 'resolution' });
      } else {
        record('note', SYSTEM, `${state.severity} waits for a human to resolve: an alert clearing is not a root cause`);
      }
    } else if (!cleared && book.alertsCleared) {
      book.alertsCleared = false;
    }
  };

  /** After a gap: each overdue level once, in level order, nobody twice within the repeat interval. */
  const runCatchUpEscalations = async () => {
    const intervalMs = durationMs(policy.escalation.repeat.interval);
    const last = (book.levelPagedAtMs ??= {});
    const due = dueEscalations(planEscalation(policy, state.severity, declaredMs), book.paged, nowMs(), last, intervalMs);
    if (due.page.length === 0) return;
    for (const entry of due.settled) {
      book.paged.push(entry.key);
      state.escalationCycle = Math.max(state.escalationCycle, entry.cycle);
    }
    if (due.heldUpSinceMs !== undefined) {
      record(
        'escalation',
        SYSTEM,
        `Paging was held up from ${new Date(due.heldUpSinceMs).toISOString()} to ${nowIso()} (worker or Temporal unavailable): catching up, each overdue level once, ${policy.escalation.levels[due.page[0]!.level]!.name} first`,
      );
    }
    for (const entry of due.page) {
      state.escalationLevel = Math.max(state.escalationLevel, entry.level);
      const name = policy.escalation.levels[entry.level]!.name;
      if (entry.cycle > 0) record('escalation', SYSTEM, `Repeat ${entry.cycle}/${policy.escalation.repeat.times}: paging ${name} again`);
      else if (entry.level !== applicableLevels()[0] && !policy.severities[state.severity].pageAllLevels) {
        record('escalation', SYSTEM, `Not acknowledged: escalating to ${name}`);
      }
    }
    // A level counts as paged when its page is out (a retried delivery can take a while): the repeat
    // interval runs from then, so nobody gets the same incident twice within it.
    const page = async (e: (typeof due.page)[number]) => {
      await pageLevel(e.level, `page:${e.key}`, true);
      last[e.level] = nowMs();
    };
    if (due.heldUpSinceMs === undefined) {
      // On time: the pages of one step go out together (P0 pages every level at once).
      await Promise.all(due.page.map(page));
    } else {
      for (const e of due.page) {
        if (state.status !== 'open') break;
        await page(e);
      }
    }
  };

  const runEscalations = async () => {
    if (state.status !== 'open') return;
    if (catchUpRules) return runCatchUpEscalations();
    const due = planEscalation(policy, state.severity, declaredMs).filter((e) => e.atMs <= nowMs() && !book.paged.includes(e.key));
    if (due.length === 0) return;
    for (const entry of due) {
      book.paged.push(entry.key);
      state.escalationLevel = Math.max(state.escalationLevel, entry.level);
      state.escalationCycle = Math.max(state.escalationCycle, entry.cycle);
      const name = policy.escalation.levels[entry.level]!.name;
      if (entry.cycle > 0) record('escalation', SYSTEM, `Repeat ${entry.cycle}/${policy.escalation.repeat.times}: paging ${name} again`);
      else if (entry.level !== applicableLevels()[0] && !policy.severities[state.severity].pageAllLevels) {
        record('escalation', SYSTEM, `Not acknowledged: escalating to ${name}`);
      }
    }
    // Pages of one step go out together (P0 pages every level at once).
    await Promise.all(due.map((e) => pageLevel(e.level, `page:${e.key}`, true)));
  };

  const ackDeadlineMs = () => {
    const sla = durationMs(policy.severities[state.severity].ackSla);
    return declaredMs + (sla > 0 ? sla : durationMs(policy.escalation.repeat.interval));
  };

  const phaseDeadlines = () =>
    PHASES.flatMap((phase) => {
      const budget = policy.phaseBudgets[phase];
      const key = `phase:${phase}`;
      if (!budget || book.breachKeys.includes(key) || PHASES.indexOf(state.phase) > PHASES.indexOf(phase)) return [];
      return [{ phase, key, budget, atMs: declaredMs + durationMs(budget) }];
    });

  const breach = (key: string, kind: 'ack' | 'phase', text: string, phase?: Phase) => {
    book.breachKeys.push(key);
    state.breaches.push({ kind, phase, at: nowIso(), text });
    record('sla-breach', SYSTEM, text);
    notice({ type: 'breach', key, text });
  };

  const checkBudgets = () => {
    if (state.status === 'resolved') return;
    if (state.status === 'open' && !book.breachKeys.includes('ack') && nowMs() >= ackDeadlineMs()) {
      breach('ack', 'ack', `${state.severity} not acknowledged within ${formatDuration(ackDeadlineMs() - declaredMs)}`);
    }
    for (const d of phaseDeadlines()) {
      if (nowMs() >= d.atMs) breach(d.key, 'phase', `Phase ${d.phase} not finished within its ${d.budget} budget`, d.phase);
    }
  };

  const statusCadenceMs = () => {
    const every = policy.severities[state.severity].statusUpdateEvery;
    return every ? durationMs(every) : undefined;
  };

  const runStatusUpdates = async () => {
    const cadence = statusCadenceMs();
    if (state.status === 'resolved' || cadence === undefined) return;
    if (nowMs() < Date.parse(book.lastStatusAt) + cadence) return;
    const n = ++book.statusUpdatesSent;
    book.lastStatusAt = nowIso();
    record('status-update', SYSTEM, `Status update #${n} (every ${formatDuration(cadence)})`);
    await sendToTargets(
      policy.notify.statusUpdates,
      `status:${n}`,
      'notification',
      notificationMessage(policy, state, nowMs(), 'status'),
      `Status update #${n}`,
      false,
      undefined,
      // Snapshots taken before this setting existed have none: email, as then.
      policy.statusUpdateChannels ?? ['email'],
    );
  };

  const runNotices = async () => {
    while (book.notices.length > 0) {
      const n = book.notices.shift()!;
      storeDirty = true;
      switch (n.type) {
        case 'initial':
          await sendToTargets(
            policy.notify.statusUpdates,
            'initial',
            'notification',
            notificationMessage(policy, state, nowMs(), 'initial'),
            'Initial notification',
          );
          if (policy.severities[state.severity].executiveNotifyWithin) book.notices.push({ type: 'executive' });
          break;
        case 'executive':
          if (book.executiveNotified) break;
          book.executiveNotified = true;
          await sendToTargets(
            policy.notify.executives,
            'executive',
            'notification',
            notificationMessage(policy, state, nowMs(), 'executive'),
            'Executive notification',
          );
          break;
        case 'phase':
          await sendToTargets(
            policy.notify.phaseChange,
            `phase:${n.phase}`,
            'notification',
            notificationMessage(policy, state, nowMs(), 'phase', n.phase),
            `Phase ${n.phase}`,
          );
          break;
        case 'manual-escalation':
          await pageLevel(n.level, `page:m${n.n}-l${n.level}`, false);
          break;
        case 'breach':
          await sendToTargets(
            policy.notify.budgetBreach,
            `breach:${n.key}`,
            'notification',
            notificationMessage(policy, state, nowMs(), 'breach', n.text),
            'SLA breach',
          );
          break;
        case 'customers': {
          const message = notificationMessage(policy, state, nowMs(), 'initial');
          await Promise.all(
            policy.customerNotice.recipients.map((r, i) =>
              deliverOne(
                {
                  incidentNumber: state.number,
                  incidentId: state.incidentId,
                  kind: 'notification',
                  dedupKey: `customers:${i}`,
                  recipient: { id: `customers-${i}`, name: r.name, email: r.email },
                  channel: 'email',
                  subject: `Service incident: ${state.title}`,
                  body: message.body,
                },
                `${r.name} (customers)`,
                `Customer email to ${r.name}`,
              ),
            ),
          );
          break;
        }
        case 'approval':
          await sendToTargets(
            ['commander'],
            `approval:${n.ref}`,
            'page',
            { subject: n.subject, body: n.body, short: `${n.subject}. Approve: incidentctl approve ${state.incidentId} ${n.ref}` },
            `Approval ${n.ref}`,
          );
          break;
        case 'runbook-notify':
          await sendToTargets(
            n.targets,
            `runbook:${n.ref}`,
            'notification',
            { subject: `[${state.incidentId}] ${n.text}`, body: `${state.incidentId}: ${state.title}\n\n${n.text}` },
            `Runbook ${n.ref}`,
          );
          break;
        case 'runbook-trouble':
          // Information for whoever runs the incident, once per host; never a page up the path.
          await sendToTargets(
            [state.commander ? 'commander' : 'oncall'],
            `runbook-trouble:${n.host}`,
            'notification',
            {
              subject: `[${state.incidentId}] Runbook trouble on host ${n.host}`,
              body: `${state.incidentId}: ${state.title}\n\n${n.text}\n\nNothing escalates for this; further trouble on ${n.host} is on the timeline only (incidentctl show ${state.incidentId} --evidence).`,
            },
            `Runbook trouble on ${n.host}`,
          );
          break;
        case 'resolution':
          await sendToTargets(
            policy.notify.resolution,
            'resolution',
            'notification',
            notificationMessage(policy, state, nowMs(), 'resolution'),
            'Resolution',
          );
          break;
      }
    }
  };

  /** Attaches matching runbooks, starts the runbook workflow, and tells it what changed. */
  const syncRunbooks = async () => {
    if (!state.number) return;
    const rb = runbookBook();
    if (state.status !== 'resolved') {
      for (const m of matchRunbooks(policy.runbooks, state.alerts)) {
        if (!rb.attached.some((a) => a.id === m.id)) attachRunbook(m.id, m.labels, state.alerts.length ? 'alertmanager' : 'policy');
      }
    }
    if (rb.attached.length === 0) return;
    const sync: RunbookSync = { phase: state.phase, status: state.status, commander: state.commander, attached: rb.attached };
    // The runbook workflow's approval rules need to know who named the commander.
    if (state.commanderAssignedBy && patched('commander-assigner-in-sync')) sync.commanderAssignedBy = state.commanderAssignedBy;
    const key = JSON.stringify(sync);
    if (key === rb.sent) return;
    const workflowId = runbookWorkflowId(state.incidentId);
    if (!rb.started) {
      await startChild(runbookWorkflow, {
        workflowId,
        args: [{ incidentId: state.incidentId, incidentNumber: state.number, incidentWorkflowId: workflowInfo().workflowId, policy, sync }],
        // It outlives a continue-as-new of this run; resolution and cancellation end it explicitly.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Runbooks of ${state.incidentId}: ${rb.attached.map((a) => a.id).join(', ')}`,
      });
      rb.started = true;
    } else {
      await getExternalWorkflowHandle(workflowId)
        .signal(runbookSyncSignal, sync)
        .catch(() => record('warning', SYSTEM, `The runbook workflow ${workflowId} is gone; runbook steps no longer follow the incident`));
    }
    rb.sent = key;
  };

  const computeDeadlines = (): { atMs: number; summary: string } | undefined => {
    const candidates: { atMs: number; summary: string }[] = [];
    state.deadlines = {};
    if (state.status === 'open') {
      const plan = planEscalation(policy, state.severity, declaredMs);
      const upcoming = catchUpRules
        ? nextEscalation(plan, book.paged, book.levelPagedAtMs ?? {}, durationMs(policy.escalation.repeat.interval))
        : (() => {
            const entry = plan.find((e) => !book.paged.includes(e.key));
            return entry && { entry, atMs: entry.atMs };
          })();
      const next = upcoming && { ...upcoming.entry, atMs: upcoming.atMs };
      if (next) {
        state.deadlines.nextEscalation = new Date(next.atMs).toISOString();
        const level = policy.escalation.levels[next.level]!.name;
        candidates.push({
          atMs: next.atMs,
          summary:
            next.cycle > 0
              ? `Unacknowledged: repeat ${next.cycle} pages ${level}`
              : `${state.severity} ack SLA ${policy.severities[state.severity].ackSla}, then page ${level}`,
        });
      }
      if (!book.breachKeys.includes('ack')) candidates.push({ atMs: ackDeadlineMs(), summary: `${state.severity} ack SLA deadline` });
    }
    if (state.status !== 'resolved') {
      const cadence = statusCadenceMs();
      if (cadence !== undefined) {
        const at = Date.parse(book.lastStatusAt) + cadence;
        state.deadlines.nextStatusUpdate = new Date(at).toISOString();
        candidates.push({ atMs: at, summary: `${state.severity} status update every ${formatDuration(cadence)}` });
      }
      const budget = phaseDeadlines()[0];
      if (budget) {
        state.deadlines.phaseBudget = { phase: budget.phase, at: new Date(budget.atMs).toISOString() };
        candidates.push({ atMs: budget.atMs, summary: `Phase ${budget.phase} budget ${budget.budget}` });
      }
    }
    return candidates.sort((a, b) => a.atMs - b.atMs)[0];
  };

  const addFollowUps = async () => {
    const due = new Date(nowMs() + durationMs(policy.runbooks.followUpDue)).toISOString().slice(0, 10);
    for (const attached of book.runbooks?.attached ?? []) {
      const def = policy.runbooks.definitions.find((d) => d.id === attached.id);
      for (const [i, text] of (def?.followUps ?? []).entries()) {
        await addActionItem.executeWithOptions({ ...activityOptions, summary: `Follow-up of runbook ${attached.id}` }, [
          {
            incidentId: state.incidentId,
            text: `${text} (runbook ${attached.id})`,
            owner: state.commander ?? 'incident-commander',
            due,
            by: 'runbook',
            requestId: `${workflowInfo().workflowId}:${attached.id}:${i}`,
          },
        ]);
      }
    }
  };

  // ---- lifecycle ----

  let policyProblem: string | undefined;
  if (!policy) policy = await currentPolicy.executeWithOptions({ ...activityOptions, summary: 'Snapshot the response policy' }, []);
  else if (patched('input-policy-checked')) {
    // A policy in the input is untrusted until the worker has checked it as it checks its own file.
    const checked = await checkPolicy.executeWithOptions({ ...activityOptions, summary: 'Check the policy given in the input' }, [policy]);
    if (checked.policy) {
      policy = checked.policy;
      policyProblem = checked.problem;
    }
  }
  if (!state.number) {
    const info = workflowInfo();
    const { number } = await registerIncident.executeWithOptions({ ...activityOptions, summary: `Register incident: ${state.title}` }, [
      {
        workflowId: info.workflowId,
        firstRunId: info.firstExecutionRunId,
        title: state.title,
        severity: state.severity,
        service: state.service,
        source: state.source,
        declaredBy: state.declaredBy,
        declaredAt: state.declaredAt,
      },
    ]);
    state.number = number;
    state.incidentId = formatIncidentId(number);
    record(
      'declared',
      state.declaredBy,
      `${state.incidentId} declared: [${state.severity}] ${state.title} (service ${state.service}, source ${state.source})`,
    );
    if (state.commander) record('commander', state.declaredBy, `Incident commander: ${state.commander}`);
  }
  if (policyProblem)
    record('warning', SYSTEM, `The policy given in the workflow input was refused; the worker's own policy applies. ${policyProblem}`);

  try {
    await mainLoop();
  } catch (error) {
    // Cancelling the incident stops its runbooks too: their running commands are killed.
    if (isCancellation(error) && book.runbooks?.started) {
      await CancellationScope.nonCancellable(() =>
        getExternalWorkflowHandle(runbookWorkflowId(state.incidentId))
          .cancel()
          .catch(() => undefined),
      );
    }
    throw error;
  }

  async function mainLoop(): Promise<void> {
    // Incidents that began before catch-up rules existed keep the old ones, so their histories replay.
    catchUpRules = patched('escalation-catch-up');
    for (;;) {
      const seen = version;
      applyAlerts();
      if (policy.runbooks?.definitions.length && patched('runbooks')) await syncRunbooks();
      checkBudgets();
      await runEscalations();
      await runNotices();
      await runStatusUpdates();
      await flush();
      if (state.status === 'resolved' && book.notices.length === 0) break;

      const info = workflowInfo();
      if (info.continueAsNewSuggested || (input.historyLimit !== undefined && info.historyLength >= input.historyLimit)) {
        await condition(allHandlersFinished);
        await runNotices();
        await flush();
        const dropped = Math.max(0, state.timeline.length - CARRIED_TIMELINE_EVENTS);
        state.timeline = state.timeline.slice(dropped);
        state.timelineTruncated += dropped;
        await continueAsNew<typeof incidentWorkflow>({ ...input, policy, carried: { state, book } });
      }

      const next = computeDeadlines();
      if (version !== seen) continue;
      if (next) await condition(() => version !== seen, Math.max(next.atMs - nowMs(), 1), { summary: next.summary });
      else await condition(() => version !== seen);
    }
  }

  // Runbook follow-ups are in the store before the review drafts its post-mortem.
  if (book.runbooks?.attached.length && patched('runbook-follow-ups')) await addFollowUps();

  // The review outlives the incident: the alert group is free for a new incident while it runs.
  if (patched('post-incident-review')) {
    const reviewId = reviewWorkflowId(state.incidentId);
    const incidentWorkflowId = workflowInfo().workflowId;
    const dueAt = new Date(Date.parse(state.resolvedAt!) + durationMs(policy.review.due)).toISOString();
    await startChild(reviewWorkflow, {
      workflowId: reviewId,
      args: [
        {
          incidentId: state.incidentId,
          incidentNumber: state.number,
          title: state.title,
          severity: state.severity,
          commander: state.commander,
          resolvedAt: state.resolvedAt!,
          incidentWorkflowId,
          policy,
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      memo: { incidentId: state.incidentId, incidentWorkflowId, title: state.title },
      typedSearchAttributes: [
        { key: searchAttributes.incidentId, value: state.incidentId },
        { key: searchAttributes.severity, value: state.severity },
        { key: searchAttributes.service, value: state.service },
      ],
      staticSummary: `Post-incident review of ${state.incidentId}, due ${dueAt}`,
    });
    record('phase', SYSTEM, `Post-incident review ${reviewId} opened; post-mortem due ${dueAt}`);
    await flush();
  }

  await condition(allHandlersFinished);
  state.deadlines = {};
  return state;
}
