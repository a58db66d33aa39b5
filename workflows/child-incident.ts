/**
 * An incident opened by a long-running watcher (the monitoring Watchdog, a heartbeat) as a child it
 * abandons: the incident lives on its own, with the memo and search attributes the CLI and the Web UI
 * find incidents by.
 */
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { INCIDENT_WORKFLOW_TYPE, searchAttributes, type IncidentInput } from '../contract';

export async function startIncidentChild(workflowId: string, incident: IncidentInput): Promise<void> {
  await startChild(INCIDENT_WORKFLOW_TYPE, {
    workflowId,
    args: [incident],
    memo: { title: incident.title },
    typedSearchAttributes: [
      { key: searchAttributes.severity, value: incident.severity },
      { key: searchAttributes.service, value: incident.service },
      { key: searchAttributes.phase, value: 'detect' },
      { key: searchAttributes.status, value: 'open' },
      { key: searchAttributes.title, value: incident.title },
    ],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: incident.title,
  });
}
