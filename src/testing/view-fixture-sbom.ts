/**
 * A hand-made three-component ViewGraph for the SBOM exports (issue 17): app → lib, app → db,
 * lib → db. It carries an OCI image (tag + digest), an OCI image in a registry with a port and a
 * nested repository (digest only in the OCM digest), local blobs with SHA-256 and SHA-512 digests,
 * a resource whose digest is no content hash, a source, labels, extra identity and all three
 * signature states.
 */
import type { ViewGraph } from '../view/model.js';

export const HEX = {
  appImage: 'a1'.repeat(32),
  appChart: 'b2'.repeat(32),
  appSource: 'c3'.repeat(32),
  libBin: 'd4'.repeat(64),
  dbImage: 'e5'.repeat(32),
  dbConfig: 'f6'.repeat(32),
  sigApp: '17'.repeat(32),
  sigLib: '28'.repeat(32),
  refLib: '39'.repeat(32),
} as const;

export const sbomGraph: ViewGraph = {
  roots: ['acme.org/app:1.0.0'],
  generatedAt: '2025-01-02T03:04:05.678Z',
  generator: 'ocm-ts 0.1.0',
  nodes: [
    {
      key: 'acme.org/app:1.0.0',
      component: 'acme.org/app',
      version: '1.0.0',
      provider: 'acme.org',
      labels: [{ name: 'team', value: 'delivery' }, { name: 'release', value: { channel: 'stable', n: 3 }, signing: true }],
      repositoryContexts: [{ type: 'OCIRegistry', baseUrl: 'ghcr.io', subPath: 'acme/ocm' }],
      repository: 'ghcr.io/acme/ocm',
      creationTime: '2025-01-01T00:00:00Z',
      resources: [
        {
          kind: 'resource',
          name: 'app-image',
          version: '1.0.0',
          type: 'ociImage',
          relation: 'external',
          access: { type: 'ociArtifact', imageReference: `ghcr.io/acme/apps/app-image:1.0.0@sha256:${HEX.appImage}` },
          location: `ghcr.io/acme/apps/app-image:1.0.0@sha256:${HEX.appImage}`,
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'ociArtifactDigest/v1', value: HEX.appImage },
          size: 1234,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
        },
        {
          kind: 'resource',
          name: 'chart',
          version: '1.0.0',
          type: 'helmChart',
          relation: 'local',
          labels: [{ name: 'purpose', value: 'deploy' }],
          access: { type: 'localBlob', localReference: `sha256:${HEX.appChart}`, mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' },
          location: `localBlob sha256:${HEX.appChart} in ghcr.io/acme/ocm`,
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: HEX.appChart },
          size: 4096,
          mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
        },
      ],
      sources: [
        {
          kind: 'source',
          name: 'app-src',
          version: '1.0.0',
          type: 'git',
          access: { type: 'gitHub', repoUrl: 'github.com/acme/app', commit: '0123456789abcdef0123456789abcdef01234567' },
          location: 'github.com/acme/app@0123456789abcdef0123456789abcdef01234567',
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: HEX.appSource },
        },
      ],
      signatures: [
        {
          name: 'acme-release',
          algorithm: 'RSASSA-PSS',
          mediaType: 'application/vnd.ocm.signature.rsa',
          issuer: 'CN=acme release',
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v4alpha1', value: HEX.sigApp },
          state: 'verified',
        },
      ],
    },
    {
      key: 'acme.org/lib:2.0.0',
      component: 'acme.org/lib',
      version: '2.0.0',
      provider: 'Acme Libraries, Inc.',
      labels: [],
      repositoryContexts: [],
      repository: 'ctf ./archive',
      resources: [
        {
          kind: 'resource',
          name: 'lib-bin',
          version: '2.0.0',
          type: 'executable',
          relation: 'local',
          extraIdentity: { os: 'linux', architecture: 'amd64' },
          access: { type: 'localBlob/v1', localReference: `sha512:${HEX.libBin}` },
          location: `localBlob sha512:${HEX.libBin.slice(0, 12)}… in ctf ./archive`,
          digest: { hashAlgorithm: 'SHA-512', normalisationAlgorithm: 'genericBlobDigest/v1', value: HEX.libBin },
          mediaType: 'application/octet-stream',
        },
      ],
      sources: [],
      signatures: [
        {
          name: 'acme-release',
          algorithm: 'RSASSA-PKCS1-V1_5',
          mediaType: 'application/vnd.ocm.signature.rsa',
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v3', value: HEX.sigLib },
          state: 'failed',
          detail: 'resource "lib-bin": digest differs',
        },
      ],
    },
    {
      key: 'acme.org/db:3.1.0',
      component: 'acme.org/db',
      version: '3.1.0',
      provider: 'acme.org',
      labels: [],
      repositoryContexts: [],
      repository: 'http://127.0.0.1:5000/ocm',
      resources: [
        {
          kind: 'resource',
          name: 'db-image',
          version: '3.1.0',
          type: 'ociImage',
          relation: 'external',
          access: { type: 'ociArtifact/v1', imageReference: 'localhost:5000/team/nested/path/db:3.1' },
          location: 'localhost:5000/team/nested/path/db:3.1',
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'ociArtifactDigest/v1', value: HEX.dbImage },
        },
        {
          kind: 'resource',
          name: 'db-config',
          type: 'yaml',
          relation: 'local',
          access: { type: 'localBlob', localReference: `sha256:${HEX.dbConfig}` },
          location: `localBlob sha256:${HEX.dbConfig} in http://127.0.0.1:5000/ocm`,
          // Not a content hash: must not become a CycloneDX hash or an SPDX checksum.
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v3', value: HEX.dbConfig },
        },
      ],
      sources: [],
      signatures: [],
    },
  ],
  edges: [
    { from: 'acme.org/app:1.0.0', to: 'acme.org/lib:2.0.0', name: 'lib', digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v4alpha1', value: HEX.refLib } },
    { from: 'acme.org/app:1.0.0', to: 'acme.org/db:3.1.0', name: 'db' },
    { from: 'acme.org/lib:2.0.0', to: 'acme.org/db:3.1.0', name: 'db' },
  ],
};
