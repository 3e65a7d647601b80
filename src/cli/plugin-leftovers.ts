/**
 * Plugin processes left running by an earlier CLI (e.g. one that was SIGKILLed), found through the
 * Go SDK's convention: `/tmp/<id>-plugin.socket.lock` holds the PID of the process serving
 * `/tmp/<id>-plugin.socket`. A PID is only signalled when that process's command line names the
 * plugin: a stale lock file whose PID was reused by an unrelated process is left alone.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../internal/atomic.js';
import { ErrorCode, OcmError } from '../runtime/errors.js';

export interface Leftover {
  readonly id: string;
  readonly pid: number;
}

export interface StopResult extends Leftover {
  /** `stopped` (SIGINT sufficed), `killed` (SIGKILL after the grace period), or `gone`. */
  readonly how: 'stopped' | 'killed' | 'gone';
}

/** Where Go plugins keep their PID (hard-coded /tmp, as in the Go SDK). */
export function lockFileOf(id: string, dir = '/tmp'): string {
  if (id === '' || id.includes('/') || id === '.' || id === '..') throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid plugin id "${id}": a plugin id is a file name`);
  return `${dir}/${id}-plugin.socket.lock`;
}

async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
  } catch {
    // No /proc (macOS): ask ps.
    return await new Promise((resolve) => {
      execFile('ps', ['-o', 'args=', '-p', String(pid)], { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout.trim().split(/\s+/)));
    });
  }
}

/** The running process of plugin `id` per its lock file, if any (and if its command line names the plugin). */
export async function findLeftover(id: string, options: { lockDir?: string } = {}): Promise<Leftover | undefined> {
  let text: string;
  try {
    text = (await readFile(lockFileOf(id, options.lockDir))).subarray(0, 64).toString('utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid || !processAlive(pid)) return undefined;
  const args = await commandLine(pid);
  if (!args?.some((a) => basename(a) === id)) return undefined;
  return { id, pid };
}

/** SIGINT, then SIGKILL after `graceMs` (default 5 s) if the process still runs. */
export async function stopLeftover(l: Leftover, options: { graceMs?: number } = {}): Promise<StopResult> {
  try {
    process.kill(l.pid, 'SIGINT');
  } catch {
    return { ...l, how: 'gone' };
  }
  const deadline = Date.now() + (options.graceMs ?? 5000);
  while (Date.now() < deadline) {
    if (!processAlive(l.pid)) return { ...l, how: 'stopped' };
    await sleep(50);
  }
  try {
    process.kill(l.pid, 'SIGKILL');
  } catch {
    return { ...l, how: 'stopped' };
  }
  return { ...l, how: 'killed' };
}
