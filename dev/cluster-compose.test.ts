// docker-compose.yml and `npm run cluster` are one topology: same services, versions and settings.
// There is no Docker engine here, so the compose file is checked as Docker would read it (`config -q`).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { envSchema } from '../config/env';
import { BINARIES, TEMPORAL_SERVER_VERSION, TEMPORAL_SERVICES, TEMPORAL_UI_VERSION } from './cluster';

const root = path.resolve(__dirname, '..');
const composeFile = path.join(root, 'docker-compose.yml');
type Service = {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  deploy?: { replicas?: number };
};
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const secrets = {
  POSTGRES_PASSWORD: 'x',
  WEBHOOK_TOKEN: 'x',
  ACK_LINK_SECRET: 'x',
  METRICS_TOKEN: 'x',
  PAYLOAD_KEYS: 'x',
  STORE_DB_PASSWORD: 'x',
  IDENTITY_SECRET: 'x',
  APPROVAL_SIGNING_KEY: 'x',
  APPROVAL_VERIFY_KEY: 'x',
};

test('docker-compose config -q accepts the file (with the required settings), and refuses it without them', () => {
  const bin = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((b) => existsSync(b));
  if (!bin) throw new Error('docker-compose is missing: apt-get install docker-compose (.ci/run does)');
  expect(() =>
    execFileSync(bin, ['-f', composeFile, 'config', '-q'], { env: { ...process.env, ...secrets }, stdio: 'pipe' }),
  ).not.toThrow();
  expect(() => execFileSync(bin, ['-f', composeFile, 'config', '-q'], { env: { PATH: process.env.PATH }, stdio: 'pipe' })).toThrow(
    /POSTGRES_PASSWORD/,
  );
});

test('the same Temporal services and versions as npm run cluster', () => {
  for (const service of TEMPORAL_SERVICES) {
    expect(services[`temporal-${service}`]).toMatchObject({
      image: `temporalio/server:${TEMPORAL_SERVER_VERSION.slice(1)}`,
      environment: { SERVICES: service },
    });
  }
  expect(services['temporal-schema']!.image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.slice(1)}`);
  expect(services['temporal-ui']!.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION.slice(1)}`);
  expect(BINARIES.server.version).toBe(TEMPORAL_SERVER_VERSION);
});

test('two incident workers, a runbook worker and two HTTP servers, from the compiled build', () => {
  expect(services.worker).toMatchObject({ command: ['node', 'dist/workers/main.js'], deploy: { replicas: 2 } });
  expect(services['runbook-worker']!.command).toEqual(['node', 'dist/workers/main.js', '--runbook-host', 'local']);
  expect(services.http).toMatchObject({ command: ['node', 'dist/server/main.js'], deploy: { replicas: 2 } });
});

test('every setting the app containers get is one the app reads', () => {
  const known = Object.keys(envSchema.shape);
  for (const name of ['worker', 'runbook-worker', 'http']) {
    for (const key of Object.keys(services[name]!.environment ?? {})) expect(known).toContain(key);
  }
});

test('each component gets only the credentials it uses: the store has a role of its own, runbook hosts no store', () => {
  const env = (name: string) => services[name]!.environment ?? {};
  for (const name of ['worker', 'http']) expect(env(name).DATABASE_URL).toMatch(/^postgres:\/\/incident_store:/);
  expect(services.postgres!.volumes).toContainEqual(expect.stringContaining('postgres-store-role.sh'));
  expect(Object.keys(env('runbook-worker'))).not.toEqual(expect.arrayContaining(['DATABASE_URL']));
  for (const secret of ['DATABASE_URL', 'IDENTITY_SECRET', 'APPROVAL_SIGNING_KEY', 'WEBHOOK_TOKEN', 'ACK_LINK_SECRET'])
    expect(env('runbook-worker')).not.toHaveProperty(secret);
  for (const secret of ['APPROVAL_SIGNING_KEY', 'CODEC_TOKEN', 'WEBHOOK_TOKEN', 'APPROVAL_VERIFY_KEY'])
    expect(env('worker')).not.toHaveProperty(secret);
  expect(env('worker').WORKER_RUNBOOK_STEPS).toBe('off');
  expect(env('http')).not.toHaveProperty('APPROVAL_VERIFY_KEY');
  expect(env('runbook-worker').APPROVAL_VERIFY_KEY).toBeDefined();
  expect(env('http').APPROVAL_SIGNING_KEY).toBeDefined();
});
