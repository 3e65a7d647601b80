/**
 * Private working directories for tar/tgz CTFs (the archive is extracted, edited, and written back
 * atomically on close). They are named after the owning process: a process killed with SIGKILL
 * cannot remove its own, so the first open in each process removes those whose process is gone.
 */
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStaleTemp } from '../internal/atomic.js';

const WORK_PREFIX = 'ocm-ctf-';
let swept = false;

/**
 * A private working directory for a tar/tgz CTF, named after this process. A process killed
 * with SIGKILL cannot remove its own, so the first open in each process removes those whose
 * process is gone (best effort; a live process's directory is never touched).
 */
export async function makeWorkDir(): Promise<string> {
  if (!swept) {
    swept = true;
    await sweepOrphanedWorkDirs().catch(() => undefined);
  }
  return await mkdtemp(join(tmpdir(), `${WORK_PREFIX}${process.pid}-`));
}

/**
 * Removes `ocm-ctf-<pid>-*` directories in the temp directory without a live owner: the process is
 * gone, or it is our own PID on a directory from before we started (a predecessor in a container).
 * No age rule: unlike a temp file being written, a long-open archive's directory may sit untouched for days.
 */
export async function sweepOrphanedWorkDirs(dir: string = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  const re = new RegExp(`^${WORK_PREFIX}(\\d+)-`);
  const now = Date.now();
  for (const name of await readdir(dir)) {
    const m = re.exec(name);
    if (!m) continue;
    try {
      if (!isStaleTemp(Number(m[1]), (await lstat(join(dir, name))).mtimeMs, now, Infinity)) continue;
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      /* gone meanwhile, or someone else's: leave it */
    }
  }
  return removed;
}

