/**
 * The hashing thread behind `offThreadHasher`: SHA-256/512 of byte ranges in shared memory, one
 * incremental hash per job. Each `update` is acknowledged once hashed, so the main thread can bound
 * the bytes in flight and reuse its copy buffers.
 */
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export type HashJobMessage =
  | { op: 'start'; id: number; algorithm: string }
  | { op: 'update'; id: number; sab: SharedArrayBuffer; offset: number; length: number }
  | { op: 'end'; id: number }
  | { op: 'drop'; id: number };

export type HashReplyMessage = { id: number; ack: number } | { id: number; hex: string } | { id: number; error: string };

const jobs = new Map<number, Hash>();

parentPort?.on('message', (m: HashJobMessage) => {
  try {
    switch (m.op) {
      case 'start':
        jobs.set(m.id, createHash(m.algorithm));
        break;
      case 'update':
        jobs.get(m.id)?.update(new Uint8Array(m.sab, m.offset, m.length));
        parentPort!.postMessage({ id: m.id, ack: m.length } satisfies HashReplyMessage);
        break;
      case 'end': {
        const hash = jobs.get(m.id);
        jobs.delete(m.id);
        parentPort!.postMessage({ id: m.id, hex: hash ? hash.digest('hex') : '' } satisfies HashReplyMessage);
        break;
      }
      case 'drop':
        jobs.delete(m.id);
        break;
    }
  } catch (e) {
    jobs.delete(m.id);
    parentPort!.postMessage({ id: m.id, error: String((e as Error)?.message ?? e) } satisfies HashReplyMessage);
  }
});
