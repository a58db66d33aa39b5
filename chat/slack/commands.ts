/**
 * `/incident` as people type it in Slack, parsed (pure): which action, on which incident, with which
 * arguments. The incident id may be left out in the incident's own channel.
 */
import { PHASES, SEVERITIES, type Action, type Severity } from '../../contract';

export type SlashCommand =
  | { kind: 'help' }
  | { kind: 'declare'; severity: Severity; service: string; title: string }
  | { kind: 'status'; incidentId?: string }
  | { kind: 'action'; action: Action; incidentId?: string; args: Record<string, unknown>; done: string }
  | { kind: 'invalid'; message: string };

export const SLASH_HELP = [
  '*/incident* commands (the incident id may be left out in its own channel):',
  '• `/incident declare P1 checkout Checkout latency above SLO`',
  '• `/incident status [INC-42]`',
  '• `/incident ack [INC-42]`',
  '• `/incident note [INC-42] what you found`',
  '• `/incident severity [INC-42] P0 [why]`',
  '• `/incident commander [INC-42] @person` (or a contact id)',
  '• `/incident advance [INC-42] [phase]`',
  '• `/incident resolve [INC-42] root cause | what fixed it`',
  '• `/incident approve [INC-42] step` · `/incident reject [INC-42] step why`',
].join('\n');

const INCIDENT_ID = /^INC-\d+$/i;
const MENTION = /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/;

/** `text` after "/incident"; `contactOfSlackUser` turns a mention into a contact id. */
export function parseSlashCommand(text: string, contactOfSlackUser: (userId: string) => string | undefined): SlashCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = (words.shift() ?? 'help').toLowerCase();
  const invalid = (message: string): SlashCommand => ({ kind: 'invalid', message: `${message}. Try \`/incident help\`.` });
  if (verb === 'help') return { kind: 'help' };
  if (verb === 'declare') {
    const [severity, service, ...title] = words;
    const sev = severity?.toUpperCase();
    if (!sev || !(SEVERITIES as readonly string[]).includes(sev)) return invalid('declare needs a severity first (P0, P1, P2 or P3)');
    if (!service || title.length === 0)
      return invalid('declare needs a service and a title: `/incident declare P1 checkout Checkout is down`');
    const joined = title.join(' ');
    if (joined.length > 200) return invalid('the title is longer than 200 characters');
    return { kind: 'declare', severity: sev as Severity, service, title: joined };
  }
  const incidentId = words[0] && INCIDENT_ID.test(words[0]) ? words.shift()!.toUpperCase() : undefined;
  const rest = words.join(' ');
  const action = (a: Action, args: Record<string, unknown>, done: string): SlashCommand => ({
    kind: 'action',
    action: a,
    incidentId,
    args,
    done,
  });
  switch (verb) {
    case 'status':
      return { kind: 'status', incidentId };
    case 'ack':
    case 'acknowledge':
      return action('acknowledge', incidentId ? { incidentId } : {}, 'acknowledged');
    case 'escalate':
      return action('escalate', rest ? { reason: rest } : {}, 'escalated');
    case 'note':
      if (!rest) return invalid('note needs the text of the note');
      return action('note', { text: rest }, 'note added');
    case 'severity': {
      const [severity, ...why] = words;
      const sev = severity?.toUpperCase();
      if (!sev || !(SEVERITIES as readonly string[]).includes(sev)) return invalid('severity needs P0, P1, P2 or P3');
      return action('severity', { severity: sev, ...(why.length ? { reason: why.join(' ') } : {}) }, `severity is now ${sev}`);
    }
    case 'commander': {
      const who = words[0];
      if (!who || words.length > 1) return invalid('commander needs one person: a mention or a contact id');
      const mention = MENTION.exec(who);
      const contact = mention ? contactOfSlackUser(mention[1]!) : who;
      if (!contact) return invalid(`<@${mention![1]}> is not a contact in the incident policy`);
      return action('commander', { commander: contact }, `commander is now ${contact}`);
    }
    case 'advance': {
      const to = words[0]?.toLowerCase();
      if (to && !(PHASES as readonly string[]).includes(to)) return invalid(`advance takes a phase: ${PHASES.join(', ')}`);
      return action('advance', to ? { to: to } : {}, to ? `phase is now ${to}` : 'advanced to the next phase');
    }
    case 'resolve': {
      const [rootCause, resolution] = rest.split('|').map((s) => s.trim());
      if (!rootCause) return invalid('resolve needs a root cause: `/incident resolve INC-42 root cause | what fixed it`');
      return action('resolve', { rootCause, resolution: resolution || rootCause }, 'resolved');
    }
    case 'approve':
      if (words.length !== 1) return invalid('approve needs the step: `/incident approve INC-42 restart-api`');
      return action('approve', { step: words[0] }, `step ${words[0]} approved`);
    case 'reject': {
      const [step, ...why] = words;
      if (!step || why.length === 0) return invalid('reject needs the step and why: `/incident reject INC-42 restart-api too risky now`');
      return action('reject', { step, reason: why.join(' ') }, `step ${step} rejected`);
    }
    default:
      return invalid(`no command "${verb}"`);
  }
}
