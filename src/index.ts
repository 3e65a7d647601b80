/**
 * ocm-ts root entry point: the value types, the errors, and the verbs most programs need (parse,
 * open, add, sign, verify, transfer). Everything else is in the per-layer subpaths (`ocm-ts/ctf`,
 * `ocm-ts/oci`, `ocm-ts/signing`, ...; docs/api.md). No namespaces here: each name has exactly one
 * home, and a program that needs one layer imports that layer's subpath. The CLI is a thin shell
 * over these same functions (it imports the modules directly so start-up loads only what it uses).
 */
// Values and contracts
export * from './runtime/index.js';
export {
  bytesBlob, fileBlob, streamBlob, isSizeAware, isDigestAware, isMediaTypeAware,
  type ReadOnlyBlob, type SizeAware, type DigestAware, type MediaTypeAware, type OpenOptions as BlobOpenOptions,
} from './blob/blob.js';
export { digestOf, parseDigest, formatDigest, type Digest, type DigestAlgorithm } from './digest/digest.js';
export type * from './descriptor/types.js';
export type { OciDescriptor, OpOptions, RepositoryStore } from './oci/content/types.js';
export type {
  ArtifactRef, LocalBlobInput, StoredLocalBlob, LocalBlobContent, ComponentVersionReader, ComponentVersionWriter,
  AddComponentVersionOptions, LocalBlobReader, LocalBlobWriter, ComponentVersionRepository, CtfFormat,
  CtfRepositorySpec, OciRepositorySpec, OpenRepositoryOptions, RepositoryProvider,
} from './repository/types.js';
export type { ConstructorSpec } from './constructor/types.js';
export type { RepositoryLocation, TransferOptions, TransferSummary } from './transfer/types.js';

// Verbs
export { parseDescriptor, serializeDescriptor, validateDescriptor } from './descriptor/codec.js';
export { openRepository } from './repository/open.js';
export { parseComponentReference, parseRepositoryReference } from './repository/reference.js';
export { loadConstructor } from './constructor/parse.js';
export { addComponentVersions } from './constructor/construct.js';
export { loadConfig } from './credentials/config.js';
export { createCredentialGraph } from './credentials/graph.js';
export { signComponentVersion } from './signing/sign.js';
export { verifyComponentVersion } from './signing/verify.js';
export { transfer, openLocation } from './transfer/index.js';
export { createSession, type Session, type SessionOptions } from './session/index.js';
export { createTypeRegistry } from './repository/builtins.js';
