/**
 * Small-blob I/O for the CTF store. Manifests, configs, descriptor layers and most resources are a
 * few hundred bytes; for graphs of thousands of them, stream machinery and thread-pool round trips
 * (open, read, close: three each) cost far more than the bytes. Small content is therefore checked
 * in memory in one go, and blobs up to SYNC_READ_MAX are read with synchronous calls: on a local
 * file that is microseconds, less than one round trip to the thread pool.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsync, open, openSync, readSync, rename, rmSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parseDigest, type VerifyExpectation } from '../digest/digest.js';
import { tempPathFor } from '../internal/atomic.js';
import { DigestMismatchError, ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';

/** Blobs up to this size are read synchronously (bounded: one such read blocks for microseconds). */
export const SYNC_READ_MAX = 64 * 1024;

export type ExactExpectation = VerifyExpectation & { digest: string; size: number };

/** The problem with `bytes` against `expect` (size, then digest), or undefined when they match. */
export function checkBytes(bytes: Uint8Array, expect: ExactExpectation): OcmError | undefined {
  if (bytes.length !== expect.size) {
    const more = bytes.length > expect.size;
    return new OcmError(ErrorCode.DIGEST_MISMATCH, `${expect.what ?? 'content'}: size mismatch: got ${more ? `more than the expected ${expect.size}` : bytes.length} bytes${more ? '' : `, expected ${expect.size}`}`, {
      details: { expectedSize: expect.size, expectedDigest: expect.digest },
    });
  }
  const d = parseDigest(expect.digest);
  const actual = `${d.algorithm}:${createHash(d.algorithm).update(bytes).digest('hex')}`;
  if (actual !== expect.digest) return new DigestMismatchError(expect.what ?? 'content', expect.digest, actual, { details: { size: bytes.length } });
  return undefined;
}

/**
 * A stream of `bytes` after checking them against `expect` in one go (no Transform, no pipeline).
 * A mismatch surfaces as the stream's error, like for streamed blobs.
 */
export function verifiedBytes(bytes: Buffer, expect: ExactExpectation): Readable {
  const problem = checkBytes(bytes, expect);
  if (!problem) return Readable.from([bytes], { objectMode: false });
  return new Readable({
    read() {
      this.destroy(problem);
    },
  });
}

/** Up to `limit` bytes of `source` (then it is destroyed): enough to tell a too-long stream. */
export async function readAtMost(source: Readable | AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    n += chunk.byteLength;
    if (n >= limit) {
      (source as Readable).destroy?.();
      break;
    }
  }
  return Buffer.concat(chunks, n).subarray(0, limit);
}

/** Reads at most `limit` bytes from the start of the file (fewer at EOF). */
export async function readUpTo(fh: FileHandle, limit: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(limit);
  let n = 0;
  while (n < limit) {
    const { bytesRead } = await fh.read(buf, n, limit - n, n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return buf.subarray(0, n);
}

/** Synchronous `readUpTo` for small files (throws the fs error, e.g. ENOENT). */
export function readUpToSync(path: string, limit: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(limit);
    let n = 0;
    while (n < limit) {
      const read = readSync(fd, buf, n, limit - n, n);
      if (read === 0) break;
      n += read;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes small `data` to `target` crash-safely with three thread-pool round trips instead of five:
 * create, fsync and rename (which can wait on the filesystem journal) run off the main thread;
 * the write into the page cache and the close are synchronous (microseconds). A reader never sees
 * a partial file; a crash leaves at most a temp file.
 */
export async function writeSmallFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = await new Promise<number>((resolve, reject) => open(tmp, 'wx', 0o644, (e, n) => (e ? reject(e) : resolve(n))));
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    const handle = fd;
    await new Promise<void>((resolve, reject) => fsync(handle, (e) => (e ? reject(e) : resolve())));
    fd = undefined;
    closeSync(handle);
    await new Promise<void>((resolve, reject) => rename(tmp, target, (e) => (e ? reject(e) : resolve())));
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw fromFsError(e, target);
  }
}
