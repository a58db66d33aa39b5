/**
 * What the incident worker's activities are given (ActivityDeps), and what they share.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { AckLinkSettings } from '../security/ack-links';
import type { ConnectedPlatforms } from '../chat/activities';
import type { OnCallStore } from '../store/oncall-store';
import { ErrorType, type ActorProof, type ProvenAct } from '../contract';
import type { DeploymentLinks } from '../policy/links';
import type { ResponsePolicy } from '../policy/schema';
import type { Mailer } from '../adapters/mailer';
import { UnknownRecordError, type ReviewStore } from '../store/review-store';
import type { IncidentStore } from '../store/incident-store';
import type { PhoneMessenger } from '../adapters/twilio';

/** A proof to check: for this act, on this workflow and incident, with these arguments. */
export interface ProofCheck {
  proof: ActorProof;
  action: ProvenAct;
  workflowId: string;
  incidentId: string;
  args: object;
}

export interface ActivityDeps {
  store: IncidentStore;
  reviews: ReviewStore;
  /** The worker's validated policy; incidents snapshot it at start. */
  policy: ResponsePolicy;
  /** Absent when no SMTP server is configured: messages then go to the outbox table. */
  mailer?: Mailer;
  /** Rotation overrides; absent = the rotation alone. */
  oncall?: OnCallStore;
  /** Signed acknowledge links in email pages; absent = no links. */
  ackLinks?: AckLinkSettings;
  /** This deployment's addresses for the links in messages (policy/links.ts). */
  links?: DeploymentLinks;
  /** SMS and voice; absent without Twilio credentials: those pages then go to the outbox table. */
  phone?: PhoneMessenger;
  /** Checks the HTTP server's proofs of who acts; absent = every proof is refused (actions are unverified). */
  identitySecret?: string;
  /** The chat platforms this worker is connected to (chat/registry.ts); none = incidents open without a chat lane. */
  chat?: ConnectedPlatforms;
  /** After this many failed SMTP attempts a message is parked in the outbox instead of retried forever. */
  outboxAfterAttempts?: number;
}

/** Unknown ids are bad input: retrying cannot help. */
export async function known<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UnknownRecordError) throw ApplicationFailure.nonRetryable(error.message, ErrorType.NotFound);
    throw error;
  }
}
