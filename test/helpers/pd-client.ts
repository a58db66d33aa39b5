/**
 * PagerDuty's own Go client (go-pagerduty) as a second real client of the Events API: the fixture in
 * test/fixtures/pd-events-client, built once per machine (and per change of it) into the cache.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, findGo, isExecutable } from '../../dev/go-binaries';

const run = promisify(execFile);
const SOURCE = path.join(__dirname, '../fixtures/pd-events-client');

export async function pdEventsClient(): Promise<(endpoint: string, event: object) => Promise<{ ok: boolean; out: string }>> {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(path.join(SOURCE, file)));
  const binary = path.join(cacheRoot(), `pd-events-client-${hash.digest('hex').slice(0, 12)}`, 'pd-events-client');
  if (!isExecutable(binary)) {
    const go = findGo();
    if (!go) throw new Error('Go is needed to build the go-pagerduty client (test/fixtures/pd-events-client)');
    await run(go, ['build', '-mod=readonly', '-o', binary, '.'], { cwd: SOURCE, timeout: 300_000 });
  }
  return (endpoint, event) =>
    new Promise((resolve) => {
      const child = execFile(binary, ['-endpoint', endpoint], { timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ ok: !error, out: error ? stderr : stdout }),
      );
      child.stdin!.end(JSON.stringify(event));
    });
}
