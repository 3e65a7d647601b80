/**
 * Public API of the OCI layers: content model and store contracts (content/), the distribution
 * client (remote/), and OCI image layout output (layout/). One subpath, `ocm-ts/oci`, because a
 * program that talks to a registry nearly always needs the content types as well.
 */
export type * from './content/types.js';
export { isTagLister, isMounter } from './content/types.js';
export {
  MediaType, Annotation, ManifestMediaTypes, IndexMediaTypes, ComponentConfigMediaTypes, isManifestMediaType, isIndexMediaType,
} from './content/media-types.js';
export { MemoryStore, MemoryRepository, pushBytes, type MemoryStats } from './content/memory.js';
export { copyGraph, copyReference, type CopyHooks, type CopyOptions } from './content/copy.js';
export {
  RegistryClient, RemoteRepository, validateRepositoryName, defaultRetryPolicy, parseOciReference,
  type RegistryClientOptions, type RegistryHost, type RetryPolicy, type CredentialFunction, type OciReference,
} from './remote/index.js';
export { parseImageReference, type ImageReference } from './remote/reference.js';
export { ociLayoutTar, writeOciLayoutDir, layoutIndex, OCI_LAYOUT_FILE, type LayoutOptions } from './layout/index.js';
