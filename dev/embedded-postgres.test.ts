import { chmodSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { folderPostgresCannotEnter } from './embedded-postgres';

test('the folder check counts the postgres group an earlier start shared its data folder with (npm run cluster after npm start)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pg-enter-'));
  chmodSync(root, 0o755);
  const data = path.join(root, '.data');
  mkdirSync(path.join(data, 'cluster'), { recursive: true });
  const { uid, gid } = statSync(data);

  // 0710 for the postgres group: it enters through its group.
  chmodSync(data, 0o710);
  expect(folderPostgresCannotEnter(path.join(data, 'cluster'), { uid: uid + 1, gid })).toBeUndefined();
  // The same folder, for a postgres user in another group: "other" has no x.
  expect(folderPostgresCannotEnter(path.join(data, 'cluster'), { uid: uid + 1, gid: gid + 1 })).toEqual({ dir: data, mode: '0710' });
  // Private to its owner: nobody else enters, and the advice names the folder.
  chmodSync(data, 0o700);
  expect(folderPostgresCannotEnter(path.join(data, 'cluster'), { uid: uid + 1, gid })).toEqual({ dir: data, mode: '0700' });
});
