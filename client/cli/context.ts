import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../config/env';
import { temporalConnection } from '../../config/temporal-connection';
import type { IncidentState } from '../../contract';
import { CONTROL_CHARACTERS, ErrorType } from '../../contract';
import { IncidentError } from '../failures';
import type { Client } from '@temporalio/client';
import { connect, findIncident, runStoreWorkflow, type IncidentRef } from '../temporal';
import { formatState } from './format';

/** Where a run of the CLI reads its settings and writes its output: the process, or a test calling run(). */
export interface CliIo {
  env: Record<string, string | undefined>;
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

/** Connects for one command and always closes the connection afterwards. */
export async function withClient<T>(options: GlobalOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const client = await connect({
    ...temporalConnection({ ...config, TEMPORAL_ADDRESS: options.address ?? config.TEMPORAL_ADDRESS }),
    namespace: options.namespace ?? config.TEMPORAL_NAMESPACE,
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
