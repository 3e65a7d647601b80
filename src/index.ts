/**
 * ocm-ts public API (the facade). Everything a program needs is exported from here; the CLI is
 * a thin shell over exactly these functions.
 */
export * from './runtime/index.js';
export * from './digest/digest.js';
export * from './blob/blob.js';
export type * from './descriptor/types.js';
export * from './oci/content/media-types.js';
export type * from './oci/content/types.js';
export type {
  ArtifactRef, LocalBlobInput, StoredLocalBlob, LocalBlobContent, ComponentVersionReader, ComponentVersionWriter,
  AddComponentVersionOptions, LocalBlobReader, LocalBlobWriter, ComponentVersionRepository, CtfFormat,
  CtfRepositorySpec, OciRepositorySpec, OpenRepositoryOptions, RepositoryProvider,
} from './repository/types.js';
