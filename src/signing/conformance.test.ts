import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { conformance, tempDir } from '../testing/fixtures.js';
import { openRepository } from '../repository/open.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import type { ComponentDescriptor } from '../descriptor/types.js';
import { ErrorCode, NotFoundError, OcmError } from '../runtime/errors.js';
import { loadDescriptor } from './support.test.js';
import { parsePublicKey } from './rsa.js';
import { verifySignature } from './signature.js';
import { verifyComponentVersion } from './verify.js';
import { digestResources } from './digests.js';

const LEGACY = 'ocm/signing/rsa-pkcs1v15-legacy-v1/';
const rsaPub = () => parsePublicKey(readFileSync(conformance(`${LEGACY}rsa.pub`)), 'rsa.pub');

/** A read-only Component Archive (descriptor + blobs/<file name>) as a repository, for the Go-signed fixture. */
function componentArchive(dir: string, cd: ComponentDescriptor): ComponentVersionRepository {
  const unsupported = async (): Promise<never> => {
    throw new OcmError(ErrorCode.UNSUPPORTED, 'read-only component archive');
  };
  return {
    async getComponentVersion(name, version) {
      if (name !== cd.component.name || version !== cd.component.version) throw new NotFoundError(`${name}:${version} not in archive`);
      return cd;
    },
    async listComponentVersions() {
      return [cd.component.version];
    },
    async getLocalBlob(_c, _v, access) {
      return { stream: createReadStream(join(dir, 'blobs', String(access.localReference))) };
    },
    addComponentVersion: unsupported,
    addLocalBlob: unsupported,
    async close() {},
  };
}

test('the Go v1-signed component archive verifies end to end (blob re-read, legacy sha256 names, historic v1 digest)', async () => {
  const dir = conformance(`${LEGACY}component-archive`);
  const cd = await loadDescriptor(join(dir, 'component-descriptor.yaml'));
  const repo = componentArchive(dir, cd);
  const out = await verifyComponentVersion({ repository: repo, component: cd.component.name, version: cd.component.version, signature: 'test', publicKey: rsaPub() });
  assert.equal(out.verified[0]!.digest, 'b06e4c1a68274b876661f9fbf1f100526d289745f6ee847bfef702007b5b14cf');
  assert.equal(out.verified[0]!.normalisation, 'jsonNormalisation/v1');
});

test('derived PKCS#1 v1.5 and PSS signatures over ocmcli 0.27.0 verify; the sigstore ones are UNSUPPORTED, not wrong', async () => {
  const cd = await loadDescriptor(conformance('ocm/derived/ocmcli-0.27.0-signed-derived.yaml'));
  for (const name of ['derived-pkcs1v15', 'derived-pss']) {
    const v = verifySignature(cd, name, { publicKey: rsaPub() });
    assert.equal(v.digest, 'c97c44a4dca9fc85d4e634a617b662f72935cc202d52a46aa9367c937458b35b');
  }
  const sigstore = await loadDescriptor(conformance('ocm/normalisation/sigstore-signed-jsonNormalisation-v3/component-descriptor-signed.yaml'));
  assert.throws(() => verifySignature(sigstore, 'sigstore-legacy', { publicKey: rsaPub() }), (e: OcmError) => e.code === 'UNSUPPORTED' && /only RSA/.test(e.message));
});

type Mutation = [string, (cd: any) => void];
// Every signed field: changing it must break both derived signatures.
const signedMutations: Mutation[] = [
  ['component.name', (cd) => (cd.component.name = 'ocm.software/ocmcli2')],
  ['component.version', (cd) => (cd.component.version = '0.27.1')],
  ['component.provider', (cd) => (cd.component.provider = 'someone.else')],
  ['component.creationTime', (cd) => (cd.component.creationTime = '2025-07-28T11:40:52Z')],
  ['component signing label added', (cd) => (cd.component.labels = [{ name: 'x', value: 1, signing: true }])],
  ['resources[0].name', (cd) => (cd.component.resources[0].name = 'ocmcli-x')],
  ['resources[0].version', (cd) => (cd.component.resources[0].version = '0.27.1')],
  ['resources[0].type', (cd) => (cd.component.resources[0].type = 'blob')],
  ['resources[0].relation', (cd) => (cd.component.resources[0].relation = 'external')],
  ['resources[0].extraIdentity', (cd) => (cd.component.resources[0].extraIdentity = { os: 'linux', architecture: 'amd64' })],
  ['resources[0].digest.value', (cd) => (cd.component.resources[0].digest = { ...cd.component.resources[0].digest, value: '0'.repeat(64) })],
  ['resources[0].digest.normalisationAlgorithm', (cd) => (cd.component.resources[0].digest = { ...cd.component.resources[0].digest, normalisationAlgorithm: 'ociArtifactDigest/v1' })],
  ['resources[0] signing label', (cd) => (cd.component.resources[0].labels = [{ name: 'downloadName', value: 'ocm', signing: true }])],
  ['resource removed', (cd) => cd.component.resources.pop()],
  ['resource order', (cd) => cd.component.resources.reverse()],
  ['sources[0].name', (cd) => (cd.component.sources[0].name = 'other')],
  ['sources[0].type', (cd) => (cd.component.sources[0].type = 'git')],
  ['reference added', (cd) => (cd.component.componentReferences = [{ name: 'r', componentName: 'ocm.software/x', version: '1.0.0' }])],
];
const unsignedMutations: Mutation[] = [
  ['resources[0].access', (cd) => (cd.component.resources[0].access = { type: 'ociArtifact', imageReference: 'ghcr.io/x:1' })],
  ['repositoryContexts', (cd) => (cd.component.repositoryContexts = [])],
  ['non-signing label', (cd) => (cd.component.resources[0].labels = [{ name: 'downloadName', value: 'other' }])],
  ['sources[0].access', (cd) => (cd.component.sources[0].access = { type: 'none' })],
  ['unknown field', (cd) => (cd.component.somethingNew = 'x')],
];

for (const [what, mutate] of signedMutations) {
  test(`changing the signed field ${what} fails verification as "modified after signing"`, async () => {
    const cd = structuredClone(await loadDescriptor(conformance('ocm/derived/ocmcli-0.27.0-signed-derived.yaml')));
    mutate(cd);
    for (const name of ['derived-pkcs1v15', 'derived-pss']) {
      assert.throws(
        () => verifySignature(cd, name, { publicKey: rsaPub() }),
        (e: OcmError) => e.code === 'VERIFICATION_FAILED' && /was modified after signing: signature "derived-[a-z0-9]+" covers jsonNormalisation\/v3 digest c97c44a4/.test(e.message),
      );
    }
  });
}

for (const [what, mutate] of unsignedMutations) {
  test(`changing the unsigned part ${what} keeps the signatures valid`, async () => {
    const cd = structuredClone(await loadDescriptor(conformance('ocm/derived/ocmcli-0.27.0-signed-derived.yaml')));
    mutate(cd);
    verifySignature(cd, 'derived-pkcs1v15', { publicKey: rsaPub() });
  });
}

test('a flipped signature value or hash name is reported as such', async () => {
  const cd = structuredClone(await loadDescriptor(conformance('ocm/derived/ocmcli-0.27.0-signed-derived.yaml'))) as any;
  const v: string = cd.signatures[0].signature.value;
  cd.signatures[0].signature.value = (v[0] === 'a' ? 'b' : 'a') + v.slice(1);
  assert.throws(() => verifySignature(cd, 'derived-pkcs1v15', { publicKey: rsaPub() }), /does not verify with the given public key: wrong key, or the signature value was changed/);
  cd.signatures[1].digest.hashAlgorithm = 'MD5';
  assert.throws(() => verifySignature(cd, 'derived-pss', { publicKey: rsaPub() }), (e: OcmError) => e.code === 'UNSUPPORTED' && /MD5/.test(e.message));
});

test('ociArtifactDigest/v1 of a v1 by-value OCI artifact = its main manifest digest; a wrong digest is named', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const dir = join(tmp.path, 'ctf');
  await cp(conformance('ocm/ctf/v1-0.20.0-ociartifact/with-resource'), dir, { recursive: true });
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: dir });
  t.after(() => repo.close());
  const cd = await repo.getComponentVersion('github.com/acme.org/helloworld', '1.0.0');
  assert.equal(cd.component.resources[0]!.digest!.normalisationAlgorithm, 'ociArtifactDigest/v1');
  const checked = await digestResources({ descriptor: cd, repository: repo }, 'verify');
  assert.equal(checked.component.resources[0]!.digest!.value, '62be4af3382a4493cb7f1dd4ec47bcb28f1863b615fc9e4a1dceefbe93898dd0');
  // without a digest, signing computes the manifest digest with ociArtifactDigest/v1 (from the media type)
  const bare = { ...cd, component: { ...cd.component, resources: cd.component.resources.map(({ digest: _d, ...r }) => r) } };
  const filled = await digestResources({ descriptor: bare, repository: repo }, 'sign');
  assert.deepEqual(filled.component.resources[0]!.digest, cd.component.resources[0]!.digest);
  const wrong = { ...cd, component: { ...cd.component, resources: cd.component.resources.map((r) => ({ ...r, digest: { ...r.digest!, value: '1'.repeat(64) } })) } };
  await assert.rejects(digestResources({ descriptor: wrong, repository: repo }, 'verify'), /resource "mychart" of github.com\/acme.org\/helloworld:1.0.0 changed: field resources\[0\]\.digest\.value \(ociArtifactDigest\/v1, SHA-256\) records 1{64}, the content gives 62be4af3/);
});
