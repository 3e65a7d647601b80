import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { sweepOrphanedWorkDirs } from './workdir.js';
import { openCtf } from './store.js';
import { tempDir } from '../testing/fixtures.js';

/** A PID that certainly ended: a child that already exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

/** A live process that is not this one (killed by the caller's t.after). */
async function liveChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600_000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child;
}

const DAY_AND_HOUR = (25 * 60 * 60 * 1000) / 1000;
const aged = async (p: string, seconds: number) => {
  const t = Date.now() / 1000 - seconds;
  await utimes(p, t, t);
};

test('working directories of killed processes are swept; those of live processes are kept', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const dead = deadPid();
  await mkdir(join(dir.path, `ocm-ctf-${dead}-abc123`, 'blobs'), { recursive: true });
  await mkdir(join(dir.path, `ocm-ctf-${process.pid}-def456`));
  await mkdir(join(dir.path, 'unrelated-dir'));
  const removed = await sweepOrphanedWorkDirs(dir.path);
  assert.deepEqual(removed, [`ocm-ctf-${dead}-abc123`]);
  assert.deepEqual((await readdir(dir.path)).sort(), [`ocm-ctf-${process.pid}-def456`, 'unrelated-dir']);
});

test('a working directory under our own PID from before this process started (container PID reuse) is swept', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  await mkdir(join(dir.path, `ocm-ctf-${process.pid}-old111`));
  await aged(join(dir.path, `ocm-ctf-${process.pid}-old111`), process.uptime() + 60);
  await mkdir(join(dir.path, `ocm-ctf-${process.pid}-new222`));
  assert.deepEqual(await sweepOrphanedWorkDirs(dir.path), [`ocm-ctf-${process.pid}-old111`]);
});

test('opening a directory CTF for writing removes temp files of dead writers and keeps live ones', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const live = await liveChild();
  t.after(() => live.kill('SIGKILL'));
  const ctf = join(dir.path, 'ctf');
  await (await openCtf(ctf, { create: true })).close();
  const dead = deadPid();
  const blobs = join(ctf, 'blobs');
  const stale = [
    `.sha256.${'1'.repeat(64)}.tmp-${dead}-0a1b2c3d`,
    `..ingest.tmp-${dead}-00aa11bb.tmp-${dead}-22cc33dd`,
    `.sha256.${'2'.repeat(64)}.tmp-${live.pid}-0a1b2c3d`, // live PID, but untouched for 25 h: a reused PID
    `.sha256.${'3'.repeat(64)}.tmp-${process.pid}-0a1b2c3d`, // our PID, from before we started: a predecessor's
  ];
  const kept = [`.sha256.${'4'.repeat(64)}.tmp-${process.pid}-0a1b2c3d`, `.sha256.${'5'.repeat(64)}.tmp-${live.pid}-0a1b2c3d`];
  for (const n of [...stale, ...kept]) await writeFile(join(blobs, n), 'partial');
  await aged(join(blobs, stale[2]!), DAY_AND_HOUR);
  await aged(join(blobs, stale[3]!), process.uptime() + 60);
  await writeFile(join(ctf, `.artifact-index.json.tmp-${dead}-0a1b2c3d`), '{');

  // Read-only opens do not pay for the sweep (and change nothing).
  await (await openCtf(ctf, { readOnly: true })).close();
  assert.equal((await readdir(blobs)).length, stale.length + kept.length);

  await (await openCtf(ctf)).close();
  assert.deepEqual((await readdir(blobs)).sort(), [...kept].sort());
  assert.deepEqual((await readdir(ctf)).sort(), ['artifact-index.json', 'blobs']);
});

test('a tgz write killed with SIGKILL leaves a temp file that the next writable open removes', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const target = join(dir.path, 'ctf.tgz');
  // A real writer: streams an endless body into the archive's temp file until killed.
  const atomic = new URL('../internal/atomic.js', import.meta.url).href;
  const script = `
    import { streamToFileAtomic } from ${JSON.stringify(atomic)};
    async function* endless() { const chunk = Buffer.alloc(64 * 1024, 1); for (;;) { yield chunk; await new Promise((r) => setTimeout(r, 5)); } }
    setTimeout(() => process.stdout.write('writing\\n'), 200);
    await streamToFileAtomic(${JSON.stringify(target)}, endless());`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await once(child.stdout!, 'data');
  const other = `.other.tgz.tmp-${deadPid()}-0a1b2c3d`; // another archive's leftover: not this open's business
  await writeFile(join(dir.path, other), 'x');
  child.kill('SIGKILL');
  await once(child, 'exit');
  const leftovers = (await readdir(dir.path)).filter((n) => n.startsWith(`.ctf.tgz.tmp-${child.pid}-`));
  assert.equal(leftovers.length, 1, 'the killed writer left its temp file');

  const store = await openCtf(target, { create: true });
  await store.close();
  assert.deepEqual((await readdir(dir.path)).sort(), [other, 'ctf.tgz'].sort());
});
