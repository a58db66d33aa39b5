import type { Command } from 'commander';
import { ErrorType } from '../../../contract';
import { IncidentError } from '../../failures';
import { apiCall, apiSettings, globals, output } from '../context';

export function register(program: Command): void {
  program
    .command('calendar')
    .description('the secret URL of an iCal feed of on-call shifts: your own, or a schedule’s (needs INCIDENT_TOKEN)')
    .option('--schedule <id>', 'a schedule of the policy instead of your own shifts')
    .action(async (raw: { schedule?: string }, command: Command) => {
      const g = globals(command);
      // A feed's URL is a credential: only the API hands it out, to a verified person.
      if (!apiSettings())
        throw new IncidentError('calendar feeds come from the HTTP API: set INCIDENT_API_URL and INCIDENT_TOKEN', ErrorType.InvalidInput);
      const query = raw.schedule ? `?schedule=${encodeURIComponent(raw.schedule)}` : '';
      const feed = await apiCall<{ kind: string; id: string; url: string }>('GET', `/api/v1/calendar${query}`);
      output(
        g,
        feed,
        `${feed.url}\n  subscribe to it in your calendar app; whoever has the URL can read the ${feed.kind === 'schedule' ? 'schedule' : 'shifts'}`,
      );
    });
}
