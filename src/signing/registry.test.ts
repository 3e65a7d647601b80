import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../testing/fixtures.js';
import { writeTinyImageLayout } from '../testing/oci-image.js';
import { registryAvailable, startRegistry } from '../testing/registry.js';
import { openRepository } from '../repository/open.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import type { ComponentDescriptor } from '../descriptor/types.js';
import { bytesBlob } from '../blob/blob.js';
import { addCv } from './support.test.js';
import { signComponentVersion } from './sign.js';
import { verifyComponentVersion } from './verify.js';
import { parsePublicKey } from './rsa.js';

const execFileP = promisify(execFile);
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = parsePublicKey(keys.publicKey.export({ type: 'spki', format: 'pem' }));


async function pushImage(dir: string, target: string): Promise<string> {
  const digest = await writeTinyImageLayout(dir);
  await execFileP('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${target}`]);
  return digest;
}

async function edit(repo: ComponentVersionRepository, component: string, fn: (cd: ComponentDescriptor) => ComponentDescriptor): Promise<void> {
  await repo.addComponentVersion(fn(await repo.getComponentVersion(component, '1.0.0')), { overwrite: true });
}

test('sign and verify in a real registry (local blobs, an ociArtifact image, a reference); tampering each fails by name', { skip: !registryAvailable() && 'docker-registry not installed' }, async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const imageRef = `${reg.host}/images/app:v1`;
  const manifestDigest = await pushImage(join(tmp.path, 'img1'), imageRef);

  const repo = await openRepository({ type: 'OCIRepository/v1', baseUrl: reg.url, subPath: 'ocm' });
  t.after(() => repo.close());
  await addCv(repo, { name: 'acme.org/child', version: '1.0.0', resources: { data: 'child data' } });
  const root = await addCv(repo, {
    name: 'acme.org/root',
    version: '1.0.0',
    creationTime: '2024-01-01T00:00:00Z',
    resources: { readme: 'hello registry' },
    references: [{ name: 'child', componentName: 'acme.org/child', version: '1.0.0' }],
  });
  await repo.addComponentVersion(
    { ...root, component: { ...root.component, resources: [...root.component.resources, { name: 'image', version: '1.0.0', type: 'ociImage', relation: 'external', access: { type: 'ociArtifact', imageReference: imageRef } }] } },
    { overwrite: true },
  );

  const sign = (extra = {}) => signComponentVersion({ repository: repo, component: 'acme.org/root', version: '1.0.0', name: 'acme', privateKey: keys.privateKey as KeyObject, ...extra });
  const verify = () => verifyComponentVersion({ repository: repo, component: 'acme.org/root', version: '1.0.0', signature: 'acme', publicKey, recursive: true });
  await sign({ recursive: true });
  const stored = await repo.getComponentVersion('acme.org/root', '1.0.0');
  assert.deepEqual(stored.component.resources[1]!.digest, { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'ociArtifactDigest/v1', value: manifestDigest.slice(7) });
  assert.equal((await verify()).verified.length, 2);

  // 1. a signed descriptor field
  await edit(repo, 'acme.org/root', (cd) => ({ ...cd, component: { ...cd.component, provider: 'mallory.org' } }));
  await assert.rejects(verify(), /acme.org\/root:1.0.0 was modified after signing/);
  await repo.addComponentVersion(stored, { overwrite: true });
  await verify();

  // 2. the image behind the ociArtifact resource is replaced under the same tag
  await pushImage(join(tmp.path, 'img2'), imageRef);
  await assert.rejects(verify(), /resource "image" of acme.org\/root:1.0.0 changed: field resources\[1\]\.digest\.value \(ociArtifactDigest\/v1, SHA-256\)/);
  await execFileP('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${join(tmp.path, 'img1')}:v1`, `docker://${imageRef}`]);
  await verify();

  // 3. the referenced version's content changes: the reference digest no longer matches
  const other = await repo.addLocalBlob('acme.org/child', '1.0.0', { content: bytesBlob('evil'), mediaType: 'text/plain' });
  await edit(repo, 'acme.org/child', (cd) => ({
    ...cd,
    component: { ...cd.component, resources: cd.component.resources.map((r) => ({ ...r, access: { ...r.access, localReference: other.localReference }, digest: { ...r.digest!, value: other.digest.slice(7) } })) },
  }));
  await assert.rejects(verify(), /reference "child" of acme.org\/root:1.0.0 changed: field componentReferences\[0\]\.digest\.value/);
});
