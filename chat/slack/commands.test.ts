// `/incident` as people type it: pure parsing, no server.
import { parseSlashCommand } from './commands';

const contacts: Record<string, string> = { U01INCCMDR: 'ic' };
const parse = (text: string) => parseSlashCommand(text, (u) => contacts[u]);

test('declare takes a severity, a service and the rest as the title', () => {
  expect(parse('declare p1 checkout Checkout latency above SLO')).toEqual({
    kind: 'declare',
    severity: 'P1',
    service: 'checkout',
    title: 'Checkout latency above SLO',
  });
  expect(parse('declare P9 checkout x')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('severity') });
  expect(parse('declare P1 checkout')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('title') });
});

test('actions name the incident, or leave it to the channel', () => {
  expect(parse('ack INC-42')).toMatchObject({
    kind: 'action',
    action: 'acknowledge',
    incidentId: 'INC-42',
    args: { incidentId: 'INC-42' },
  });
  expect(parse('ack')).toMatchObject({ kind: 'action', action: 'acknowledge', incidentId: undefined, args: {} });
  expect(parse('note inc-7 the pool is at 100%')).toMatchObject({
    action: 'note',
    incidentId: 'INC-7',
    args: { text: 'the pool is at 100%' },
  });
  expect(parse('severity P0 customers affected')).toMatchObject({
    action: 'severity',
    args: { severity: 'P0', reason: 'customers affected' },
  });
  expect(parse('advance INC-1 contain')).toMatchObject({ action: 'advance', args: { to: 'contain' } });
  expect(parse('advance INC-1 lunch')).toMatchObject({ kind: 'invalid' });
  expect(parse('resolve INC-1 expired cert | renewed it')).toMatchObject({
    action: 'resolve',
    args: { rootCause: 'expired cert', resolution: 'renewed it' },
  });
  expect(parse('resolve INC-1')).toMatchObject({ kind: 'invalid' });
  expect(parse('approve INC-1 restart-api')).toMatchObject({ action: 'approve', args: { step: 'restart-api' } });
  expect(parse('reject INC-1 restart-api')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('why') });
  expect(parse('status')).toEqual({ kind: 'status', incidentId: undefined });
  expect(parse('')).toEqual({ kind: 'help' });
  expect(parse('dance')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('no command "dance"') });
});

test('a commander by mention must be a contact', () => {
  expect(parse('commander INC-1 <@U01INCCMDR|ic>')).toMatchObject({ action: 'commander', args: { commander: 'ic' } });
  expect(parse('commander INC-1 eng-lead')).toMatchObject({ action: 'commander', args: { commander: 'eng-lead' } });
  expect(parse('commander INC-1 <@U0NOBODY>')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('not a contact') });
});
