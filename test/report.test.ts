import { Pool } from 'pg';
import { migrate } from '../store/migrations';
import { ReviewStore } from '../store/review-store';

// A schema of its own, seeded with incidents whose figures are known in advance.
let admin: Pool;
let pool: Pool;
const schema = `report_test_${process.pid}`;
const NOW = '2026-11-27T12:00:00.000Z';
const at = (daysAgo: number, plusMinutes = 0) => new Date(Date.parse(NOW) - daysAgo * 86_400_000 + plusMinutes * 60_000).toISOString();

beforeAll(async () => {
  admin = new Pool({ connectionString: process.env.TEST_DB_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(process.env.TEST_DB_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  pool = new Pool({ connectionString: url.toString(), max: 2 });
  await migrate(pool);

  const incident = async (severity: string, declared: string, ackMin: number | null, resolveMin: number | null) => {
    const { rows } = await pool.query<{ number: string }>(
      `INSERT INTO incidents (workflow_id, first_run_id, title, severity, service, source, declared_by, declared_at, acknowledged_at, resolved_at, status)
       VALUES ($1, 'run', 'seed', $2, 'svc', 'manual', 'seed', $3, $4, $5, $6) RETURNING number`,
      [
        `seed-${Math.random()}`,
        severity,
        declared,
        ackMin === null ? null : new Date(Date.parse(declared) + ackMin * 60_000).toISOString(),
        resolveMin === null ? null : new Date(Date.parse(declared) + resolveMin * 60_000).toISOString(),
        resolveMin === null ? 'open' : 'resolved',
      ],
    );
    return Number(rows[0]!.number);
  };
  const postmortem = (n: number, due: string, submitted: string | null) =>
    pool.query(`INSERT INTO postmortems (incident_number, due_at, draft, status, submitted_at) VALUES ($1, $2, 'd', $3, $4)`, [
      n,
      due,
      submitted ? 'submitted' : 'pending',
      submitted,
    ]);

  // P1: MTTA 5/10/15 min, MTTR 60/90/120 min; one ack breach, one triage breach; post-mortems on time, late, missing.
  const a = await incident('P1', at(10), 5, 60);
  const b = await incident('P1', at(5), 15, 120);
  const c = await incident('P1', at(2), 10, 90);
  await pool.query(
    `INSERT INTO sla_breaches (incident_number, kind, phase, at, text) VALUES ($1, 'ack', '', $2, 'x'), ($3, 'phase', 'triage', $4, 'y'), ($5, 'status-page', '', $6, 'z')`,
    [a, at(10, 1), b, at(5, 16), c, at(2, 15)],
  );
  await postmortem(a, at(8), at(9));
  await postmortem(b, at(3), at(2));
  await postmortem(c, at(0, -60), null);
  await pool.query(
    `INSERT INTO action_items (incident_number, text, owner, due_date, created_by, status) VALUES ($1,'open one','x','2026-12-01','s','open'), ($2,'done one','x','2026-12-01','s','done')`,
    [a, b],
  );
  // P3: one open incident inside the window, one outside it.
  await incident('P3', at(1), null, null);
  await incident('P3', at(40), 1, 2);
});
afterAll(async () => {
  await pool.end();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

test('report figures are computed in SQL and match the seeded answers', async () => {
  const report = await new ReviewStore(pool).report(30 * 86_400, NOW);
  const p1 = report.find((r) => r.severity === 'P1')!;
  expect(p1).toEqual({
    severity: 'P1',
    incidents: 3,
    mttaSeconds: { p50: 600, p90: 840 },
    mttrSeconds: { p50: 5400, p90: 6840 },
    slaBreaches: { ack: 1, byPhase: { triage: 1 }, statusPage: 1 },
    postMortems: { onTime: 1, late: 1, missing: 1, pending: 0 },
    openActionItems: 1,
  });
  const p3 = report.find((r) => r.severity === 'P3')!;
  expect(p3).toMatchObject({ incidents: 1, mttaSeconds: { p50: null, p90: null }, mttrSeconds: { p50: null, p90: null } });
  expect(report.find((r) => r.severity === 'P0')).toMatchObject({ incidents: 0 });
  // A wider window takes the older P3 in.
  expect((await new ReviewStore(pool).report(60 * 86_400, NOW)).find((r) => r.severity === 'P3')!.incidents).toBe(2);
});

test('the same figures by team and by service; incidents of no team are "-"', async () => {
  await pool.query(`UPDATE incidents SET team = 'db', service = 'postgres' WHERE severity = 'P1'`);
  const byTeam = await new ReviewStore(pool).reportBy(30 * 86_400, NOW, 'team');
  expect(byTeam.map((r) => [r.group, r.incidents])).toEqual([
    ['-', 1],
    ['db', 3],
  ]);
  expect(byTeam.find((r) => r.group === 'db')).toMatchObject({
    mttaSeconds: { p50: 600, p90: 840 },
    slaBreaches: { ack: 1, byPhase: { triage: 1 }, statusPage: 1 },
    postMortems: { onTime: 1, late: 1, missing: 1, pending: 0 },
    openActionItems: 1,
  });
  const byService = await new ReviewStore(pool).reportBy(30 * 86_400, NOW, 'service');
  expect(byService.map((r) => [r.group, r.incidents])).toEqual([
    ['postgres', 3],
    ['svc', 1],
  ]);
});

test('the digest lists overdue post-mortems and action items', async () => {
  const digest = await new ReviewStore(pool).digest('2026-12-05T00:00:00Z');
  expect(digest.overduePostMortems).toHaveLength(1);
  expect(digest.overdueActionItems.map((i) => i.text)).toEqual(['open one']);
});
