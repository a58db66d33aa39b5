import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../config/env';
import { temporalConnection } from '../../config/temporal-connection';
import { dataConverter } from '../../config/payload-keys';
import type { IncidentState } from '../../contract';
import { CONTROL_CHARACTERS, ErrorType } from '../../contract';
import { FAILURES, IncidentError, type FailureKind } from '../failures';
import { performAction } from '../actions';
import type { Action } from '../../contract';
import type { Client } from '@temporalio/client';
import { connect, findIncident, runStoreWorkflow, type IncidentRef } from '../temporal';
import { formatState } from './format';

/** Where a run of the CLI reads its settings and writes its output: the process, or a test calling run(). */
export interface CliIo {
  env: Record<string, string | undefined>;
  /** Colour is for terminals: bin.ts sets it when stdout is a TTY and NO_COLOR is not set. */
  colour?: boolean;
  stdout(text: string): void;
  stderr(text: string): void;
}

let io: CliIo | undefined;
/** Set by run() for the command it runs (one command at a time per process). */
export function setCliIo(next: CliIo): void {
  io = next;
}
export const cliIo = (): CliIo => {
  if (!io) throw new Error('incidentctl: run() sets the I/O before any command runs');
  return io;
};
/** The settings, read from the run's environment and validated once per command. */
export const cliConfig = () => loadConfig(cliIo().env);

export interface GlobalOptions {
  json?: boolean;
  as?: string;
  address?: string;
  namespace?: string;
}

/** Parses options with zod; the error names the offending option. */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown, positional: string[] = []): z.infer<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? 'input');
    const field = positional.includes(key) ? `<${key}>` : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new IncidentError(`${field}: ${issue.message}`, ErrorType.InvalidInput);
  }
  return result.data;
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Who is acting: --as, else the OS user. Recorded on the timeline. */
export function actor(options: GlobalOptions): string {
  const name = (options.as ?? os.userInfo().username).trim();
  if (!name) throw new IncidentError('--as must not be empty', ErrorType.InvalidInput);
  if (CONTROL_CHARACTERS.test(name)) throw new IncidentError('--as must be one line without control characters', ErrorType.InvalidInput);
  return name;
}

/** The authenticated API, when INCIDENT_API_URL and INCIDENT_TOKEN are both set. */
export function apiSettings(): { url: string; token: string } | undefined {
  const config = cliConfig();
  return config.INCIDENT_API_URL && config.INCIDENT_TOKEN
    ? { url: config.INCIDENT_API_URL.replace(/\/$/, ''), token: config.INCIDENT_TOKEN }
    : undefined;
}

/** A call to the HTTP API as the token's person; its failures become IncidentErrors of their kind. */
export function apiCall<T>(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T> {
  const api = apiSettings()!;
  return apiCallTo<T>(api.url, api.token, method, route, body);
}

/** A call to the HTTP API at `url`, with a token or (the first admin's bootstrap) without. */
export async function apiCallTo<T>(
  url: string,
  token: string | undefined,
  method: 'GET' | 'POST' | 'DELETE',
  route: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${url}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new IncidentError(`cannot reach the API at ${url}: ${(error as Error).message}`, 'Unavailable');
  }
  const answer = (await response.json().catch(() => ({}))) as { error?: string; kind?: string };
  if (!response.ok) {
    const kind =
      answer.kind && answer.kind in FAILURES ? (answer.kind as FailureKind) : response.status >= 500 ? 'Unavailable' : 'Unexpected';
    throw new IncidentError(answer.error ?? `the API answered ${response.status}`, kind);
  }
  return answer as T;
}

/**
 * Who acts: through the API as the token's person when one is configured (verified, "token"), else
 * directly over Temporal as `--as` or the OS user (recorded "unverified").
 */
export function asPerson<T>(options: GlobalOptions, throughApi: () => Promise<T>, direct: (by: string) => Promise<T>): Promise<T> {
  if (apiSettings()) {
    if (options.as) throw new IncidentError('--as cannot be used with an API token: the token says who you are', ErrorType.InvalidInput);
    return throughApi();
  }
  return direct(actor(options));
}

/** Does `action` on incident `id` as the person `asPerson` finds. */
export function act<T>(options: GlobalOptions, id: string, action: Action, args: Record<string, unknown>): Promise<T> {
  return asPerson(
    options,
    () => apiCall<T>('POST', `/api/v1/incidents/${encodeURIComponent(id)}/${action}`, args),
    (by) => withClient(options, (client) => performAction<T>(client, id, action, { ...args, by })),
  );
}

/** A store request that records who asked: through the API's `route` with a token, else the store workflow directly. */
export function actingStoreRequest<T>(
  options: GlobalOptions,
  route: string,
  workflowType: string,
  request: Record<string, unknown>,
): Promise<T> {
  return asPerson(
    options,
    () => apiCall<T>('POST', route, request),
    (by) => storeRequest<T>(options, workflowType, { ...request, by }),
  );
}

/** Connects for one command and always closes the connection afterwards. */
export async function withClient<T>(options: GlobalOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const client = await connect({
    ...temporalConnection({ ...config, TEMPORAL_ADDRESS: options.address ?? config.TEMPORAL_ADDRESS }),
    namespace: options.namespace ?? config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(config),
  });
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

export function withIncident<T>(options: GlobalOptions, id: string, fn: (ref: IncidentRef) => Promise<T>): Promise<T> {
  return withClient(options, async (client) => fn(await findIncident(client, id)));
}

/** Runs one of the worker's short store workflows (the CLI itself needs no database). */
export function storeRequest<T>(options: GlobalOptions, workflowType: string, arg: unknown): Promise<T> {
  return withClient(options, (client) => runStoreWorkflow<T>(client, workflowType, arg, cliConfig().TASK_QUEUE));
}

export function output(options: GlobalOptions, data: unknown, human: string): void {
  cliIo().stdout(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
}

export function outputState(options: GlobalOptions, state: IncidentState, headline: string): void {
  output(options, state, `${headline}\n\n${formatState(state, { timelineTail: 5 })}`);
}

/** `--watch [seconds]`: absent, or how often to look again (2 s by default). */
export const watchOption = z
  .union([z.literal(true).transform(() => 2), z.coerce.number().min(0.2, 'at least 0.2 seconds').max(3600)])
  .optional();

/**
 * Prints a frame now and again each time it changes, looking every `seconds`, until Ctrl-C or until
 * `frame` says it is final (a resolved incident). On a terminal each frame replaces the last.
 */
export async function watchFrames(
  options: GlobalOptions,
  seconds: number,
  frame: () => Promise<{ data: unknown; human: string; final?: boolean }>,
): Promise<void> {
  let last = '';
  for (;;) {
    const next = await frame();
    const text = options.json ? JSON.stringify(next.data) : next.human;
    if (text !== last) {
      if (!options.json && cliIo().colour) cliIo().stdout('\x1b[2J\x1b[H');
      cliIo().stdout(`${text}\n`);
      last = text;
    }
    if (next.final) return;
    await new Promise((r) => setTimeout(r, seconds * 1000));
  }
}
