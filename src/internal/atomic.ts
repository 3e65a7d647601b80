/**
 * Crash-safe file writes: write into a temp file next to the target, fsync, rename. A reader
 * never sees a half-written file, and a crash leaves only a `.tmp-<pid>-*` file behind, which
 * `sweepStaleTemps` removes once its process is provably gone.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromFsError } from '../runtime/errors.js';

/** A unique temp path in the same directory as `target` (same filesystem, so rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Temp names end in `.tmp-<pid>-<hex>` (tempPathFor): the PID names the writer. */
const TEMP_RE = /\.tmp-(\d+)-[0-9a-f]+$/;
/** A temp file untouched this long is stale even if its PID is alive (the PID was reused). */
export const STALE_TEMP_MS = 24 * 60 * 60 * 1000;
/** When this process started (less a margin for coarse file timestamps): an own-PID file older than that is a predecessor's. */
const PROCESS_START_MS = Date.now() - process.uptime() * 1000 - 2000;

/** The writer's PID encoded in a temp name, if it is one. */
export function tempOwner(name: string): number | undefined {
  const m = TEMP_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: alive, someone else's
  }
}

/**
 * Whether a temp file (or directory) of process `pid`, last modified at `mtimeMs`, has no live
 * writer: the process is gone, or the file predates it (containers reuse PIDs: our own PID on a
 * file from before we started is a dead predecessor's), or it sat untouched for STALE_TEMP_MS
 * (a writer keeps touching its file; an old file under a live PID is a reused PID).
 */
export function isStaleTemp(pid: number, mtimeMs: number, now = Date.now(), maxAgeMs = STALE_TEMP_MS): boolean {
  if (pid === process.pid) return mtimeMs < PROCESS_START_MS;
  if (!processAlive(pid)) return true;
  return now - mtimeMs > maxAgeMs;
}

/**
 * Removes stale temp files in `dir` (one readdir; best effort: a name that vanishes or cannot be
 * removed is skipped). `accept` narrows the names (e.g. to one archive's temp files). Returns the removed names.
 */
export async function sweepStaleTemps(dir: string, accept: (name: string) => boolean = () => true): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    const pid = tempOwner(name);
    if (pid === undefined || !accept(name)) continue;
    try {
      const st = await lstat(join(dir, name));
      if (!isStaleTemp(pid, st.mtimeMs, now)) continue;
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      /* gone meanwhile, or not ours to remove: leave it */
    }
  }
  return removed;
}

/** Writes `data` to `target` atomically; `mode` (default 0644) is set exactly, whatever the umask (0600 for secrets). */
export async function writeFileAtomic(target: string, data: Uint8Array | string, options: { mode?: number } = {}): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    const fh = await open(tmp, 'wx', options.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      if (options.mode !== undefined) await fh.chmod(options.mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw fromFsError(e, target);
  }
}

/**
 * Streams `source` (through optional transforms, e.g. a verifying digest stream) into `target`
 * atomically. If any stage fails — including verification in a transform's flush — the temp file is
 * removed and `target` is untouched.
 */
export async function streamToFileAtomic(
  target: string,
  source: Readable | AsyncIterable<Uint8Array>,
  transforms: NodeJS.ReadWriteStream[] = [],
  options: { signal?: AbortSignal; mode?: number } = {},
): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    const out = createWriteStream(tmp, { mode: options.mode ?? 0o644 });
    const src: NodeJS.ReadableStream = isReadable(source) ? source : Readable.from(source);
    await pipeline([src, ...transforms, out], options.signal ? { signal: options.signal } : {});
    await commitFile(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw fromFsError(e, target);
  }
}

/** Makes a fully written temp file durable and then visible under `target` (fsync, rename). */
export async function commitFile(tmp: string, target: string): Promise<void> {
  const fh = await open(tmp, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, target);
}

function isReadable(x: unknown): x is Readable {
  return x instanceof Readable;
}
