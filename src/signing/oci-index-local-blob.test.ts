import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tempDir } from '../testing/fixtures.js';
import { openCtf } from '../ctf/store.js';
import { serializeDescriptor } from '../descriptor/codec.js';
import type { ComponentDescriptor } from '../descriptor/types.js';
import { digestOf, readAllBounded } from '../digest/digest.js';
import { MediaType } from '../oci/content/media-types.js';
import type { OciDescriptor, Target } from '../oci/content/types.js';
import {
  OciComponentRepository,
  descriptorTar,
  serializeComponentConfig,
  serializeIndex,
  serializeManifest,
} from '../repository/oci-mapping/index.js';
import { signComponentVersion } from './sign.js';
import { verifyComponentVersion } from './verify.js';
import { parsePublicKey } from './rsa.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = parsePublicKey(keys.publicKey.export({ type: 'spki', format: 'pem' }));
const COMPONENT = 'acme.org/app';

async function put(target: Target, mediaType: string, bytes: Buffer): Promise<OciDescriptor> {
  const desc = { mediaType, digest: digestOf(bytes), size: bytes.length };
  await target.push(desc, Readable.from([bytes]));
  return desc;
}

/**
 * The shape a by-value transfer leaves when it stores an image as a local blob (v2 index
 * representation, model §4.5): the tag points at an index whose manifests[0] is the CV manifest
 * and manifests[1] the image manifest; the resource's localBlob names the image manifest digest.
 */
async function indexShapedCtf(t: { after(fn: () => Promise<void>): void }) {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  const repo = new OciComponentRepository(store, { closeStore: true });
  t.after(() => repo.close());
  const target = store.repository(repo.repositoryName(COMPONENT));

  const config = await put(target, 'application/vnd.oci.image.config.v1+json', Buffer.from('{"architecture":"amd64","os":"linux"}'));
  const layer = await put(target, 'application/vnd.oci.image.layer.v1.tar', Buffer.from('layer bytes'));
  const imageBytes = Buffer.from(serializeManifest({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] }));
  const image = await put(target, MediaType.ociManifest, imageBytes);
  const hex = image.digest.slice('sha256:'.length);

  const access = { type: 'localBlob', localReference: image.digest, mediaType: MediaType.ociManifest };
  const cd: ComponentDescriptor = {
    meta: { schemaVersion: 'v2' },
    component: {
      name: COMPONENT,
      version: '1.0.0',
      provider: 'acme.org',
      repositoryContexts: [],
      resources: [
        // as v1 records it
        { name: 'image', version: '1.0.0', type: 'ociImage', relation: 'local', access, digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'ociArtifactDigest/v1', value: hex } },
        // as v2 records it: genericBlobDigest/v1 holding the manifest digest
        { name: 'image-v2', version: '1.0.0', type: 'ociImage', relation: 'local', access, digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: hex } },
        // no digest yet: signing computes one
        { name: 'image-new', version: '1.0.0', type: 'ociImage', relation: 'local', access },
      ],
      sources: [],
      componentReferences: [],
    },
  };
  const descLayer = await put(target, MediaType.componentDescriptorYamlTar, descriptorTar(await serializeDescriptor(cd, 'yaml')));
  const cvConfig = await put(target, MediaType.componentConfig, Buffer.from(serializeComponentConfig(descLayer)));
  const cvManifest = await put(target, MediaType.ociManifest, Buffer.from(serializeManifest({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: cvConfig, layers: [descLayer] })));
  const index = await put(
    target,
    MediaType.ociIndex,
    Buffer.from(serializeIndex({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [cvManifest, { ...image, platform: { architecture: 'amd64', os: 'linux' } }] })),
  );
  await target.tag(index, '1.0.0');
  return { repo, target, image, imageBytes, hex };
}

test('a local blob that is an image manifest in the CV index signs and verifies by its manifest digest', async (t) => {
  const { repo, target, image, hex } = await indexShapedCtf(t);
  const signed = await signComponentVersion({ repository: repo, component: COMPONENT, version: '1.0.0', name: 'acme', privateKey: keys.privateKey as KeyObject });
  const root = signed.descriptors[signed.descriptors.length - 1]!;
  assert.deepEqual(root.component.resources.find((r) => r.name === 'image-new')!.digest, { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'ociArtifactDigest/v1', value: hex });

  const res = await verifyComponentVersion({ repository: repo, component: COMPONENT, version: '1.0.0', signature: 'acme', publicKey, recursive: true });
  assert.equal(res.verified.length, 1);

  // The signed version keeps the index representation: the image stays an index entry, not a layer.
  const top = await target.resolve('1.0.0');
  assert.equal(top.mediaType, MediaType.ociIndex);
  const idx = JSON.parse((await readAllBounded(await target.fetch(top), 1 << 20)).toString('utf8')) as { manifests: OciDescriptor[] };
  assert.equal(idx.manifests.length, 2);
  assert.equal(idx.manifests[1]!.digest, image.digest);
  const cvManifest = JSON.parse((await readAllBounded(await target.fetch(idx.manifests[0]!), 1 << 20)).toString('utf8')) as { layers: OciDescriptor[] };
  assert.ok(!cvManifest.layers.some((l) => l.digest === image.digest));
});

test('getLocalBlob of an image stored in the CV index returns the verified manifest bytes', async (t) => {
  const { repo, image, imageBytes } = await indexShapedCtf(t);
  const blob = await repo.getLocalBlob(COMPONENT, '1.0.0', { type: 'localBlob', localReference: image.digest, mediaType: MediaType.ociManifest });
  assert.equal(blob.digest, image.digest);
  assert.equal(blob.mediaType, MediaType.ociManifest);
  assert.deepEqual(await readAllBounded(blob.stream, 1 << 20), imageBytes);
});

test('a recorded manifest digest that does not match the stored image fails verification naming the resource', async (t) => {
  const { repo } = await indexShapedCtf(t);
  await signComponentVersion({ repository: repo, component: COMPONENT, version: '1.0.0', name: 'acme', privateKey: keys.privateKey as KeyObject });
  const cd = await repo.getComponentVersion(COMPONENT, '1.0.0');
  const resources = cd.component.resources.map((r, i) => (i === 0 ? { ...r, digest: { ...r.digest!, value: 'ab'.repeat(32) } } : r));
  const wrong: ComponentDescriptor = { ...cd, component: { ...cd.component, resources } };
  await repo.addComponentVersion(wrong, { overwrite: true });
  await assert.rejects(
    verifyComponentVersion({ repository: repo, component: COMPONENT, version: '1.0.0', signature: 'acme', publicKey }),
    (e: Error & { code?: string }) => e.code === 'DIGEST_MISMATCH' && /resource "?image"?/.test(e.message),
  );
});
