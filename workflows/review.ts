import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { durationMs } from '../policy/duration';
import {
  ErrorType,
  refreshDraftUpdate,
  reviewStateQuery,
  submitPostMortemUpdate,
  type ReviewInput,
  type ReviewState,
  type SubmitPostMortemArgs,
} from '../contract';
import { incompleteSections } from './postmortem';
import { verifiedActor, type VerifyActivity } from './identity';
import { resolveTargets, type Recipient } from '../policy/recipients';
import { nowIso } from './clock';

type Activities = ReturnType<typeof createActivities>;
const options: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: [ErrorType.NotFound, ErrorType.DeliveryRejected],
  },
};
const acts = proxyActivities<Activities>(options);

/** Emails one person about the review, once per dedup key (the incident's page ledger). */
function mail(input: ReviewInput, r: Recipient, dedupKey: string, subject: string, body: string, summary: string): Promise<unknown> {
  return acts.deliver
    .executeWithOptions({ ...options, summary }, [
      {
        incidentNumber: input.incidentNumber,
        incidentId: input.incidentId,
        dedupKey,
        kind: 'notification',
        recipient: { id: r.contact.id, name: r.contact.name, email: r.contact.email },
        channel: 'email',
        subject,
        body,
      },
    ])
    .catch(() => undefined); // a failure is recorded in the ledger; the review goes on
}

/**
 * The post-mortem of one incident: drafted from the store on resolution, reminded by durable
 * timers (first reminder, the due time, then daily with the overdue copy list), and closed by a
 * submission whose required sections are filled. It outlives the incident workflow.
 */
export async function reviewWorkflow(input: ReviewInput): Promise<ReviewState> {
  const { policy } = input;
  const resolvedMs = Date.parse(input.resolvedAt);
  const dueMs = resolvedMs + durationMs(policy.review.due);
  const state: ReviewState = input.carried ?? {
    incidentId: input.incidentId,
    status: 'pending',
    dueAt: new Date(dueMs).toISOString(),
    draft: '',
    reminders: [],
  };
  let submission: SubmitPostMortemArgs | undefined;

  const draft = async () => {
    state.draft = await acts.draftPostMortem.executeWithOptions(
      { ...options, summary: `Draft the post-mortem of ${input.incidentId} from its timeline` },
      [{ incidentNumber: input.incidentNumber, template: policy.templates.postMortem, dueAt: state.dueAt }],
    );
  };

  setHandler(reviewStateQuery, () => state);
  setHandler(refreshDraftUpdate, async () => {
    if (state.status === 'pending') await draft();
    return state;
  });
  // A submission with a proof waits for a worker to check it; meanwhile a second one is refused.
  let checking = false;
  const verify: VerifyActivity = (check) =>
    acts.verifyActor.executeWithOptions({ ...options, summary: `Verify who submits the post-mortem: ${check.proof.person}` }, [check]);
  setHandler(
    submitPostMortemUpdate,
    async (args) => {
      checking = true;
      try {
        const actor = await verifiedActor(verify, [], 'submit-postmortem', args, input.incidentId);
        submission = { ...args, by: actor.name };
        state.submittedVia = actor.via;
      } finally {
        checking = false;
      }
      await condition(() => state.status === 'submitted');
      return state;
    },
    {
      validator: (args: SubmitPostMortemArgs) => {
        if (state.status === 'submitted' || submission || checking) {
          throw ApplicationFailure.nonRetryable(
            `the post-mortem of ${input.incidentId} was already submitted by ${state.submittedBy ?? submission?.by}`,
            ErrorType.AlreadySubmitted,
          );
        }
        if (typeof args?.by !== 'string' || !args.by.trim())
          throw ApplicationFailure.nonRetryable('by must not be empty', ErrorType.InvalidInput);
        if (typeof args.markdown !== 'string' || !args.markdown.trim())
          throw ApplicationFailure.nonRetryable('the post-mortem is empty', ErrorType.InvalidInput);
        const missing = incompleteSections(args.markdown, policy.review.requiredSections);
        if (missing.length) {
          throw ApplicationFailure.nonRetryable(
            `required sections are still empty or hold template placeholders: ${missing.join(', ')}`,
            ErrorType.InvalidInput,
          );
        }
      },
    },
  );

  if (!state.draft) await draft();

  // Reminder n: the first after `firstReminder`, the second at the due time, then every `overdueEvery`.
  const reminderAt = (n: number) =>
    n === 1 ? resolvedMs + durationMs(policy.review.firstReminder) : dueMs + (n - 2) * durationMs(policy.review.overdueEvery);
  while (!submission) {
    const n = state.reminders.length + 1;
    const overdue = n > 2;
    const wait = Math.max(reminderAt(n) - Date.now(), 1);
    if (
      await condition(() => submission !== undefined, wait, {
        summary: `Post-mortem reminder #${n}${overdue ? ' (overdue)' : n === 2 ? ' (due now)' : ''}`,
      })
    )
      break;

    const targets = [...policy.review.remind, ...(overdue ? policy.review.overdueCopy : [])];
    const { recipients } = resolveTargets(policy, targets, { nowMs: Date.now(), commander: input.commander });
    const subject = `[${input.severity}] ${input.incidentId} post-mortem ${overdue ? 'OVERDUE' : n === 2 ? 'due now' : 'reminder'}: ${input.title}`;
    const body = [
      `The post-mortem of ${input.incidentId} (${input.title}) is due ${state.dueAt}.`,
      overdue ? `It is overdue; ${policy.review.overdueCopy.join(', ')} copied.` : '',
      '',
      'Get the draft, fill it in, and submit it:',
      `  incidentctl postmortem ${input.incidentId} --out ${input.incidentId}.md`,
      `  incidentctl postmortem ${input.incidentId} --submit ${input.incidentId}.md`,
    ].join('\n');
    await Promise.all(
      recipients.map((r) =>
        mail(input, r, `review-reminder:${n}:${r.contact.id}`, subject, body, `Post-mortem reminder #${n} to ${r.contact.name} (${r.via})`),
      ),
    );
    state.reminders.push({ n, at: nowIso(), overdue, to: recipients.map((r) => r.contact.id) });
    await acts.recordReminder({ incidentNumber: input.incidentNumber, n });
    if (workflowInfo().continueAsNewSuggested && !submission) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof reviewWorkflow>({ ...input, carried: state });
    }
  }

  const submitted = submission!;
  const at = nowIso();
  await acts.submitPostMortem.executeWithOptions({ ...options, summary: `Store the post-mortem submitted by ${submitted.by}` }, [
    { incidentNumber: input.incidentNumber, by: submitted.by, markdown: submitted.markdown, at },
  ]);
  const { recipients } = resolveTargets(policy, policy.review.distribution, { nowMs: Date.now(), commander: input.commander });
  await Promise.all(
    recipients.map((r) =>
      mail(
        input,
        r,
        `postmortem:${r.contact.id}`,
        `[${input.severity}] ${input.incidentId} post-mortem: ${input.title}`,
        submitted.markdown,
        `Send the post-mortem to ${r.contact.name} (${r.via})`,
      ),
    ),
  );
  Object.assign(state, { status: 'submitted', submittedBy: submitted.by, submittedAt: at, markdown: submitted.markdown });
  // The incident's chat channel has served its purpose; chat trouble never holds the review open.
  if (input.chat)
    await acts.archiveIncidentChat
      .executeWithOptions({ ...options, summary: `Archive the chat channel of ${input.incidentId}`, scheduleToCloseTimeout: '10m' }, [
        { incidentNumber: input.incidentNumber, incidentId: input.incidentId },
      ])
      .catch(() => undefined);
  await condition(allHandlersFinished);
  return state;
}
