import type { IncidentState, Severity, IncidentSource, TimelineEvent, PhaseRecord, SlaBreach } from '../workflows/definitions';

export interface RegisterIncidentInput {
  workflowId: string;
  firstRunId: string;
  title: string;
  severity: Severity;
  service: string;
  source: IncidentSource;
  declaredBy: string;
  declaredAt: string;
}

export interface IncidentSnapshot {
  number: number;
  state: Omit<IncidentState, 'timeline' | 'phases' | 'breaches'>;
  events: TimelineEvent[];
  phases: PhaseRecord[];
  breaches: SlaBreach[];
}

export type MessageKind = 'page' | 'notification';

export interface OutboundMessage {
  incidentNumber: number;
  incidentId: string;
  /** Unique per incident: the ledger key that makes a retried or replayed send a no-op. */
  dedupKey: string;
  kind: MessageKind;
  recipient: { id: string; name: string; email: string };
  channel: 'email';
  subject: string;
  body: string;
}

export interface DeliveryResult {
  status: 'sent' | 'outbox' | 'duplicate';
  channel: 'email';
  messageId?: string;
}
