/**
 * SHA-256 of large streams on a second thread. Node hashes synchronously on the thread that reads
 * the socket or file, so a verified download runs at 1 / (read + hash) per byte; with the hash on
 * another core it runs at the slower of the two. One process-wide worker serves all streams; it
 * keeps the process alive only while a job is open. Chunks reach it through shared memory: buffers
 * that already live in a SharedArrayBuffer (the fast GET reads into them) go as they are, others
 * are copied into pooled shared slots, which return to the pool when the worker acknowledges them.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { HashJobMessage, HashReplyMessage } from './hash-worker.js';

/** Streams shorter than this are hashed in-thread: a job costs a few messages and maybe a worker start. */
export const OFF_THREAD_MIN_BYTES = 32 * 1024 * 1024;
/** Chunks are copied into shared slots of this size and handed over one full slot at a time. */
const SLOT_SIZE = 4 * 1024 * 1024;
/** Slots handed to the worker and not yet hashed, per job; the stream waits beyond this. */
const SLOTS_IN_FLIGHT = 3;
const POOL_MAX = 8;

export interface IncrementalHasher {
  /** Hands `chunk` to the hasher; resolves at once unless too many bytes are in flight. */
  update(chunk: Uint8Array): void | Promise<void>;
  /** Resolves the lower-case hex digest after every update was hashed. */
  digestHex(): Promise<string>;
  /** Drops the job (stream destroyed). */
  abort(): void;
}

interface Job {
  onAck(): void;
  onDone(hex: string | undefined, error?: string): void;
}

let worker: Worker | undefined;
let workerFailed = false;
/** Resolves true once the worker runs, false if it could not start (then everything hashes in-thread). */
let online: Promise<boolean> | undefined;
let nextId = 1;
const jobs = new Map<number, Job>();
const slots: SharedArrayBuffer[] = [];

function ensureWorker(): Worker | undefined {
  if (worker || workerFailed || process.env.OCM_HASH_THREAD === '0') return worker;
  try {
    // No inherited exec flags: some (e.g. --input-type) are not allowed in workers.
    const w = new Worker(new URL('./hash-worker.js', import.meta.url), { execArgv: [] });
    online = new Promise<boolean>((resolve) => {
      w.once('online', () => resolve(true));
      w.once('error', () => resolve(false));
      w.once('exit', () => resolve(false));
    });
    w.on('message', (m: HashReplyMessage) => {
      const job = jobs.get(m.id);
      if (!job) return;
      if ('ack' in m) job.onAck();
      else if ('hex' in m) job.onDone(m.hex);
      else job.onDone(undefined, m.error);
    });
    w.on('error', (e) => failAll(String(e?.message ?? e)));
    w.on('exit', () => failAll('hash thread exited'));
    w.unref();
    worker = w;
  } catch {
    workerFailed = true;
  }
  return worker;
}

function failAll(reason: string): void {
  worker = undefined;
  workerFailed = true;
  for (const job of jobs.values()) job.onDone(undefined, reason);
  jobs.clear();
}

function post(m: HashJobMessage): void {
  worker?.postMessage(m);
}

/**
 * An off-thread hasher for `algorithm`, or undefined when no worker can run (then hash in-thread).
 * Only worth it for streams of at least `OFF_THREAD_MIN_BYTES`.
 */
export function offThreadHasher(algorithm: string): IncrementalHasher | undefined {
  const w = ensureWorker();
  if (!w) return undefined;
  const id = nextId++;
  // Slots handed over, oldest first (acks arrive in the same order), and the one being filled.
  const inFlight: SharedArrayBuffer[] = [];
  let filling: SharedArrayBuffer | undefined;
  let filled = 0;
  let waiter: (() => void) | undefined;
  let result: Promise<string> | undefined;
  let settle: ((r: { hex?: string; error?: string }) => void) | undefined;
  const outcome = new Promise<{ hex?: string; error?: string }>((resolve) => (settle = resolve));
  const wake = () => {
    const w2 = waiter;
    waiter = undefined;
    w2?.();
  };
  const release = () => {
    jobs.delete(id);
    if (jobs.size === 0) worker?.unref();
  };
  jobs.set(id, {
    onAck() {
      const slot = inFlight.shift();
      if (slot && slots.length < POOL_MAX) slots.push(slot);
      if (inFlight.length < SLOTS_IN_FLIGHT) wake();
    },
    onDone(hex, error) {
      release();
      settle?.(error === undefined ? { hex } : { error });
      wake();
    },
  });
  if (jobs.size === 1) w.ref();
  post({ op: 'start', id, algorithm });
  // Nothing is handed over before the worker is known to run, so a failed start loses nothing:
  // the job then hashes in-thread, starting with what is already in the slot.
  let fallback: Hash | undefined;
  let started: Promise<void> | undefined = online!.then((ok) => {
    started = undefined;
    if (ok) return;
    release();
    fallback = createHash(algorithm);
    if (filling && filled > 0) fallback.update(new Uint8Array(filling, 0, filled));
    filling = undefined;
    filled = 0;
  });
  const handOver = () => {
    if (!filling || filled === 0) return;
    inFlight.push(filling);
    post({ op: 'update', id, sab: filling, offset: 0, length: filled });
    filling = undefined;
    filled = 0;
  };
  return {
    update(chunk) {
      if (fallback) return void fallback.update(chunk);
      if (started) {
        // Wait (once, at the start) until the worker is known to run.
        return started.then(() => this.update(chunk));
      }
      // Copy: the caller passes its buffer on (or reuses it) as soon as this returns.
      for (let at = 0; at < chunk.length; ) {
        filling ??= slots.pop() ?? new SharedArrayBuffer(SLOT_SIZE);
        const n = Math.min(SLOT_SIZE - filled, chunk.length - at);
        new Uint8Array(filling, filled, n).set(chunk.subarray(at, at + n));
        filled += n;
        at += n;
        if (filled === SLOT_SIZE) handOver();
      }
      if (inFlight.length <= SLOTS_IN_FLIGHT || !jobs.has(id)) return;
      return new Promise<void>((resolve) => (waiter = resolve));
    },
    digestHex() {
      result ??= (async () => {
        await started;
        if (fallback) return fallback.digest('hex');
        handOver();
        post({ op: 'end', id });
        const r = await outcome;
        if (r.error !== undefined || r.hex === undefined) throw new Error(`hash thread failed: ${r.error ?? 'no result'}`);
        return r.hex;
      })();
      return result;
    },
    abort() {
      if (!jobs.has(id)) return;
      release();
      try {
        post({ op: 'drop', id });
      } catch {
        // the worker is gone: nothing to drop
      }
      wake();
    },
  };
}
