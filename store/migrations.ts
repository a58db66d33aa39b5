import type { Pool } from 'pg';

/** Append-only: never edit a shipped migration, add the next version instead. */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'incidents, timeline, phases, breaches, pages, outbox',
    sql: `
      CREATE TABLE IF NOT EXISTS incidents (
        number          bigserial PRIMARY KEY,
        incident_id     text GENERATED ALWAYS AS ('INC-' || number) STORED UNIQUE,
        workflow_id     text NOT NULL,
        first_run_id    text NOT NULL,
        title           text NOT NULL,
        severity        text NOT NULL CHECK (severity IN ('P0','P1','P2','P3')),
        service         text NOT NULL,
        source          text NOT NULL,
        status          text NOT NULL DEFAULT 'open',
        phase           text NOT NULL DEFAULT 'detect',
        declared_by     text NOT NULL,
        declared_at     timestamptz NOT NULL,
        commander       text,
        acknowledged_by text,
        acknowledged_at timestamptz,
        escalation_level int NOT NULL DEFAULT -1,
        root_cause      text,
        resolution      text,
        resolved_by     text,
        resolved_at     timestamptz,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workflow_id, first_run_id)
      );
      CREATE TABLE IF NOT EXISTS timeline_events (
        incident_number bigint NOT NULL REFERENCES incidents(number),
        seq      int NOT NULL,
        at       timestamptz NOT NULL,
        actor    text NOT NULL,
        kind     text NOT NULL,
        text     text NOT NULL,
        PRIMARY KEY (incident_number, seq)
      );
      CREATE TABLE IF NOT EXISTS incident_phases (
        incident_number bigint NOT NULL REFERENCES incidents(number),
        phase      text NOT NULL,
        started_at timestamptz NOT NULL,
        started_by text NOT NULL,
        ended_at   timestamptz,
        ended_by   text,
        PRIMARY KEY (incident_number, phase)
      );
      CREATE TABLE IF NOT EXISTS sla_breaches (
        incident_number bigint NOT NULL REFERENCES incidents(number),
        kind  text NOT NULL CHECK (kind IN ('ack','phase')),
        phase text NOT NULL DEFAULT '',
        at    timestamptz NOT NULL,
        text  text NOT NULL,
        PRIMARY KEY (incident_number, kind, phase)
      );
      CREATE TABLE IF NOT EXISTS pages (
        incident_number bigint NOT NULL REFERENCES incidents(number),
        dedup_key   text NOT NULL,
        kind        text NOT NULL,
        recipient   text NOT NULL,
        channel     text NOT NULL,
        address     text NOT NULL,
        subject     text NOT NULL,
        status      text NOT NULL CHECK (status IN ('sending','sent','outbox','failed')),
        attempts    int NOT NULL DEFAULT 0,
        message_id  text,
        last_error  text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        sent_at     timestamptz,
        PRIMARY KEY (incident_number, dedup_key)
      );
      CREATE TABLE IF NOT EXISTS outbox (
        id              bigserial PRIMARY KEY,
        incident_number bigint NOT NULL REFERENCES incidents(number),
        dedup_key       text NOT NULL,
        channel         text NOT NULL,
        address         text NOT NULL,
        subject         text NOT NULL,
        body            text NOT NULL,
        reason          text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        UNIQUE (incident_number, dedup_key)
      );
    `,
  },
  {
    version: 2,
    name: 'post-mortems and action items',
    sql: `
      CREATE TABLE IF NOT EXISTS postmortems (
        incident_number bigint PRIMARY KEY REFERENCES incidents(number),
        status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','submitted')),
        due_at          timestamptz NOT NULL,
        draft           text NOT NULL,
        markdown        text,
        reminders_sent  int NOT NULL DEFAULT 0,
        submitted_by    text,
        submitted_at    timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS action_items (
        id              bigserial PRIMARY KEY,
        incident_number bigint NOT NULL REFERENCES incidents(number),
        text            text NOT NULL,
        owner           text NOT NULL,
        due_date        date NOT NULL,
        status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open','done')),
        created_by      text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        done_by         text,
        done_at         timestamptz,
        request_id      text UNIQUE
      );
    `,
  },
  {
    version: 3,
    name: 'pages skipped after an acknowledgement',
    sql: `
      ALTER TABLE pages DROP CONSTRAINT IF EXISTS pages_status_check;
      ALTER TABLE pages ADD CONSTRAINT pages_status_check CHECK (status IN ('sending','sent','outbox','failed','skipped'));
    `,
  },
  {
    version: 4,
    name: 'on-call overrides',
    sql: `
      CREATE TABLE IF NOT EXISTS oncall_overrides (
        id         bigserial PRIMARY KEY,
        contact_id text NOT NULL,
        starts_at  timestamptz NOT NULL,
        ends_at    timestamptz NOT NULL CHECK (ends_at > starts_at),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        request_id text UNIQUE
      );
      CREATE INDEX IF NOT EXISTS oncall_overrides_window ON oncall_overrides (starts_at, ends_at);
    `,
  },
  {
    version: 5,
    name: 'runbook evidence',
    sql: `
      CREATE TABLE IF NOT EXISTS runbook_evidence (
        id              bigserial PRIMARY KEY,
        incident_number bigint NOT NULL REFERENCES incidents(number),
        ref             text NOT NULL,
        title           text NOT NULL,
        kind            text NOT NULL CHECK (kind IN ('shell','sql')),
        host            text NOT NULL,
        command         text NOT NULL,
        approved_by     text,
        exit_code       int,
        signal          text,
        timed_out       boolean NOT NULL,
        duration_ms     int NOT NULL,
        stdout          text NOT NULL,
        stderr          text NOT NULL,
        truncated       boolean NOT NULL,
        terminated_pids int[],
        recorded_at     timestamptz NOT NULL DEFAULT now(),
        UNIQUE (incident_number, ref)
      );
    `,
  },
  {
    version: 6,
    name: 'identity, status page breaches and subscribers',
    sql: `
      CREATE TABLE IF NOT EXISTS api_tokens (
        id           text PRIMARY KEY,
        person       text NOT NULL,
        label        text NOT NULL,
        token_hash   text NOT NULL UNIQUE,
        created_by   text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz
      );
      CREATE INDEX IF NOT EXISTS api_tokens_person ON api_tokens (person);
      ALTER TABLE timeline_events ADD COLUMN IF NOT EXISTS via text;
      ALTER TABLE sla_breaches DROP CONSTRAINT IF EXISTS sla_breaches_kind_check;
      ALTER TABLE sla_breaches ADD CONSTRAINT sla_breaches_kind_check CHECK (kind IN ('ack', 'phase', 'status-page'));
      CREATE TABLE IF NOT EXISTS status_subscribers (
        id                   bigserial PRIMARY KEY,
        email                text NOT NULL UNIQUE,
        created_at           timestamptz NOT NULL DEFAULT now(),
        confirmation_sent_at timestamptz,
        confirmed_at         timestamptz,
        unsubscribed_at      timestamptz
      );
    `,
  },
  {
    version: 7,
    name: 'chat ledger and seen Slack requests',
    sql: `
      -- Every Slack post under a key of its own: a retried sync or a restarted worker posts nothing twice,
      -- and updates a message (the pinned summary) in place. scope: an incident number, or 'eod'.
      CREATE TABLE IF NOT EXISTS chat_posts (
        scope       text NOT NULL,
        key         text NOT NULL,
        status      text NOT NULL CHECK (status IN ('posting', 'posted', 'failed')),
        channel     text,
        ts          text,
        content     text,
        attempts    int NOT NULL DEFAULT 1,
        last_error  text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      );
      CREATE INDEX IF NOT EXISTS chat_posts_channel ON chat_posts (channel) WHERE key = 'home';
      -- Signed Slack requests already acted on: a replayed one (same signature) is refused.
      CREATE TABLE IF NOT EXISTS slack_requests_seen (
        signature text PRIMARY KEY,
        seen_at   timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 8,
    name: 'the first admin: a one-time bootstrap code',
    sql: `
      -- At most one pending code (its SHA-256), offered by the HTTP server while no admin holds a token,
      -- redeemed once for the first admin's token.
      CREATE TABLE IF NOT EXISTS admin_bootstrap (
        id         int PRIMARY KEY CHECK (id = 1),
        code_hash  text NOT NULL,
        expires_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'each message as sent or kept, for the inbox',
    sql: `
      -- The text as it went out (or would have), and a page's acknowledge link: incidentctl inbox shows them.
      ALTER TABLE pages ADD COLUMN IF NOT EXISTS body text;
      ALTER TABLE pages ADD COLUMN IF NOT EXISTS ack_url text;
      CREATE INDEX IF NOT EXISTS pages_recipient ON pages (recipient, created_at DESC);
    `,
  },
  {
    version: 10,
    name: 'on-call overrides per schedule',
    sql: `
      -- '' is the single-team rotation (policy.oncall); a team's schedule has its id.
      ALTER TABLE oncall_overrides ADD COLUMN IF NOT EXISTS schedule_id text NOT NULL DEFAULT '';
      CREATE INDEX IF NOT EXISTS oncall_overrides_schedule ON oncall_overrides (schedule_id, starts_at, ends_at);
    `,
  },
  {
    version: 11,
    name: 'maintenance windows',
    sql: `
      CREATE TABLE IF NOT EXISTS maintenance_windows (
        id          bigserial PRIMARY KEY,
        service     text NOT NULL,
        starts_at   timestamptz NOT NULL,
        ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
        reason      text NOT NULL,
        created_by  text NOT NULL,
        ended_at    timestamptz,
        ended_by    text,
        -- The window's workflow: it ends the window on time, or when someone ends it.
        workflow_id text UNIQUE NOT NULL
      );
      CREATE INDEX IF NOT EXISTS maintenance_windows_service ON maintenance_windows (service, starts_at, ends_at);
    `,
  },
  {
    version: 12,
    name: "an incident's owning team",
    sql: `ALTER TABLE incidents ADD COLUMN IF NOT EXISTS team text;`,
  },
  {
    version: 13,
    name: 'shift swaps',
    sql: `
      CREATE TABLE IF NOT EXISTS shift_swaps (
        id          bigserial PRIMARY KEY,
        schedule_id text NOT NULL,
        requester   text NOT NULL,
        taker       text NOT NULL,
        starts_at   timestamptz NOT NULL,
        ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
        reason      text,
        status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        decided_by  text,
        decided_at  timestamptz,
        -- The override an accepted swap became.
        override_id bigint,
        request_id  text UNIQUE NOT NULL
      );
      CREATE INDEX IF NOT EXISTS shift_swaps_window ON shift_swaps (ends_at);
    `,
  },
  {
    version: 14,
    name: 'integrations',
    sql: `
      CREATE TABLE IF NOT EXISTS integrations (
        id              text PRIMARY KEY,
        name            text NOT NULL,
        kind            text NOT NULL,
        service         text NOT NULL,
        -- sha256 of the key: the key itself is shown once, to whoever made it.
        key_hash        text UNIQUE NOT NULL,
        rate_per_minute int NOT NULL CHECK (rate_per_minute > 0),
        created_at      timestamptz NOT NULL DEFAULT now(),
        created_by      text NOT NULL,
        last_event_at   timestamptz,
        revoked_at      timestamptz
      );
    `,
  },
  {
    version: 15,
    name: 'heartbeat integrations',
    sql: `
      ALTER TABLE integrations ADD COLUMN IF NOT EXISTS every_seconds int CHECK (every_seconds > 0);
      ALTER TABLE integrations ADD COLUMN IF NOT EXISTS grace_seconds int CHECK (grace_seconds >= 0);
      ALTER TABLE integrations ADD COLUMN IF NOT EXISTS severity text;
    `,
  },
  {
    version: 16,
    name: 'webhook integrations',
    sql: `ALTER TABLE integrations ADD COLUMN IF NOT EXISTS mapping text;`,
  },
];

/** Idempotent, and safe when several workers start at once (advisory lock). */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(727001)');
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
        applied.push(m.version);
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(727001)').catch(() => undefined);
    client.release();
  }
  return applied;
}
