/**
 * Digest value type and streaming verification. The only sanctioned way to accept bytes whose
 * digest is known: pipe them through `verifying()`, which hashes, enforces the declared size
 * (short and trailing data both fail) and errors in `flush` on a mismatch, so "the stream ended
 * without error" means "every byte was checked".
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import { DigestMismatchError, ErrorCode, OcmError } from '../runtime/errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** An OCI digest string `sha256:<64 hex>` split into its parts. */
export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

const HEX_LEN: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/** Parses and validates `sha256:<hex>`. Throws INVALID_ARGUMENT naming the bad text. */
export function parseDigest(text: string): Digest {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(text);
  const alg = m?.[1] as DigestAlgorithm | undefined;
  if (!m || !alg || !(alg in HEX_LEN) || m[2]!.length !== HEX_LEN[alg]) {
    throw new OcmError(ErrorCode.INVALID_ARGUMENT, `invalid digest "${text}": expected sha256:<64 lower-case hex> or sha512:<128 hex>`);
  }
  return { algorithm: alg, hex: m[2]! };
}

export function isDigest(text: string): boolean {
  try {
    parseDigest(text);
    return true;
  } catch {
    return false;
  }
}

export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

/** `sha256:<hex>` of in-memory bytes (metadata only: manifests, configs, descriptors). */
export function digestOf(bytes: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export interface VerifyExpectation {
  /** Expected `alg:hex`; when absent only the size is checked and the digest computed. */
  readonly digest?: string;
  /** Expected size in bytes; when absent any size is accepted. */
  readonly size?: number;
  /** What is being read, for error messages (e.g. `blob sha256:ab.. of repo x`). */
  readonly what?: string;
  /** Algorithm to compute when no digest is expected. Default sha256. */
  readonly algorithm?: DigestAlgorithm;
  /** Enforce only the size; no hash (for a consumer that verifies the digest itself). */
  readonly sizeOnly?: boolean;
}

/**
 * A pass-through Transform that hashes and counts. After it finished, `digest` and `size` hold
 * the computed values. With an expectation it fails on the first byte beyond `size`, and at the
 * end on a short stream or a digest mismatch.
 */
export class DigestingStream extends Transform {
  readonly #hash: Hash;
  readonly #algorithm: DigestAlgorithm;
  readonly #expect: VerifyExpectation;
  #size = 0;
  #digest: string | undefined;

  constructor(expect: VerifyExpectation = {}) {
    super();
    this.#expect = expect;
    this.#algorithm = expect.digest ? parseDigest(expect.digest).algorithm : (expect.algorithm ?? 'sha256');
    this.#hash = createHash(this.#algorithm);
  }

  /** Computed `alg:hex`; available after the stream ended. */
  get digest(): string {
    if (this.#digest === undefined) throw new OcmError(ErrorCode.INTERNAL, 'digest requested before the stream ended');
    return this.#digest;
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#size += chunk.length;
    const limit = this.#expect.size;
    if (limit !== undefined && this.#size > limit) {
      cb(sizeError(this.#expect, `more than the expected ${limit} bytes`));
      return;
    }
    if (!this.#expect.sizeOnly) this.#hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const { size, digest } = this.#expect;
    if (size !== undefined && this.#size !== size) {
      cb(sizeError(this.#expect, `${this.#size} bytes, expected ${size}`));
      return;
    }
    if (this.#expect.sizeOnly) return void cb();
    this.#digest = `${this.#algorithm}:${this.#hash.digest('hex')}`;
    if (digest !== undefined && this.#digest !== digest) {
      cb(new DigestMismatchError(this.#expect.what ?? 'content', digest, this.#digest, { details: { size: this.#size } }));
      return;
    }
    cb();
  }
}

function sizeError(expect: VerifyExpectation, text: string): OcmError {
  return new OcmError(ErrorCode.DIGEST_MISMATCH, `${expect.what ?? 'content'}: size mismatch: got ${text}`, {
    details: { expectedSize: expect.size, expectedDigest: expect.digest },
  });
}

/** Shorthand for `new DigestingStream(expect)`. */
export function verifying(expect: VerifyExpectation = {}): DigestingStream {
  return new DigestingStream(expect);
}

/** Hashes a stream to the end without keeping its bytes. Returns digest and size. */
export async function digestStream(
  source: Readable | AsyncIterable<Uint8Array>,
  options: { algorithm?: DigestAlgorithm; signal?: AbortSignal } = {},
): Promise<{ digest: string; size: number }> {
  const alg = options.algorithm ?? 'sha256';
  const hash = createHash(alg);
  let size = 0;
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    if (options.signal?.aborted) throw new OcmError(ErrorCode.ABORTED, 'operation aborted');
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `${alg}:${hash.digest('hex')}`, size };
}

/**
 * Reads a whole stream into memory, refusing more than `limit` bytes. Only for metadata
 * (manifests, configs, descriptors, token and error bodies) — never for blobs. Never
 * pre-allocates from a declared size.
 */
export async function readAllBounded(
  source: Readable | AsyncIterable<Uint8Array>,
  limit: number,
  what = 'content',
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    n += chunk.length;
    if (n > limit) {
      (source as Readable).destroy?.();
      throw new OcmError(ErrorCode.LIMIT_EXCEEDED, `${what} exceeds the limit of ${limit} bytes`, { details: { limit } });
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, n);
}

/** Default bounds for metadata a remote controls. */
export const Limits = {
  manifest: 4 * 1024 * 1024,
  errorBody: 64 * 1024,
  tokenResponse: 1024 * 1024,
  descriptor: 16 * 1024 * 1024,
  index: 64 * 1024 * 1024,
} as const;
