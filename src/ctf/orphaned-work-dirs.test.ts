import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sweepOrphanedWorkDirs } from './workdir.js';
import { tempDir } from '../testing/fixtures.js';

test('working directories of killed processes are swept; those of live processes are kept', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  // a pid that certainly ended: a child that already exited
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await mkdir(join(dir.path, `ocm-ctf-${dead}-abc123`, 'blobs'), { recursive: true });
  await mkdir(join(dir.path, `ocm-ctf-${process.pid}-def456`));
  await mkdir(join(dir.path, 'unrelated-dir'));
  const removed = await sweepOrphanedWorkDirs(dir.path);
  assert.deepEqual(removed, [`ocm-ctf-${dead}-abc123`]);
  assert.deepEqual((await readdir(dir.path)).sort(), [`ocm-ctf-${process.pid}-def456`, 'unrelated-dir']);
});
