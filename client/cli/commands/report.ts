import type { Command } from 'commander';
import { z } from 'zod';
import { REPORT_GROUPS, type GroupReport, type SeverityReport } from '../../../contract';
import { durationMs, formatDuration } from '../../../policy/duration';
import { globals, output, parseOptions, storeRequest } from '../context';

const schema = z.object({
  since: z
    .string()
    .regex(/^\d+[smhd]$/, 'expected a duration such as 30d, 12h or 90m')
    .default('30d'),
  by: z.enum(REPORT_GROUPS, { message: `expected one of ${REPORT_GROUPS.join(', ')}` }).default('severity'),
});
const fmt = (seconds: number | null) => (seconds === null ? '-' : formatDuration(seconds * 1000));

export function register(program: Command): void {
  program
    .command('report')
    .description('per severity (or team, or service): counts, MTTA and MTTR (median, p90), SLA breaches, post-mortems, open action items')
    .option('--since <duration>', 'look back this far, e.g. 30d', '30d')
    .option('--by <group>', `group incidents by ${REPORT_GROUPS.join(', ')}`, 'severity')
    .action(async (raw: unknown, command: Command) => {
      const { since, by } = parseOptions(schema, raw);
      const g = globals(command);
      const rows = await storeRequest<(SeverityReport | GroupReport)[]>(g, 'reportWorkflow', {
        sinceSeconds: durationMs(since) / 1000,
        by,
      });
      const name = (r: SeverityReport | GroupReport) => ('severity' in r ? r.severity : r.group);
      const width = Math.max(4, ...rows.map((r) => name(r).length + 1));
      const first = { severity: 'SEV', team: 'TEAM', service: 'SERVICE' }[by];
      const header = `${first.padEnd(width)} COUNT  MTTA p50/p90     MTTR p50/p90     ACK-BREACH  PHASE-BREACH               STATUS-PAGE  PM on-time/late/missing/pending  OPEN-ACTIONS`;
      const lines = rows.map((r) =>
        [
          name(r).padEnd(width),
          String(r.incidents).padEnd(6),
          `${fmt(r.mttaSeconds.p50)}/${fmt(r.mttaSeconds.p90)}`.padEnd(16),
          `${fmt(r.mttrSeconds.p50)}/${fmt(r.mttrSeconds.p90)}`.padEnd(16),
          String(r.slaBreaches.ack).padEnd(11),
          (
            Object.entries(r.slaBreaches.byPhase)
              .map(([p, n]) => `${p}:${n}`)
              .join(',') || '-'
          ).padEnd(26),
          String(r.slaBreaches.statusPage).padEnd(12),
          `${r.postMortems.onTime}/${r.postMortems.late}/${r.postMortems.missing}/${r.postMortems.pending}`.padEnd(32),
          String(r.openActionItems),
        ].join(' '),
      );
      const data = by === 'severity' ? { since, severities: rows } : { since, by, groups: rows };
      output(g, data, [`Incidents declared in the last ${since}`, header, ...lines].join('\n'));
    });
}
