/**
 * ocm-ts public API (the facade). The CLI is a thin shell over these functions.
 *
 * Top level: the value types and contracts, plus the verbs most programs need (parse, open,
 * add, sign, verify, transfer). Each layer's full API is also available as a namespace
 * (`descriptor`, `ctf`, `registry`, `credentials`, `signing`, `transferEngine`, ...).
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
export type { AccessMethod, AccessContext, ArtifactDigester } from './repository/access.js';

// Verbs
export { parseDescriptor, serializeDescriptor, validateDescriptor } from './descriptor/index.js';
export { openRepository, consumerIdentityFor } from './repository/open.js';
export { parseComponentReference, parseRepositoryReference } from './repository/reference.js';
export { registerBuiltins } from './repository/builtins.js';
export { accessMethod } from './repository/access.js';
export { openCtf } from './ctf/index.js';
export { RegistryClient } from './oci/remote/index.js';
export { loadConstructor, parseConstructor, addComponentVersions } from './constructor/index.js';
export { loadConfig, createCredentialGraph } from './credentials/index.js';
export { createSession, type Session, type SessionOptions } from './session/index.js';
export { signComponentVersion, verifyComponentVersion } from './signing/index.js';
export { transfer, planTransfer, executeTransfer, openLocation } from './transfer/index.js';

// Namespaces: the full API of each layer
export * as descriptor from './descriptor/index.js';
export * as ctf from './ctf/index.js';
export * as registry from './oci/remote/index.js';
export * as ociMapping from './repository/oci-mapping/index.js';
export * as componentConstructor from './constructor/index.js';
export * as config from './config/index.js';
export * as credentials from './credentials/index.js';
export * as signing from './signing/index.js';
export * as transferEngine from './transfer/index.js';
