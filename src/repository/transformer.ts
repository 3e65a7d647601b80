/**
 * Blob transformers: turn the bytes of a downloaded resource into other bytes (unpack, convert,
 * re-package) before they are written (`ocm download resource --transformer <spec-file>`).
 * Kind `blob-transformer` in the type registry, keyed by the transformer spec type; plugins add
 * them through their `blobTransformer` capability. Identity first, then credentials, as for
 * access methods: the caller resolves `consumerIdentity(spec)` and hands the credentials in.
 */
import type { TypedSpec } from '../descriptor/types.js';
import type { Credentials } from '../runtime/credentials-types.js';
import type { Identity } from '../runtime/identity.js';
import type { LocalBlobContent } from './types.js';

export { BLOB_TRANSFORMER_KIND } from '../runtime/type-registry.js';

export interface TransformContext {
  /** Credentials for `consumerIdentity(spec)`, resolved by the caller; undefined = none. */
  readonly credentials?: Credentials;
  readonly signal?: AbortSignal;
}

export interface BlobTransformer {
  /** The consumer identity credentials for this transformation are looked up with; undefined if it needs none. */
  consumerIdentity(spec: TypedSpec): Identity | undefined | Promise<Identity | undefined>;
  /** Reads `content` to its end (so its checks run) and returns the transformed bytes as a stream. */
  transform(content: LocalBlobContent, spec: TypedSpec, ctx: TransformContext): Promise<LocalBlobContent>;
}
