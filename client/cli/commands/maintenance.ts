import type { Command } from 'commander';
import { z } from 'zod';
import type { MaintenanceWindow } from '../../../contract';
import { durationMs } from '../../../policy/duration';
import { maintenanceRequest, startMaintenance } from '../../maintenance';
import { asPerson, apiCall, actingStoreRequest, cliConfig, globals, output, parseOptions, storeRequest, withClient } from '../context';

const startSchema = z.object({
  service: z.string({ message: 'required: which service' }).trim().min(1, 'must not be empty'),
  for: z
    .string({ message: 'required: how long, e.g. 2h' })
    .regex(/^\d+(m|h|d)$/, 'expected a duration such as 30m, 2h or 1d')
    .transform((d) => durationMs(d) / 60_000)
    .pipe(maintenanceRequest.shape.minutes),
  reason: z.string({ message: 'required: why' }).trim().min(1, 'must not be empty'),
});

const describe = (w: MaintenanceWindow) =>
  `${w.id.padEnd(6)} ${w.service.padEnd(16)} ${w.from} → ${w.endedAt ?? w.to}  ${w.reason} (by ${w.createdBy}${w.endedBy ? `; ended by ${w.endedBy}` : ''})`;

export function register(program: Command): void {
  const maintenance = program
    .command('maintenance')
    .description('alerts of a service in maintenance page nobody: maintenance start|list|end');
  maintenance
    .command('start')
    .description('start a window now: alerts of the service are recorded and page nobody until it ends')
    .option('--service <name>', 'the service (a service of the policy, when it has teams)')
    .option('--for <duration>', 'how long: 30m, 2h, 1d (at most a week); it ends on time by itself')
    .option('-r, --reason <text>', 'why')
    .action(async (raw: unknown, command: Command) => {
      const o = parseOptions(startSchema, raw);
      const request = { service: o.service, minutes: o.for, reason: o.reason };
      const g = globals(command);
      const window = await asPerson(
        g,
        () => apiCall<MaintenanceWindow>('POST', '/api/v1/maintenance', request),
        (by) => withClient(g, (client) => startMaintenance(client, cliConfig().TASK_QUEUE, { ...request, by })),
      );
      output(
        g,
        window,
        `${window.id}: ${window.service} in maintenance until ${window.to}; alerts page nobody (incidentctl maintenance end ${window.id})`,
      );
    });
  maintenance
    .command('list')
    .description('windows in force or to come')
    .action(async (_raw: unknown, command: Command) => {
      const g = globals(command);
      const windows = await storeRequest<MaintenanceWindow[]>(g, 'maintenanceListWorkflow', undefined);
      output(g, windows, windows.length ? windows.map(describe).join('\n') : 'No maintenance windows.');
    });
  maintenance
    .command('end')
    .description('end a window now: alerts page again')
    .argument('<window-id>', 'e.g. M-3')
    .action(async (id: string, _raw: unknown, command: Command) => {
      const g = globals(command);
      const { windowId } = parseOptions(
        z.object({ windowId: z.string().regex(/^M-\d+$/i, 'expected a window id such as M-3') }),
        { windowId: id },
        ['windowId'],
      );
      const ended = await actingStoreRequest<MaintenanceWindow>(g, `/api/v1/maintenance/${windowId}/end`, 'maintenanceEndWorkflow', {
        id: windowId,
      });
      output(g, ended, `${ended.id} ended: alerts of ${ended.service} page again`);
    });
  for (const sub of maintenance.commands) sub.exitOverride();
}
