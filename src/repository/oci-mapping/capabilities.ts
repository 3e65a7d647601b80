/**
 * Optional abilities of a `Target` the OCM mapping uses when present (capability checks, not
 * required members). A CTF repository has both; a registry can offer them via a chunked upload
 * (`ingest`) and a blob HEAD (`stat`).
 */
import type { Readable } from 'node:stream';
import type { OciDescriptor, OpOptions } from '../../oci/content/types.js';

/** Stores content whose digest is not known in advance; returns its descriptor. */
export interface BlobIngester {
  ingest(content: Readable | AsyncIterable<Uint8Array>, options: { mediaType: string; size?: number } & OpOptions): Promise<OciDescriptor>;
}

/** The size of a stored blob, or undefined if absent. */
export interface BlobStatter {
  stat(digest: string, options?: OpOptions): Promise<{ size: number } | undefined>;
}

export function isBlobIngester(t: unknown): t is BlobIngester {
  return typeof (t as BlobIngester | undefined)?.ingest === 'function';
}

export function isBlobStatter(t: unknown): t is BlobStatter {
  return typeof (t as BlobStatter | undefined)?.stat === 'function';
}
