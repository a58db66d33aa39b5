// Temporal's own environment configuration (TOML profiles and its standard variables) feeds ours.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './env';

const dir = mkdtempSync(path.join(os.tmpdir(), 'envconfig-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('a profile from TEMPORAL_CONFIG_FILE gives address, namespace and API key; our variables win over it', () => {
  const toml = file(
    'temporal.toml',
    '[profile.default]\naddress = "acme.tmprl.cloud:7233"\nnamespace = "incidents.acme"\napi_key = "k1"\n\n[profile.staging]\naddress = "staging:7233"\n',
  );
  expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml })).toMatchObject({
    TEMPORAL_ADDRESS: 'acme.tmprl.cloud:7233',
    TEMPORAL_NAMESPACE: 'incidents.acme',
    TEMPORAL_API_KEY: 'k1',
  });
  expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'staging' }).TEMPORAL_ADDRESS).toBe('staging:7233');
  expect(loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_ADDRESS: '127.0.0.1:7233' }).TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
});

test("Temporal's standard TLS variables name the certificate files", () => {
  expect(
    loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/t/client.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/t/client.key' }),
  ).toMatchObject({
    TEMPORAL_TLS_CERT: '/etc/t/client.pem',
    TEMPORAL_TLS_KEY: '/etc/t/client.key',
  });
});

test('a broken profile file is named', () => {
  expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: file('bad.toml', '[profile') })).toThrow(ConfigError);
  expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: file('bad2.toml', '[profile') })).toThrow(/TEMPORAL_CONFIG_FILE/);
});

test('without any Temporal settings, the local default', () => {
  expect(loadConfig({ HOME: dir }).TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
});
