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

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly type?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
