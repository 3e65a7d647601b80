/**
 * Optional abilities of a `Target` the OCM mapping uses when present (capability checks, not
 * required members). A CTF repository has both; a registry can offer them via a chunked upload
 * (`ingest`) and a blob HEAD (`stat`). A store may tag many versions at once (`tagMany`).
 */
import type { Readable } from 'node:stream';
import type { OciDescriptor, OpOptions } from '../../oci/content/types.js';

/** One tag of a `TagBatcher.tagMany` call. */
export interface TagRequest {
  readonly repository: string;
  readonly tag: string;
  readonly desc: OciDescriptor;
}

/**
 * A store that can set many tags (across its repositories) in one step, all visible together
 * (a CTF: one index write). Tags are applied in the given order.
 */
export interface TagBatcher {
  tagMany(tags: readonly TagRequest[], options?: OpOptions): Promise<void>;
}

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

export function isTagBatcher(s: unknown): s is TagBatcher {
  return typeof (s as TagBatcher | undefined)?.tagMany === 'function';
}

/** A target whose `push` itself skips content it already has (so no `exists` call is needed first). */
export interface DedupingPusher {
  readonly pushSkipsPresent: true;
}

export function isDedupingPusher(t: unknown): t is DedupingPusher {
  return (t as DedupingPusher | undefined)?.pushSkipsPresent === true;
}
