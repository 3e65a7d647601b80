/**
 * The body of a blob download that survives interruptions: when the connection breaks or ends
 * early, it asks for the rest with a `Range` request and goes on from there, so the consumer (and
 * the digest check after it) sees one continuous stream. Chunks are passed on as they arrive
 * (event-driven, no re-buffering or concatenation), with back-pressure to the socket.
 */
import { Readable } from 'node:stream';
import { ErrorCode, OcmError, isOcmError } from '../../runtime/errors.js';
import { discardBody } from './origin.js';

export interface ResumingBodyOptions {
  /** Expected total size: more is an error, less is an interruption to resume. */
  size: number;
  /** For messages: `blob sha256:… of host/repo`. */
  what: string;
  /** How many times the download may be resumed. */
  maxResumes: number;
  /** Opens the rest of the blob from `offset` (a 206 answer starting there). */
  reopen: (offset: number) => Promise<Readable>;
  signal?: AbortSignal;
}

export class ResumingBody extends Readable {
  readonly #o: ResumingBodyOptions;
  #src: Readable | undefined;
  #detach: (() => void) | undefined;
  #offset = 0;
  #resumes = 0;

  constructor(first: Readable, options: ResumingBodyOptions) {
    super({ highWaterMark: 512 * 1024 });
    this.#o = options;
    this.#attach(first);
  }

  #attach(src: Readable): void {
    this.#src = src;
    let settled = false;
    const onData = (chunk: Buffer) => {
      this.#offset += chunk.length;
      if (this.#offset > this.#o.size) {
        this.destroy(new OcmError(ErrorCode.DIGEST_MISMATCH, `${this.#o.what}: size mismatch: got more than the expected ${this.#o.size} bytes`));
        return;
      }
      if (!this.push(chunk)) src.pause();
    };
    const onEnd = () => {
      if (settled) return;
      settled = true;
      if (this.#offset >= this.#o.size) this.push(null);
      else void this.#resume(new OcmError(ErrorCode.NETWORK_ERROR, `${this.#o.what}: connection ended after ${this.#offset} of ${this.#o.size} bytes`));
    };
    const onError = (e: unknown) => {
      if (settled) return;
      settled = true;
      void this.#resume(e);
    };
    const onClose = () => onError(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('error', onError);
    src.on('close', onClose);
    this.#detach = () => {
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', onError);
      src.off('close', onClose);
    };
  }

  override _read(): void {
    if (this.#src?.isPaused()) this.#src.resume();
  }

  async #resume(e: unknown): Promise<void> {
    this.#detach?.();
    // A detached source has no 'error' listener left; discardBody keeps its abort error from crashing.
    if (this.#src) discardBody(this.#src);
    this.#src = undefined;
    if (this.destroyed) return;
    const { signal, what, size } = this.#o;
    if (signal?.aborted) return void this.destroy(new OcmError(ErrorCode.ABORTED, 'operation aborted', { cause: signal.reason }));
    if (isOcmError(e) && e.code !== ErrorCode.NETWORK_ERROR) return void this.destroy(e);
    if (++this.#resumes > this.#o.maxResumes || this.#offset >= size) return void this.destroy(networkFailure(what, e));
    try {
      const next = await this.#o.reopen(this.#offset);
      if (this.destroyed) discardBody(next);
      else this.#attach(next);
    } catch (err) {
      this.destroy(networkFailure(what, err));
    }
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#detach?.();
    if (this.#src) discardBody(this.#src);
    this.#src = undefined;
    cb(err);
  }
}

/** A transport failure as NETWORK_ERROR naming what was being read; OcmErrors pass unchanged. */
export function networkFailure(what: string, e: unknown): OcmError {
  if (isOcmError(e)) return e;
  return new OcmError(ErrorCode.NETWORK_ERROR, `${what}: transfer interrupted: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
