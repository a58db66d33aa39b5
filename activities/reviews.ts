/**
 * The review's store work: post-mortem drafts and submissions, reminders, action items, the report,
 * the weekly digest and the end-of-day summary.
 */
import type { ActionItem, Digest, EndOfDaySummary, GroupReport, SeverityReport } from '../contract';
import { renderDraft } from './postmortem-draft';
import type { NewActionItem } from '../store/review-store';
import { known, type ActivityDeps } from './deps';

export function createReviewActivities(deps: ActivityDeps) {
  return {
    /** What the end-of-day summary says, at `now` in the policy's time zone. */
    collectEndOfDay(input: { now: string; timeZone: string }): Promise<EndOfDaySummary> {
      return deps.reviews.endOfDay(input.now, input.timeZone);
    },

    async draftPostMortem(input: { incidentNumber: number; template: string; dueAt: string }): Promise<string> {
      const draft = renderDraft(input.template, await known(() => deps.reviews.draftData(input.incidentNumber)));
      await deps.reviews.saveDraft(input.incidentNumber, input.dueAt, draft);
      return draft;
    },

    async submitPostMortem(input: { incidentNumber: number; by: string; markdown: string; at: string }): Promise<void> {
      await deps.reviews.submit(input.incidentNumber, input.by, input.markdown, input.at);
    },

    async recordReminder(input: { incidentNumber: number; n: number }): Promise<void> {
      await deps.reviews.recordReminder(input.incidentNumber, input.n);
    },

    addActionItem(input: NewActionItem): Promise<ActionItem> {
      return known(() => deps.reviews.addActionItem(input));
    },

    listActionItems(input: { incidentId?: string; openOnly?: boolean }): Promise<ActionItem[]> {
      return deps.reviews.listActionItems(input);
    },

    completeActionItem(input: { id: string; by: string }): Promise<ActionItem> {
      return known(() => deps.reviews.completeActionItem(input.id, input.by));
    },

    incidentReport(input: { sinceSeconds: number; now: string }): Promise<SeverityReport[]> {
      return deps.reviews.report(input.sinceSeconds, input.now);
    },

    /** The same figures per team or service. */
    incidentReportBy(input: { sinceSeconds: number; now: string; by: 'team' | 'service' }): Promise<GroupReport[]> {
      return deps.reviews.reportBy(input.sinceSeconds, input.now, input.by);
    },

    collectDigest(input: { now: string }): Promise<Digest> {
      return deps.reviews.digest(input.now);
    },
  };
}
