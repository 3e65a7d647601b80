/**
 * Reads an upload's source in chunks of a requested size (two buffers used in turn, so memory stays
 * flat) or as the rest of the stream, counting bytes, refusing more than a known size, and hashing
 * only when the digest is not known in advance.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { chunksOf } from '../../internal/chunks.js';
import { ErrorCode, OcmError } from '../../runtime/errors.js';

export interface ChunkReader {
  /** Next chunk of up to `size` bytes; `last` when the source is exhausted after it. */
  next(size: number): Promise<{ data: Buffer; last: boolean }>;
  /** Everything not yet read, hashed and counted as it passes. */
  rest(): AsyncGenerator<Buffer>;
  /** Undefined when the digest is known and the registry checks it (no second SHA-256 pass here). */
  readonly hash: Hash | undefined;
  total: number;
}

export function chunkReader(content: Readable | AsyncIterable<Uint8Array>, algorithm: string | undefined, limit = Infinity, what = ''): ChunkReader {
  const it = chunksOf(content);
  let pending: Buffer | undefined;
  let ended = false;
  // Two chunk buffers used in turn (one in flight, one being filled) keep memory flat; a buffer is
  // reused only after the request that sent it got its response, i.e. after it was fully sent.
  const pool: Buffer[] = [];
  let turn = 0;
  // Bytes beyond a known size fail at once (before anything is committed).
  const count = (n: number): void => {
    reader.total += n;
    if (reader.total > limit) throw new OcmError(ErrorCode.DIGEST_MISMATCH, `${what}: size mismatch: got more than the expected ${limit} bytes`);
  };
  const reader: ChunkReader = {
    hash: algorithm ? createHash(algorithm) : undefined,
    total: 0,
    async next(size) {
      const slot = turn++ % 2;
      if (!pool[slot] || pool[slot].length < size) pool[slot] = Buffer.allocUnsafe(size);
      const out = pool[slot];
      let n = 0;
      while (n < size) {
        if (!pending || pending.length === 0) {
          if (ended) break;
          const r = await it.next();
          if (r.done) {
            ended = true;
            break;
          }
          pending = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
        }
        const take = Math.min(size - n, pending.length);
        pending.copy(out, n, 0, take);
        pending = pending.subarray(take);
        n += take;
      }
      if (!ended && (!pending || pending.length === 0) && n < size) ended = true;
      // Peek whether anything follows, so the caller knows if this is the last chunk.
      if (!ended && (!pending || pending.length === 0)) {
        const r = await it.next();
        if (r.done) ended = true;
        else pending = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      }
      const data = out.subarray(0, n);
      reader.hash?.update(data);
      count(n);
      return { data, last: ended && (!pending || pending.length === 0) };
    },
    async *rest() {
      if (pending && pending.length) {
        const p = pending;
        pending = undefined;
        reader.hash?.update(p);
        count(p.length);
        yield p;
      }
      while (!ended) {
        const r = await it.next();
        if (r.done) break;
        const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
        reader.hash?.update(c);
        count(c.length);
        yield c;
      }
      ended = true;
    },
  };
  return reader;
}
