/**
 * Private working directories for tar/tgz CTFs (the archive is extracted, edited, and written back
 * atomically on close). They are named after the owning process: a process killed with SIGKILL
 * cannot remove its own, so the first open in each process removes those whose process is gone.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** Removes `ocm-ctf-<pid>-*` directories in the temp directory whose process no longer exists. */
export async function sweepOrphanedWorkDirs(dir: string = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const m = new RegExp(`^${WORK_PREFIX}(\\d+)-`).exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: alive, someone else's
  }
}

