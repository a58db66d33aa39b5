import type { Command } from 'commander';
import { z } from 'zod';
import { ErrorType, type IntegrationRecord } from '../../../contract';
import { IncidentError } from '../../failures';
import { integrationRequest } from '../../integrations';
import { apiCall, apiSettings, globals, output, parseOptions } from '../context';

type Created = IntegrationRecord & { key: string; url: string };

const table = (all: IntegrationRecord[]) =>
  all.length === 0
    ? 'No integrations.'
    : ['ID            NAME                 KIND       SERVICE          RATE/MIN  LAST EVENT           REVOKED']
        .concat(
          all.map((i) =>
            [
              i.id.padEnd(13),
              i.name.slice(0, 20).padEnd(20),
              i.kind.padEnd(10),
              i.service.slice(0, 16).padEnd(16),
              String(i.ratePerMinute).padEnd(9),
              (i.lastEventAt?.slice(0, 19) ?? '-').padEnd(20),
              i.revokedAt?.slice(0, 19) ?? '-',
            ].join(' '),
          ),
        )
        .join('\n');

/** Integrations are managed through the API only, by admins: keys never pass through Temporal. */
function requireApi(): void {
  if (!apiSettings())
    throw new IncidentError(
      'integrations are managed through the HTTP API: set INCIDENT_API_URL and INCIDENT_TOKEN (an admin’s)',
      ErrorType.InvalidInput,
    );
}

export function register(program: Command): void {
  const integration = program
    .command('integration')
    .description('monitors that raise incidents with a key of their own (the Events API v2): integration add|list|remove');
  integration
    .command('add')
    .description('a new integration for a service: its key is shown once (paste it as the routing key)')
    .option('--name <name>', 'what sends the events, e.g. grafana')
    .option('--service <service>', 'the service its events are about (its team is paged)')
    .option(
      '--kind <kind>',
      'events-v2 (PagerDuty Events API v2), heartbeat (pinged at a secret URL), grafana (Grafana Alerting webhook) or webhook (any JSON, by a policy mapping)',
      'events-v2',
    )
    .option('--rate <per-minute>', 'events accepted per minute; past it, 429', '120')
    .option('--every <duration>', 'heartbeat: how often it pings, e.g. 1h')
    .option('--grace <duration>', 'heartbeat: how late a ping may be before the silence opens an incident, e.g. 10m', '0s')
    .option('--severity <P0..P3>', "heartbeat: the silence's severity (P3 resolves itself at the next ping)", 'P3')
    .option('--mapping <id>', "webhook: which of the policy's webhookMappings reads its JSON, e.g. uptimerobot")
    .action(
      async (
        raw: {
          name?: string;
          service?: string;
          kind?: string;
          rate?: string;
          every?: string;
          grace?: string;
          severity?: string;
          mapping?: string;
        },
        command: Command,
      ) => {
        const { rate: ratePerMinute } = parseOptions(
          z.object({
            rate: z.coerce.number({ message: 'a whole number' }).int('a whole number').min(1, 'at least 1').max(10_000, 'at most 10000'),
          }),
          { rate: raw.rate },
        );
        const request = {
          name: raw.name,
          service: raw.service,
          kind: raw.kind,
          ratePerMinute,
          ...(raw.kind === 'heartbeat' ? { every: raw.every, grace: raw.grace, severity: raw.severity?.toUpperCase() } : {}),
          ...(raw.kind === 'webhook' ? { mapping: raw.mapping } : {}),
        };
        // Checked here for an answer naming the option; the server checks the same again.
        parseOptions(integrationRequest, request);
        requireApi();
        const created = await apiCall<Created>('POST', '/api/v1/integrations', request);
        output(
          globals(command),
          created,
          created.kind === 'grafana' || created.kind === 'webhook'
            ? `${created.id} ${created.name} (${created.kind}${created.mapping ? `, mapping ${created.mapping}` : ''}) for service ${created.service}\n  URL: ${created.url}\nShown once: the URL is the secret. Paste it as the webhook's URL (POST, JSON).`
            : created.kind === 'heartbeat'
              ? `${created.id} ${created.name} (heartbeat) for service ${created.service}\n  ping URL: ${created.url}\nShown once: the URL is the secret. GET or POST it every ${raw.every}; silence past ${raw.every} + ${raw.grace} opens a ${created.heartbeat?.severity} incident.`
              : `${created.id} ${created.name} (${created.kind}) for service ${created.service}\n  URL:         ${created.url}\n  routing key: ${created.key}\nShown once: paste the key where the monitor asks for a PagerDuty integration or routing key.`,
        );
      },
    );
  integration
    .command('list')
    .description('integrations, with when each last sent an event (never their keys)')
    .action(async (_raw: unknown, command: Command) => {
      requireApi();
      const all = await apiCall<IntegrationRecord[]>('GET', '/api/v1/integrations');
      output(globals(command), all, table(all));
    });
  integration
    .command('remove')
    .description('revoke an integration: its key is refused from then on (within 10 seconds)')
    .argument('<integration-id>', 'e.g. int_1a2b3c4d')
    .action(async (id: string, _raw: unknown, command: Command) => {
      requireApi();
      const revoked = await apiCall<IntegrationRecord>('DELETE', `/api/v1/integrations/${encodeURIComponent(id)}`);
      output(globals(command), revoked, `${revoked.id} (${revoked.name}) revoked: its key is refused`);
    });
  for (const sub of integration.commands) sub.exitOverride();
}
