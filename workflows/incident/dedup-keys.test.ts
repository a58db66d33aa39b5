// Ledger keys are a wire format in PostgreSQL: a changed key pages again after a restart. Pinned here.
import { dedupKeys } from './dedup-keys';

test.each([
  ['escalation page, first pass', dedupKeys.escalationPage(0, 1), 'page:c0-l1'],
  ['escalation page, repeat', dedupKeys.escalationPage(2, 0), 'page:c2-l0'],
  ['manual escalation', dedupKeys.manualPage(3, 2), 'page:m3-l2'],
  ['responders brought in', dedupKeys.responders(2), 'page:r2'],
  ['a backup', dedupKeys.backup('ana'), 'page:backup-ana'],
  ['rotation gap', dedupKeys.gapPage('page:c0-l0', 1), 'page:c0-l0-gap-l1'],
  ['gap of a manual page', dedupKeys.gapPage('page:m1-l0', 1), 'page:m1-l0-gap-l1'],
  ['one person', dedupKeys.person('page:c0-l1', 'eng-lead'), 'page:c0-l1:eng-lead'],
  ['email keeps the bare key', dedupKeys.channel('page:c0-l1:eng-lead', 'email'), 'page:c0-l1:eng-lead'],
  ['SMS', dedupKeys.channel('page:c0-l1:eng-lead', 'sms'), 'page:c0-l1:eng-lead:sms'],
  ['call', dedupKeys.channel('page:c0-l1:eng-lead', 'call'), 'page:c0-l1:eng-lead:call'],
  ['initial notification', dedupKeys.initial(), 'initial'],
  ['executives', dedupKeys.executive(), 'executive'],
  ['phase change', dedupKeys.phase('contain'), 'phase:contain'],
  ['ack SLA breach', dedupKeys.breach('ack'), 'breach:ack'],
  ['phase budget breach', dedupKeys.breach('phase:triage'), 'breach:phase:triage'],
  ['customers', dedupKeys.customers(0), 'customers:0'],
  ['approval', dedupKeys.approval('restart-api/2'), 'approval:restart-api/2'],
  ['runbook notification', dedupKeys.runbookNotify('pg-conn/1'), 'runbook:pg-conn/1'],
  ['runbook trouble', dedupKeys.runbookTrouble('db-1'), 'runbook-trouble:db-1'],
  ['resolution', dedupKeys.resolution(), 'resolution'],
  ['status update', dedupKeys.statusUpdate(4), 'status:4'],
])('%s: %s', (_what, key, expected) => {
  expect(key).toBe(expected);
});
