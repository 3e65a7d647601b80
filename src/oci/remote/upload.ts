/**
 * Blob upload. A blob that fits one chunk (`chunkSize`) goes monolithic (one POST with `?digest=`
 * where the registry supports it, else POST + PUT): the first one to a host, and every one in
 * re-sendable (`chunked`) mode, is buffered and retried from scratch on transient failures; later
 * ones stream in the request body (no copy; a failure fails cleanly and the caller retries). A
 * larger blob is streamed in one PATCH, or sent as chunks
 * (PATCH with `Content-Range`, the next chunk read while one is in flight, a failed PATCH resumed
 * from the offset the registry reports). Content of a KNOWN digest is not hashed here (the
 * registry verifies the digest on the closing request; sizes are checked locally); content of
 * unknown digest (ingest) is hashed while it is read.
 */
import type { Readable } from 'node:stream';
import { parseDigest } from '../../digest/digest.js';
import { DigestMismatchError, ErrorCode, OcmError, isOcmError } from '../../runtime/errors.js';
import type { OciDescriptor } from '../content/types.js';
import { header, isRetryableNetworkError, isRetryableStatus, retryAfterMs, statusError } from './http.js';
import { uploadError, type UploadPort, type UploadSession } from './upload-session.js';
import { chunkReader, type ChunkReader } from './chunk-reader.js';

export interface PushBlobOptions {
  signal?: AbortSignal;
  chunkSize: number;
  /**
   * Upload blobs larger than one chunk as chunks (each re-sendable after a failure) instead of
   * one streamed PATCH. Streaming is faster against distribution (one request, no per-chunk
   * round trip) but a connection lost mid-stream fails the upload (cleanly) instead of resuming.
   */
  chunked?: boolean;
  /**
   * An upload session the caller already opened (a POST with `mount=` that did not mount): used
   * instead of opening one. Not with `chunked`.
   */
  session?: UploadSession;
}

function transient(e: unknown): boolean {
  return (isOcmError(e, ErrorCode.NETWORK_ERROR) || (!isOcmError(e) && isRetryableNetworkError(e))) ?? false;
}

/** The digest of what was read: hashed when unknown, else the expected one (the registry verifies it). */
function finalDigest(reader: ChunkReader, algorithm: string, expected?: OciDescriptor): string {
  return reader.hash ? `${algorithm}:${reader.hash.digest('hex')}` : expected!.digest;
}

function checkDigest(actual: { digest: string; size: number }, desc: OciDescriptor, where: string): void {
  if (actual.size !== desc.size) {
    throw new OcmError(ErrorCode.DIGEST_MISMATCH, `blob ${desc.digest} for ${where}: size mismatch: got ${actual.size} bytes, expected ${desc.size}`);
  }
  if (actual.digest !== desc.digest) throw new DigestMismatchError(`blob for ${where}`, desc.digest, actual.digest);
}

/** Pushes a blob whose digest and size are known; fails (and cancels the session) if the bytes differ. */
export async function pushBlob(
  repo: UploadPort,
  desc: OciDescriptor,
  content: Readable | AsyncIterable<Uint8Array>,
  options: PushBlobOptions,
): Promise<void> {
  await uploadStream(repo, content, { ...options, expected: desc, algorithm: parseDigest(desc.digest).algorithm });
}

/** Uploads a stream whose digest is not known in advance (no spooling: chunked, hashed while sent). */
export async function ingestBlob(
  repo: UploadPort,
  content: Readable | AsyncIterable<Uint8Array>,
  options: PushBlobOptions & { mediaType: string; size?: number },
): Promise<OciDescriptor> {
  const r = await uploadStream(repo, content, { ...options, algorithm: 'sha256' });
  if (options.size !== undefined && options.size !== r.size) {
    throw new OcmError(ErrorCode.DIGEST_MISMATCH, `blob for ${repo.reference}: size mismatch: got ${r.size} bytes, expected ${options.size}`);
  }
  return { mediaType: options.mediaType, digest: r.digest, size: r.size };
}

async function uploadStream(
  repo: UploadPort,
  content: Readable | AsyncIterable<Uint8Array>,
  options: PushBlobOptions & { expected?: OciDescriptor; algorithm: string },
): Promise<{ digest: string; size: number }> {
  const { signal, expected } = options;
  const where = repo.reference;
  // A known digest is not hashed here: the registry verifies it on the closing request (and answers
  // DIGEST_INVALID, mapped to DIGEST_MISMATCH); the size is still enforced locally as bytes pass.
  const reader = chunkReader(content, expected ? undefined : options.algorithm, expected?.size ?? Infinity, `blob ${expected?.digest} for ${where}`);
  let first: { data: Buffer; last: boolean } | undefined;
  if (expected && options.session && !options.chunked) {
    // The session is open: one PUT with the body (small) or one streamed PATCH (large).
    if (expected.size <= options.chunkSize) return monolithicStream(repo, reader, expected, signal, options.session);
    return streamed(repo, reader, undefined, options);
  }
  if (expected) {
    if (expected.size <= options.chunkSize && !options.chunked && (repo.singlePostUpload !== undefined || repo.singlePostProbing)) {
      // Small, and the host's single-POST support is known or being learnt by another upload:
      // stream it in one request body (single POST when known to work, else POST + PUT; no copy
      // into a buffer); a failure fails cleanly, and a graph copy retries the blob.
      return monolithicStream(repo, reader, expected, signal);
    }
    if (expected.size <= options.chunkSize) {
      // Small enough to hold (the upload that learns whether the host takes single POSTs, or
      // re-sendable mode): read it whole (one extra byte detects a longer stream) and send it in
      // one go, retried from the buffer. One such probe per host at a time: uploads starting
      // meanwhile stream POST + PUT instead of also sending a body a registry may ignore.
      const probe = !options.chunked && repo.singlePostUpload === undefined;
      if (probe) repo.singlePostProbing = true;
      try {
        const all = await reader.next(expected.size + 1);
        const actual = { digest: expected.digest, size: reader.total };
        checkDigest(actual, expected, where);
        await monolithic(repo, { mediaType: 'application/octet-stream', ...actual }, all.data, signal);
        return actual;
      } finally {
        if (probe) repo.singlePostProbing = false;
      }
    }
    // Large: stream from the first byte (no first-chunk buffer) unless re-sendable chunks are asked for.
    if (!options.chunked) return streamed(repo, reader, undefined, options);
    first = await reader.next(options.chunkSize);
  } else {
    first = await reader.next(options.chunkSize);
    if (first.last) {
      const actual = { digest: finalDigest(reader, options.algorithm), size: reader.total };
      if (await repo.exists({ mediaType: 'application/octet-stream', ...actual }, { signal })) return actual;
      await monolithic(repo, { mediaType: 'application/octet-stream', ...actual }, first.data, signal);
      return actual;
    }
    if (!options.chunked) return streamed(repo, reader, first.data, options);
  }
  const session = await open(repo, signal);
  let offset = 0;
  let current = first;
  let actual: { digest: string; size: number };
  try {
    for (;;) {
      // Read ahead while the current chunk is in flight.
      const ahead = current.last ? undefined : reader.next(options.chunkSize);
      ahead?.catch(() => undefined);
      await patchChunk(repo, session, current.data, offset, signal);
      offset += current.data.length;
      if (!ahead) break;
      current = await ahead;
    }
    actual = { digest: finalDigest(reader, options.algorithm, expected), size: reader.total };
    if (expected) checkDigest(actual, expected, where);
  } catch (e) {
    await session.cancel(signal);
    throw e;
  }
  await finish(repo, { mediaType: 'application/octet-stream', ...actual }, session, signal);
  return actual;
}

/** One streamed PATCH of the rest of the source, verified locally before the closing PUT. */
async function streamed(
  repo: UploadPort,
  reader: ChunkReader,
  first: Buffer | undefined,
  options: PushBlobOptions & { expected?: OciDescriptor; algorithm: string },
): Promise<{ digest: string; size: number }> {
  const { signal, expected } = options;
  const session = options.session ?? (await open(repo, signal));
  let verifyError: unknown;
  let actual: { digest: string; size: number } | undefined;
  const body = (async function* () {
    // A failing source (its own digest check, or too many bytes) is the error to report, not the
    // transport's view of an aborted request body.
    try {
      if (first) yield first;
      yield* reader.rest();
      actual = { digest: finalDigest(reader, options.algorithm, expected), size: reader.total };
      if (expected) checkDigest(actual, expected, repo.reference);
    } catch (e) {
      verifyError = e;
      throw e;
    }
  })();
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (expected) headers['content-length'] = String(expected.size);
  try {
    const res = await session.patch({ headers, stream: body, signal });
    if (res.status !== 202 && res.status !== 204) throw await uploadError(res, `upload of a blob to ${repo.reference}`);
    await res.body.dump().catch(() => undefined);
    if (verifyError) throw verifyError;
    if (!actual) throw new OcmError(ErrorCode.INTERNAL, `upload to ${repo.reference} ended before the source was read`);
  } catch (e) {
    await session.cancel(signal);
    if (verifyError) throw verifyError;
    if (transient(e)) {
      throw new OcmError(ErrorCode.NETWORK_ERROR, `upload of a blob to ${repo.reference} was interrupted after ${reader.total} bytes; retry the command`, { cause: e });
    }
    throw e;
  }
  await finish(repo, { mediaType: 'application/octet-stream', ...actual }, session, signal);
  return actual;
}

/** Opens an upload session (POST without a body). */
async function open(repo: UploadPort, signal?: AbortSignal): Promise<UploadSession> {
  const r = await repo.begin({ signal });
  if (r.stored) throw new OcmError(ErrorCode.INTERNAL, `upload to ${repo.reference}: a POST without digest cannot store a blob`);
  return r.session;
}

/**
 * One blob in one request where the registry supports it (`POST .../uploads/?digest=` with the body
 * → 201), else POST + PUT. A registry that answers the single POST with 202 (distribution 2.8: it
 * opens a session and ignores the body) is remembered per host, and the session is used for the PUT.
 */
async function monolithic(repo: UploadPort, desc: OciDescriptor, data: Buffer, signal?: AbortSignal): Promise<void> {
  const transport = repo.transport;
  const started = Date.now();
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(data.length) };
  for (let attempt = 1; ; attempt++) {
    let retryAfter: number | undefined;
    try {
      let session: UploadSession;
      if (repo.singlePostUpload !== false) {
        const r = await repo.begin({ digest: desc.digest, headers, body: data, signal });
        repo.singlePostUpload = r.stored;
        if (r.stored) return;
        session = r.session;
      } else {
        session = await open(repo, signal);
      }
      const res = await session.put(desc.digest, { headers, body: data, signal });
      if (res.status === 201 || res.status === 204) {
        await res.body.dump().catch(() => undefined);
        return;
      }
      if (!isRetryableStatus(res.status)) throw await uploadError(res, `upload of blob ${desc.digest} to ${repo.reference}`);
      retryAfter = retryAfterMs(header(res.headers, 'retry-after'));
      await res.body.dump().catch(() => undefined);
    } catch (e) {
      if (!transient(e) && !isRetryable5xx(e)) throw e;
    }
    // The PUT may have landed before the connection broke.
    if (await repo.exists(desc, { signal }).catch(() => false)) return;
    if (!(await transport.shouldRetry(attempt, started, retryAfter, signal))) {
      throw new OcmError(ErrorCode.NETWORK_ERROR, `upload of blob ${desc.digest} to ${repo.reference} failed after ${attempt} attempts`);
    }
  }
}

/** Monolithic upload of a streamed body: single POST where supported, else POST + PUT with the body. */
async function monolithicStream(repo: UploadPort, reader: ChunkReader, desc: OciDescriptor, signal?: AbortSignal, opened?: UploadSession): Promise<{ digest: string; size: number }> {
  const what = `upload of blob ${desc.digest} to ${repo.reference}`;
  let sourceError: unknown;
  const body = (async function* () {
    try {
      yield* reader.rest();
      checkDigest({ digest: desc.digest, size: reader.total }, desc, repo.reference);
    } catch (e) {
      sourceError = e;
      throw e;
    }
  })();
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) };
  let session: UploadSession | undefined;
  try {
    if (repo.singlePostUpload && !opened) {
      const r = await repo.begin({ digest: desc.digest, headers, stream: body, signal });
      if (!r.stored) {
        // The host took single POSTs before; a 202 now means the body was ignored.
        session = r.session;
        throw new OcmError(ErrorCode.REGISTRY_ERROR, `${what}: the registry opened a session instead of storing the blob; retry the command`);
      }
    } else {
      session = opened ?? (await open(repo, signal));
      const res = await session.put(desc.digest, { headers, stream: body, signal });
      if (res.status !== 201 && res.status !== 204) throw await uploadError(res, what);
      await res.body.dump().catch(() => undefined);
    }
    if (sourceError) throw sourceError;
  } catch (e) {
    if (session) await session.cancel(signal);
    if (sourceError) throw sourceError;
    if (transient(e)) throw new OcmError(ErrorCode.NETWORK_ERROR, `${what} was interrupted after ${reader.total} bytes; retry the command`, { cause: e });
    throw e;
  }
  return { digest: desc.digest, size: desc.size };
}

function isRetryable5xx(e: unknown): boolean {
  const s = isOcmError(e) ? (e.details.status as number | undefined) : undefined;
  return s !== undefined && isRetryableStatus(s);
}

/** PATCHes `data` at `offset`; on failure asks the registry how much it has and sends the rest. */
async function patchChunk(repo: UploadPort, session: UploadSession, data: Buffer, offset: number, signal?: AbortSignal): Promise<void> {
  const started = Date.now();
  let sent = 0;
  for (let attempt = 1; ; attempt++) {
    let retryAfter: number | undefined;
    try {
      const part = data.subarray(sent);
      const res = await session.patch({
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset + sent}-${offset + data.length - 1}`,
          'content-length': String(part.length),
        },
        body: part,
        signal,
      });
      if (res.status === 202 || res.status === 204) {
        await res.body.dump().catch(() => undefined);
        return;
      }
      if (!isRetryableStatus(res.status)) throw await statusError(res, `chunk upload to ${repo.reference}`);
      retryAfter = retryAfterMs(header(res.headers, 'retry-after'));
      await res.body.dump().catch(() => undefined);
    } catch (e) {
      if (!transient(e) && !isRetryable5xx(e)) throw e;
    }
    if (!(await repo.transport.shouldRetry(attempt, started, retryAfter, signal))) {
      throw new OcmError(ErrorCode.NETWORK_ERROR, `chunk upload to ${repo.reference} failed after ${attempt} attempts`);
    }
    const { committed } = await session.status(signal);
    const have = committed - offset;
    if (have < 0 || have > data.length) {
      throw new OcmError(ErrorCode.REGISTRY_ERROR, `upload session ${session.where} reports ${committed} bytes; expected ${offset}..${offset + data.length}; retry the upload`);
    }
    if (have === data.length) return;
    sent = have;
  }
}

async function finish(repo: UploadPort, desc: OciDescriptor, session: UploadSession, signal?: AbortSignal): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    let retryAfter: number | undefined;
    try {
      const res = await session.put(desc.digest, { headers: { 'content-type': 'application/octet-stream', 'content-length': '0' }, signal });
      if (res.status === 201 || res.status === 204) {
        await res.body.dump().catch(() => undefined);
        return;
      }
      if (!isRetryableStatus(res.status)) throw await uploadError(res, `closing upload of blob ${desc.digest} to ${repo.reference}`);
      retryAfter = retryAfterMs(header(res.headers, 'retry-after'));
      await res.body.dump().catch(() => undefined);
    } catch (e) {
      if (!transient(e) && !isRetryable5xx(e)) throw e;
    }
    if (await repo.exists(desc, { signal }).catch(() => false)) return;
    if (!(await repo.transport.shouldRetry(attempt, started, retryAfter, signal))) {
      throw new OcmError(ErrorCode.NETWORK_ERROR, `closing upload of blob ${desc.digest} to ${repo.reference} failed after ${attempt} attempts`);
    }
  }
}
