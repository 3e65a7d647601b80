/** OCM's mapping of component versions onto OCI repositories (CTF or registry). */
export { OciComponentRepository, DEFAULT_CREATOR, artifactAnnotation, isLocalBlobAccess, type OciComponentRepositoryOptions } from './repository.js';
export type { AddComponentVersionsOptions, ComponentVersionBatch } from './batch.js';
export { toTag, toVersion, componentRepositoryName, isVersionTag, COMPONENT_DESCRIPTORS } from './tags.js';
export { descriptorTar, readDescriptorLayer, DescriptorLayerMediaTypes, DESCRIPTOR_FILE } from './descriptor-layer.js';
export { serializeManifest, serializeIndex, serializeComponentConfig, descriptorJson } from './manifest.js';
export { isBlobIngester, isBlobStatter, isTagBatcher, type BlobIngester, type BlobStatter, type TagBatcher, type TagRequest } from './capabilities.js';
export { storeBlob } from './store-blob.js';
export {
  readStoredVersion,
  readStoredVersionAt,
  readStoredManifest,
  readStoredManifestByTag,
  resolveVersion,
  type StoredVersion,
  type StoredManifest,
  type ReadStoredOptions,
} from './stored.js';
