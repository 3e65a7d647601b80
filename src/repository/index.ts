/**
 * Public API of the repository layer: the component-version repository contracts, opening a
 * repository from its typed spec (CTF or OCI registry), references as typed on the command line,
 * access methods, and OCM's mapping of component versions onto OCI repositories.
 */
export type * from './types.js';
export { openRepository, consumerIdentityFor, type OpenOptions } from './open.js';
export {
  parseComponentReference, parseRepositoryReference, formatComponentReference, CTF_TYPE, OCI_TYPE, DEFAULT_PREFIX,
  type ComponentReference, type ReferenceOptions,
} from './reference.js';
export { registerBuiltins, createTypeRegistry } from './builtins.js';
export { accessMethod, isArtifactDigester, type AccessMethod, type AccessContext, type ArtifactDigester } from './access.js';
export { LOCAL_BLOB_TYPE } from './local-blob-access.js';
export { OCI_IMAGE_TYPE } from './oci-artifact-access.js';
export {
  OciComponentRepository, DEFAULT_CREATOR, toTag, toVersion, componentRepositoryName, COMPONENT_DESCRIPTORS,
  type OciComponentRepositoryOptions, type AddComponentVersionsOptions, type ComponentVersionBatch,
} from './oci-mapping/index.js';
