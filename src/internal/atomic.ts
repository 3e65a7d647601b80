/**
 * Crash-safe file writes: write into a temp file next to the target, fsync, rename. A reader
 * never sees a half-written file, and a crash leaves only a `.tmp-*` file behind.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromFsError } from '../runtime/errors.js';

/** A unique temp path in the same directory as `target` (same filesystem, so rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `data` to `target` atomically. */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(data);
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
