/**
 * ReadOnlyBlob: content that can be opened (possibly many times) as a stream. Metadata (size,
 * digest, media type) is optional and found through capability guards, not optional members.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ErrorCode, OcmError, fromFsError } from '../runtime/errors.js';

export interface OpenOptions {
  signal?: AbortSignal;
}

export interface ReadOnlyBlob {
  /** A fresh stream from byte 0. Single-pass blobs throw BLOB_CONSUMED (code INVALID_ARGUMENT) on a second call. */
  open(options?: OpenOptions): Promise<Readable>;
}

export interface SizeAware {
  readonly size: number;
}
export interface DigestAware {
  /** `sha256:<hex>` */
  readonly digest: string;
}
export interface MediaTypeAware {
  readonly mediaType: string;
}

export function isSizeAware(b: unknown): b is SizeAware {
  return typeof (b as SizeAware | undefined)?.size === 'number';
}
export function isDigestAware(b: unknown): b is DigestAware {
  // A getter may throw (e.g. a digesting stream before it ended): that means "not known yet".
  try {
    return typeof (b as DigestAware | undefined)?.digest === 'string';
  } catch {
    return false;
  }
}
export function isMediaTypeAware(b: unknown): b is MediaTypeAware {
  return typeof (b as MediaTypeAware | undefined)?.mediaType === 'string';
}

/** In-memory blob: for metadata and tests only. */
export function bytesBlob(bytes: Uint8Array | string, mediaType?: string): ReadOnlyBlob & SizeAware & Partial<MediaTypeAware> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return {
    size: buf.length,
    ...(mediaType ? { mediaType } : {}),
    async open() {
      return Readable.from([buf]);
    },
  };
}

/** A file on disk; size read once at creation. */
export async function fileBlob(path: string, mediaType?: string): Promise<ReadOnlyBlob & SizeAware & Partial<MediaTypeAware>> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new OcmError(ErrorCode.INVALID_ARGUMENT, `${path}: not a regular file`);
    size = s.size;
  } catch (e) {
    throw fromFsError(e, path);
  }
  return {
    size,
    ...(mediaType ? { mediaType } : {}),
    async open(options?: OpenOptions) {
      return createReadStream(path, { signal: options?.signal, highWaterMark: 1024 * 1024 });
    },
  };
}

/** Wraps a one-shot stream; a second open fails clearly instead of returning an empty stream. */
export function streamBlob(stream: Readable): ReadOnlyBlob {
  let used = false;
  return {
    async open() {
      if (used) throw new OcmError(ErrorCode.INVALID_ARGUMENT, 'BLOB_CONSUMED: this blob is a one-shot stream and was already read');
      used = true;
      return stream;
    },
  };
}
