import type { Channel } from '../policy/schema';
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
  recipient: { id: string; name: string; email: string; phone?: string };
  channel: Channel;
  subject: string;
  body: string;
  /** Escalation pages: skip when the incident was acknowledged or resolved meanwhile (pages in flight). */
  stopIfAcknowledged?: boolean;
}

export interface DeliveryResult {
  status: 'sent' | 'outbox' | 'duplicate' | 'skipped';
  channel: Channel;
  messageId?: string;
}
