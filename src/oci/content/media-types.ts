/** OCI and OCM media types (shared/spec/model-and-formats.md §3–§4). */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayout: 'application/vnd.ocm.software.oci.layout.v1+tar',
  ociLayoutGzip: 'application/vnd.ocm.software.oci.layout.v1+tar+gzip',
  /** v1 artifact set (by-value OCI artifact as local blob). */
  artifactSetManifest: 'application/vnd.oci.image.manifest.v1+tar+gzip',
  artifactSetIndex: 'application/vnd.oci.image.index.v1+tar+gzip',

  componentConfig: 'application/vnd.ocm.software.component.config.v1+json',
  componentDescriptorYamlTar: 'application/vnd.ocm.software.component-descriptor.v2+yaml+tar',
  componentDescriptorJson: 'application/vnd.ocm.software.component-descriptor.v2+json',
  componentDescriptorYaml: 'application/vnd.ocm.software.component-descriptor.v2+yaml',
  /** v2 `artifactType` of a CV manifest. */
  componentDescriptorArtifact: 'application/vnd.ocm.software.component-descriptor.v2',

  legacyComponentConfig: 'application/vnd.gardener.cloud.cnudie.component.config.v1+json',
  legacyComponentConfig2: 'application/vnd.oci.gardener.cloud.cnudie.component-descriptor-metadata.config.v2+json',
  legacyDescriptorYamlTar: 'application/vnd.gardener.cloud.cnudie.component-descriptor.v2+yaml+tar',
  legacyDescriptorYamlTar2: 'application/vnd.oci.gardener.cloud.cnudie.component-descriptor.config.v2+yaml+tar',
  legacyDescriptorJson: 'application/vnd.gardener.cloud.cnudie.component-descriptor.v2+json',
  legacyDescriptorYaml: 'application/vnd.gardener.cloud.cnudie.component-descriptor.v2+yaml',

  octetStream: 'application/octet-stream',
} as const;

export const ManifestMediaTypes: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];
export const IndexMediaTypes: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt !== undefined && (ManifestMediaTypes.includes(mt) || IndexMediaTypes.includes(mt));
}

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt !== undefined && IndexMediaTypes.includes(mt);
}

export const ComponentConfigMediaTypes: readonly string[] = [
  MediaType.componentConfig,
  MediaType.legacyComponentConfig,
  MediaType.legacyComponentConfig2,
];

/** OCI annotation keys used by OCM. */
export const Annotation = {
  componentVersion: 'software.ocm.componentversion',
  creator: 'software.ocm.creator',
  artifact: 'software.ocm.artifact',
  artifactSetMain: 'software.ocm/main',
  artifactSetTags: 'software.ocm/tags',
  refName: 'org.opencontainers.image.ref.name',
  /** On an OCI referrer kept in a CV index (transfer/referrers.ts): the digest of the manifest it refers to. */
  referrerSubject: 'software.ocm.referrer.subject',
  /** ... and the comma-separated tags it was found under (`sha256-<hex>`, cosign's `sha256-<hex>.sig`), re-created in a registry. */
  referrerTags: 'software.ocm.referrer.tags',
} as const;
