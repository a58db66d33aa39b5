/** Button and modal ids: Slack's interaction payloads bring them back to the HTTP server. */
export const SLACK_ACTIONS = {
  acknowledge: 'incident.acknowledge',
  escalate: 'incident.escalate',
  resolve: 'incident.resolve',
  note: 'incident.note',
  approve: 'runbook.approve',
  reject: 'runbook.reject',
} as const;
export const SLACK_MODALS = { resolve: 'incident.resolve.modal', note: 'incident.note.modal' } as const;
