/**
 * The one table from a failure's kind to what `incidentctl` exits with and what the HTTP server
 * answers. Kinds are the workflows' typed failures (ApplicationFailure.type, from the contract) plus
 * the two a caller meets before reaching a workflow: Temporal unavailable, and anything unexpected.
 */
import { ErrorType } from '../contract';

/** Exit codes mean something to scripts calling incidentctl. */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  InvalidInput: 2,
  NotFound: 3,
  Rejected: 4,
  Unavailable: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type FailureKind = ErrorType | 'Unavailable' | 'Unexpected';

export const FAILURES: Record<FailureKind, { exitCode: ExitCode; httpStatus: number }> = {
  [ErrorType.InvalidInput]: { exitCode: ExitCode.InvalidInput, httpStatus: 400 },
  [ErrorType.NotFound]: { exitCode: ExitCode.NotFound, httpStatus: 404 },
  [ErrorType.InvalidTransition]: { exitCode: ExitCode.Rejected, httpStatus: 409 },
  [ErrorType.IncidentResolved]: { exitCode: ExitCode.Rejected, httpStatus: 409 },
  [ErrorType.AlreadySubmitted]: { exitCode: ExitCode.Rejected, httpStatus: 409 },
  [ErrorType.StoreConflict]: { exitCode: ExitCode.Rejected, httpStatus: 409 },
  [ErrorType.DeliveryRejected]: { exitCode: ExitCode.Rejected, httpStatus: 422 },
  [ErrorType.IdentityRequired]: { exitCode: ExitCode.Rejected, httpStatus: 403 },
  [ErrorType.IdentityRejected]: { exitCode: ExitCode.Rejected, httpStatus: 403 },
  [ErrorType.Unauthenticated]: { exitCode: ExitCode.Rejected, httpStatus: 401 },
  [ErrorType.Forbidden]: { exitCode: ExitCode.Rejected, httpStatus: 403 },
  [ErrorType.ApprovalNotVerified]: { exitCode: ExitCode.Rejected, httpStatus: 403 },
  Unavailable: { exitCode: ExitCode.Unavailable, httpStatus: 503 },
  Unexpected: { exitCode: ExitCode.Unexpected, httpStatus: 500 },
};

/** A workflow's failure type as a kind: an unknown or missing type is a rejected transition. */
export function kindOf(type: string | null | undefined): FailureKind {
  return type && type in FAILURES ? (type as FailureKind) : ErrorType.InvalidTransition;
}

/** What the CLI and the HTTP server throw and catch: a message for people and a kind for code. */
export class IncidentError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
  ) {
    super(message);
    this.name = 'IncidentError';
  }
  get exitCode(): ExitCode {
    return FAILURES[this.kind].exitCode;
  }
  get httpStatus(): number {
    return FAILURES[this.kind].httpStatus;
  }
}
