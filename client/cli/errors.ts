/**
 * Failures that reach the CLI from gRPC and the Temporal client, as one line for people: an unreachable
 * server, an unknown namespace, a store request no worker answered. Anything else stays "unexpected".
 */
import { ErrorType } from '../../contract';
import { IncidentError } from '../failures';

/** gRPC status codes (grpc.status): what the server answered. */
const GRPC = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNAVAILABLE: 14 } as const;

const grpcCode = (error: unknown): number | undefined => {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (typeof e.code === 'number') return e.code;
  return undefined;
};

export function describeFailure(
  error: unknown,
  where: { address?: string; namespace?: string; taskQueue?: string },
): IncidentError | undefined {
  const message = (error as Error)?.message ?? String(error);
  const name = (error as Error)?.name;
  if (
    name === 'NamespaceNotFoundError' ||
    /namespace .* (is )?not found/i.test(message) ||
    (grpcCode(error) === GRPC.NOT_FOUND && /namespace/i.test(message))
  )
    return new IncidentError(
      `no namespace "${where.namespace ?? 'default'}" on the Temporal server at ${where.address ?? '?'}`,
      ErrorType.NotFound,
    );
  const code = grpcCode(error);
  if (code === GRPC.UNAVAILABLE || code === GRPC.DEADLINE_EXCEEDED || /ECONNREFUSED|Connection refused/i.test(message))
    return new IncidentError(
      `the Temporal server at ${where.address ?? '?'} did not answer (${message.split('\n')[0]}). Is \`npm start\` running?`,
      'Unavailable',
    );
  if (name === 'WorkflowFailedError' && /timed out/i.test(message))
    return new IncidentError(
      `no worker answered on task queue "${where.taskQueue ?? 'incidents'}" within a minute: is a worker running (npm start, npm run worker), and up to date?`,
      'Unavailable',
    );
  return undefined;
}
