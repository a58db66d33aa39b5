#!/usr/bin/env node
// incidentctl: declare, ack, escalate, note, advance and resolve incidents.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../config/env';
import { ErrorType } from '../../contract';
import { IncidentError, ExitCode } from '../failures';
import { setCliIo, type CliIo } from './context';
import { describeFailure } from './errors';
import { completionScript, SHELLS } from './completion';
import { version } from '../../package.json';
import * as ack from './commands/ack';
import * as approve from './commands/approve';
import * as reject from './commands/reject';
import * as override from './commands/override';
import * as impact from './commands/impact';
import * as runbook from './commands/runbook';
import * as action from './commands/action';
import * as digest from './commands/digest';
import * as postmortem from './commands/postmortem';
import * as report from './commands/report';
import * as advance from './commands/advance';
import * as commander from './commands/commander';
import * as declare from './commands/declare';
import * as escalate from './commands/escalate';
import * as list from './commands/list';
import * as note from './commands/note';
import * as oncall from './commands/oncall';
import * as schedule from './commands/schedule';
import * as page from './commands/page';
import * as maintenance from './commands/maintenance';
import * as swap from './commands/swap';
import * as calendar from './commands/calendar';
import * as resolve from './commands/resolve';
import * as severity from './commands/severity';
import * as show from './commands/show';
import * as update from './commands/update';
import * as token from './commands/token';
import * as integration from './commands/integration';
import * as inbox from './commands/inbox';

export function buildProgram(io: CliIo): Command {
  const program = new Command('incidentctl')
    .description('Incident response from the command line: every incident is a durable Temporal workflow.')
    .option('--json', 'machine-readable output')
    .option('--as <name>', 'act as this person (default: your OS user)')
    .option('--address <host:port>', 'Temporal server (default: TEMPORAL_ADDRESS or 127.0.0.1:7233)')
    .option('--namespace <ns>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)')
    .version(version, '-V, --version')
    .showHelpAfterError()
    // Every subcommand's help lists the global flags too (--json, --as, --address, --namespace).
    .configureHelp({ showGlobalOptions: true })
    // Help and usage errors go where the run's output goes (subcommands inherit it).
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .exitOverride();
  for (const command of [
    declare,
    list,
    show,
    ack,
    inbox,
    escalate,
    page,
    severity,
    note,
    commander,
    advance,
    resolve,
    postmortem,
    action,
    digest,
    report,
    oncall,
    schedule,
    calendar,
    override,
    swap,
    maintenance,
    update,
    impact,
    runbook,
    approve,
    reject,
    token,
    integration,
  ]) {
    command.register(program);
  }
  program
    .command('completion')
    .description(`print a shell completion script: ${SHELLS.join(', ')} (e.g. source <(incidentctl completion bash))`)
    .argument('<shell>', SHELLS.join(' | '))
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new IncidentError(`<shell>: one of ${SHELLS.join(', ')} (got "${shell}")`, ErrorType.InvalidInput);
      io.stdout(completionScript(program, shell as (typeof SHELLS)[number]));
    });
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/**
 * Runs one command line and returns its exit code; the one error handler: every failure becomes a
 * message on stderr and a meaningful exit code. Tests call it in-process with their own I/O.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  setCliIo(io);
  try {
    await buildProgram(io).parseAsync(argv);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not failures; usage errors were already printed by commander.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidInput;
    }
    const json = argv.includes('--json');
    const flag = (name: string) => {
      const i = argv.indexOf(name);
      return i >= 0 ? argv[i + 1] : undefined;
    };
    const known =
      error instanceof IncidentError
        ? error
        : error instanceof ConfigError
          ? new IncidentError(error.message, ErrorType.InvalidInput)
          : describeFailure(error, {
              address: flag('--address') ?? io.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
              namespace: flag('--namespace') ?? io.env.TEMPORAL_NAMESPACE,
              taskQueue: io.env.TASK_QUEUE,
            });
    const message = known?.message ?? `unexpected error: ${(error as Error).stack ?? String(error)}`;
    const code = known?.exitCode ?? ExitCode.Unexpected;
    if (json) io.stderr(`${JSON.stringify({ error: message, type: known?.kind, exitCode: code })}\n`);
    else io.stderr(`incidentctl: ${message}\n`);
    return code;
  }
}
