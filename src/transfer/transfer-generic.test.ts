import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { openCtf } from '../ctf/store.js';
import { readAllBounded } from '../digest/digest.js';
import { openRepository } from '../repository/open.js';
import { hasOciStore, type ComponentVersionRepository } from '../repository/types.js';
import { isOcmError } from '../runtime/errors.js';
import { verifyComponentVersion } from '../signing/verify.js';
import { tempDir } from '../testing/fixtures.js';
import { APP, LIB, TOOL, writeGraph } from '../testing/graph-fixture.js';
import { planTransfer, transfer } from './index.js';
import { rootsIn } from '../testing/registry-fixture.js';

/** A repository that offers only the interface (like a plugin's): the OCI store stays hidden. */
function interfaceOnly(r: ComponentVersionRepository, calls: string[]): ComponentVersionRepository {
  return {
    getComponentVersion: (c, v, o) => (calls.push(`get ${c}:${v}`), r.getComponentVersion(c, v, o)),
    listComponentVersions: (c, o) => r.listComponentVersions(c, o),
    addComponentVersion: (cd, o) => (calls.push(`add ${cd.component.name}:${cd.component.version}`), r.addComponentVersion(cd, o)),
    getLocalBlob: (c, v, a, o) => (calls.push(`blob ${c}:${v}`), r.getLocalBlob(c, v, a, o)),
    addLocalBlob: (c, v, b, o) => r.addLocalBlob(c, v, b, o),
    close: (o) => r.close(o),
  };
}

test('transfer through the repository interface (no OCI store): every version, blob and signature arrives; a rerun finds them present', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const srcPath = join(dir.path, 'src');
  const store = await openCtf(srcPath, { create: true, format: 'directory' });
  let pem: string;
  try {
    pem = (await writeGraph(store)).publicKeyPem;
  } finally {
    await store.close();
  }
  const calls: string[] = [];
  const srcRepo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: srcPath, accessMode: 'readonly' });
  t.after(() => srcRepo.close());
  const tgtRepo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: join(dir.path, 'dst.tgz') }, { create: true });
  const src = interfaceOnly(srcRepo, calls);
  const tgt = interfaceOnly(tgtRepo, calls);
  assert.equal(hasOciStore(src), false);
  assert.equal(hasOciStore(srcRepo), true);

  await assert.rejects(planTransfer(src, tgt, { roots: [APP] }), (e: unknown) => isOcmError(e, 'UNSUPPORTED'));
  const sum = await transfer(src, tgt, { roots: [APP], recursive: true });
  assert.deepEqual([sum.versions, sum.versionsWritten, sum.versionsPresent, sum.blobsCopied, sum.blobsMounted], [3, 3, 0, 5, 0]);
  assert.ok(calls.includes(`blob ${APP.name}:${APP.version}`) && calls.includes(`add ${APP.name}:${APP.version}`), 'went through the interface');
  // referenced versions are added before the version that references them
  const adds = calls.filter((c) => c.startsWith('add '));
  assert.ok(adds.indexOf(`add ${APP.name}:${APP.version}`) > adds.indexOf(`add ${LIB.name}:${LIB.version}`));

  const again = await transfer(src, tgt, { roots: [APP], recursive: true });
  assert.deepEqual([again.versionsWritten, again.versionsPresent, again.blobsCopied], [0, 3, 0]);
  await tgt.close();

  // the target holds the same descriptors and bytes, and the signatures verify there
  const check = await openRepository({ type: 'CommonTransportFormat/v1', filePath: join(dir.path, 'dst.tgz'), accessMode: 'readonly' });
  t.after(() => check.close());
  for (const c of [APP, LIB, TOOL]) {
    const want = await srcRepo.getComponentVersion(c.name, c.version);
    assert.deepEqual(await check.getComponentVersion(c.name, c.version), want, `${c.name}: descriptor`);
    for (const r of want.component.resources.filter((x) => x.access.type === 'localBlob')) {
      const a = await readAllBounded((await srcRepo.getLocalBlob(c.name, c.version, r.access)).stream, 1 << 20, 'a');
      const b = await readAllBounded((await check.getLocalBlob(c.name, c.version, r.access)).stream, 1 << 20, 'b');
      assert.deepEqual(b, a, `${c.name} ${r.name}: bytes`);
    }
  }
  const publicKey = { key: createPublicKey(pem), chain: [] };
  const res = await verifyComponentVersion({ repository: check, component: APP.name, version: APP.version, signature: 'acme', publicKey, recursive: true });
  assert.equal(res.verified.length, 3);
  // the OCI mapping writes the same manifests as the source's, so even the digests are unchanged
  if (hasOciStore(check) && hasOciStore(srcRepo)) assert.deepEqual(await rootsIn(check.ociStore()!.store), await rootsIn(srcRepo.ociStore()!.store));
});

test('a source without OCI store into an OCI-mapped target also goes through the interface; verify is refused there, copyResources reads through access methods', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const srcPath = join(dir.path, 'src');
  const store = await openCtf(srcPath, { create: true, format: 'directory' });
  try {
    await writeGraph(store);
  } finally {
    await store.close();
  }
  const srcRepo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: srcPath, accessMode: 'readonly' });
  t.after(() => srcRepo.close());
  const tgt = await openRepository({ type: 'CommonTransportFormat/v1', filePath: join(dir.path, 'dst') }, { create: true });
  t.after(() => tgt.close());
  const src = interfaceOnly(srcRepo, []);
  await assert.rejects(transfer(src, tgt, { roots: [LIB], verify: true }), (e: unknown) => isOcmError(e, 'UNSUPPORTED'));
  // LIB has local blobs only: copying by value changes nothing.
  const sum = await transfer(src, tgt, { roots: [LIB], copyResources: true });
  assert.equal(sum.versionsWritten, 1);
  assert.deepEqual(await tgt.getComponentVersion(LIB.name, LIB.version), await srcRepo.getComponentVersion(LIB.name, LIB.version));
});

test('copyResources through the interface refuses an OCI artifact (it needs OCI form on both sides), naming the resource, and writes nothing', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const srcRepo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: join(dir.path, 'src') }, { create: true });
  t.after(() => srcRepo.close());
  const image = { name: 'image', version: '1.0.0', type: 'ociImage', relation: 'external', access: { type: 'ociArtifact', imageReference: 'ghcr.io/acme/app:1.0.0' } };
  await srcRepo.addComponentVersion({
    meta: { schemaVersion: 'v2' },
    component: { name: 'acme.org/img', version: '1.0.0', provider: 'acme.org', repositoryContexts: [], resources: [image], sources: [], componentReferences: [] },
  });
  const tgt = await openRepository({ type: 'CommonTransportFormat/v1', filePath: join(dir.path, 'dst') }, { create: true });
  t.after(() => tgt.close());
  await assert.rejects(
    transfer(interfaceOnly(srcRepo, []), tgt, { roots: [{ component: 'acme.org/img', version: '1.0.0' }], copyResources: true }),
    (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /resource "image" .* OCI artifact/.test((e as Error).message),
  );
  await assert.rejects(tgt.getComponentVersion('acme.org/img', '1.0.0'), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
});
