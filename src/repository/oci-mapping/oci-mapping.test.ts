import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { bytesBlob } from '../../blob/blob.js';
import { openCtf } from '../../ctf/index.js';
import { parseDescriptor } from '../../descriptor/codec.js';
import type { ComponentDescriptor } from '../../descriptor/types.js';
import { digestOf, readAllBounded } from '../../digest/digest.js';
import { MediaType } from '../../oci/content/media-types.js';
import type { Target } from '../../oci/content/types.js';
import { isOcmError } from '../../runtime/errors.js';
import { TypeRegistry } from '../../runtime/type-registry.js';
import { conformance, tempDir } from '../../testing/fixtures.js';
import { register } from '../ctf-provider.js';
import type { ComponentVersionRepository, RepositoryProvider } from '../types.js';
import { OciComponentRepository, descriptorTar, readDescriptorLayer, storeBlob, toTag, toVersion } from './index.js';

const HELLO = 'github.com/acme.org/helloworld';
const TEST_DIGEST = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const ctfPath = (rel: string): string => conformance(`ocm/ctf/${rel}`);

async function openSpec(spec: Record<string, unknown>, create = false): Promise<ComponentVersionRepository> {
  const registry = new TypeRegistry();
  register(registry);
  const provider = registry.get<RepositoryProvider>('repository', String(spec.type)).impl;
  assert.equal(provider.consumerIdentity(spec as never), undefined);
  return provider.open(spec as never, { create });
}

async function text(stream: Readable): Promise<string> {
  return (await readAllBounded(stream, 1 << 20)).toString('utf8');
}

test('reads the Go CTFs through the CTF provider (all type aliases, renamed archives)', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  await copyFile(ctfPath('v1-0.20.0-localblob/transport-archive.tar'), join(tmp.path, 'plain-tar'));
  await copyFile(ctfPath('v1-0.20.0-localblob/transport-archive.tar.gz'), join(tmp.path, 'plain-tgz'));
  const paths = [
    ['CommonTransportFormat/v1', ctfPath('v1-0.20.0-localblob/transport-archive')],
    ['CTF', ctfPath('v1-0.20.0-localblob/transport-archive.tar')],
    ['ctf', ctfPath('v1-0.20.0-localblob/transport-archive.tar.gz')],
    ['CommonTransportFormat', join(tmp.path, 'plain-tar')],
    ['ctf', join(tmp.path, 'plain-tgz')],
  ];
  for (const [type, filePath] of paths) {
    const repo = await openSpec({ type, filePath, accessMode: 'readonly' });
    try {
      assert.deepEqual(await repo.listComponentVersions(HELLO), ['1.0.0']);
      const cd = await repo.getComponentVersion(HELLO, '1.0.0');
      assert.equal(cd.component.name, HELLO);
      assert.equal(cd.component.provider, 'acme.org');
      const res = cd.component.resources[0]!;
      assert.deepEqual(res.access, { type: 'localBlob', localReference: TEST_DIGEST, mediaType: 'application/octet-stream' });
      const blob = await repo.getLocalBlob(HELLO, '1.0.0', res.access);
      assert.equal(blob.digest, TEST_DIGEST);
      assert.equal(blob.size, 4);
      assert.equal(await text(blob.stream), 'test');
      await assert.rejects(repo.getComponentVersion(HELLO, '9.9.9'), (e) => isOcmError(e, 'NOT_FOUND') && /9\.9\.9/.test((e as Error).message));
      assert.deepEqual(await repo.listComponentVersions('github.com/acme.org/other'), []);
    } finally {
      await repo.close();
    }
  }
  assert.deepEqual((await readdir(tmp.path)).sort(), ['plain-tar', 'plain-tgz']);
});

test('reads the multi-identity and ociartifact CTFs', async () => {
  for (const [rel, name, blobs] of [
    ['v1-0.18.0-multi-identity', 'github.com/mandelsoft/test1', 8],
    ['v1-0.20.0-ociartifact/with-resource', HELLO, 1],
    ['v1-0.20.0-ociartifact/without-resource', HELLO, 0],
  ] as const) {
    const repo = await openSpec({ type: 'ctf', filePath: ctfPath(rel) });
    const cd = await repo.getComponentVersion(name, '1.0.0');
    let n = 0;
    for (const el of [...cd.component.resources, ...cd.component.sources]) {
      if (el.access.type !== 'localBlob') continue;
      const b = await repo.getLocalBlob(name, '1.0.0', el.access);
      const bytes = await readAllBounded(b.stream, 1 << 20);
      assert.equal(digestOf(bytes), el.access.localReference);
      n++;
    }
    assert.equal(n, blobs, rel);
    await repo.close();
  }
});

test('the descriptor layer tar reproduces the Go bytes', async () => {
  for (const blob of [
    'v1-0.20.0-localblob/transport-archive/blobs/sha256.7164be671f47d4f2b427363b3efd144c2705219e5046d23a28a181ce602cf152',
    'v1-0.18.0-multi-identity/blobs/sha256.a4b84597729cfa026c51a47e903f449ad7b4a9ec9897f2084b982a66fcdbfb5f',
  ]) {
    const goBytes = await readFile(ctfPath(blob));
    const yaml = await readDescriptorLayer(goBytes, MediaType.componentDescriptorYamlTar, blob);
    const ours = descriptorTar(yaml);
    assert.equal(ours.length, goBytes.length);
    assert.ok(ours.equals(goBytes), blob);
  }
});

test('re-writing a Go CV reproduces its manifest digest byte for byte', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  for (const [rel, name, creator] of [
    ['v1-0.20.0-localblob/transport-archive', HELLO, 'OCM Go Library 0.20.0'],
    ['v1-0.18.0-multi-identity', 'github.com/mandelsoft/test1', 'OCM Go Library 0.18.0'],
  ] as const) {
    const src = await openCtf(ctfPath(rel), { readOnly: true });
    const goDigest = src.entries()[0]!.digest;
    const from = new OciComponentRepository(src, { closeStore: true });
    const out = await openCtf(join(tmp.path, rel.replace('/', '_')), { create: true });
    const to = new OciComponentRepository(out, { creator });
    const cd = await from.getComponentVersion(name, '1.0.0');
    for (const el of [...cd.component.resources, ...cd.component.sources]) {
      if (el.access.type !== 'localBlob') continue;
      const b = await from.getLocalBlob(name, '1.0.0', el.access);
      await to.addLocalBlob(name, '1.0.0', { content: b.stream, mediaType: String(el.access.mediaType) });
    }
    await to.addComponentVersion(cd);
    assert.equal(out.entries().find((e) => e.tag === '1.0.0')?.digest, goDigest, rel);
    await to.close();
    await out.close();
    await from.close();
  }
});

function testDescriptor(version: string, extra = ''): ComponentDescriptor {
  return parseDescriptor(`meta:
  schemaVersion: v2
component:
  name: acme.org/test/app
  version: ${version}
  provider: acme.org
  repositoryContexts: []
  resources:
  - name: one
    version: 1.0.0
    type: plainText
    relation: local
    access:
      type: localBlob
      localReference: ${digestOf('first blob')}
      mediaType: text/plain
  - name: two
    version: 1.0.0
    type: blob
    relation: local
    access:
      type: LocalBlob/v1
      localReference: ${digestOf('second blob')}
      mediaType: application/octet-stream${extra}
  sources:
  - name: src
    version: 1.0.0
    type: git
    access:
      type: localBlob
      localReference: ${digestOf('first blob')}
      mediaType: text/plain
  componentReferences: []
`);
}

async function addTestCv(repo: ComponentVersionRepository, version: string, extra = ''): Promise<ComponentDescriptor> {
  const cd = testDescriptor(version, extra);
  await repo.addLocalBlob('acme.org/test/app', version, { content: bytesBlob('first blob'), mediaType: 'text/plain' });
  await repo.addLocalBlob('acme.org/test/app', version, { content: Readable.from([Buffer.from('second '), Buffer.from('blob')]), mediaType: 'application/octet-stream' });
  await repo.addComponentVersion(cd);
  return cd;
}

for (const name of ['new-ctf', 'new-ctf.tar', 'new-ctf.tgz']) {
  test(`writes a CV with two local blobs into ${name} and reads it back from a fresh store`, async (t) => {
    const tmp = await tempDir();
    t.after(() => tmp.dispose());
    const filePath = join(tmp.path, name);
    const w = await openSpec({ type: 'CommonTransportFormat/v1', filePath }, true);
    const cd = await addTestCv(w, '1.2.3+build.7');
    await w.close();
    assert.deepEqual(await readdir(tmp.path), [name]);

    const store = await openCtf(filePath, { readOnly: true });
    const entries = store.entries();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.repository, 'component-descriptors/acme.org/test/app');
    assert.equal(entries[0]!.tag, '1.2.3.build-build.7');
    const manifest = JSON.parse(await text(await store.repository(entries[0]!.repository).fetch(await store.repository(entries[0]!.repository).resolve(entries[0]!.tag!)))) as {
      layers: { digest: string; annotations?: Record<string, string> }[];
      annotations: Record<string, string>;
    };
    assert.equal(manifest.layers.length, 3, 'descriptor layer + two deduplicated blob layers');
    assert.equal(manifest.layers[1]!.annotations!['software.ocm.artifact'], '[{"kind":"resource","identity":{"name":"one"}},{"kind":"source","identity":{"name":"src"}}]');
    assert.equal(manifest.layers[2]!.annotations!['software.ocm.artifact'], '[{"kind":"resource","identity":{"name":"two"}}]');
    assert.equal(manifest.annotations['software.ocm.componentversion'], 'acme.org/test/app:1.2.3+build.7');
    const r = new OciComponentRepository(store, { closeStore: true });
    assert.deepEqual(await r.listComponentVersions('acme.org/test/app'), ['1.2.3+build.7']);
    const back = await r.getComponentVersion('acme.org/test/app', '1.2.3+build.7');
    assert.deepEqual(back, cd);
    const [one, two] = back.component.resources;
    assert.equal(await text((await r.getLocalBlob('acme.org/test/app', '1.2.3+build.7', one!.access)).stream), 'first blob');
    assert.equal(await text((await r.getLocalBlob('acme.org/test/app', '1.2.3+build.7', two!.access)).stream), 'second blob');
    // v1 blobLimit: a comma list is the concatenation of the layers.
    const both = { type: 'localBlob', localReference: `${digestOf('first blob')},${digestOf('second blob')}` };
    assert.equal(await text((await r.getLocalBlob('acme.org/test/app', '1.2.3+build.7', both)).stream), 'first blobsecond blob');
    await r.close();
  });
}

test('adding a version again: identical is a no-op, different is ALREADY_EXISTS, overwrite keeps the local blob layers', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  const repo = new OciComponentRepository(store, { closeStore: true });
  t.after(() => repo.close());
  const cd = await addTestCv(repo, '1.0.0');
  const first = store.entries();
  await repo.addComponentVersion(cd);
  assert.deepEqual(store.entries(), first);

  const signed: ComponentDescriptor = {
    ...cd,
    signatures: [{ name: 'sig', digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v3', value: 'ab'.repeat(32) }, signature: { algorithm: 'RSASSA-PKCS1-V1_5', value: 'cd', mediaType: 'application/vnd.ocm.signature.rsa' } }],
  };
  const before = await readFile(join(tmp.path, 'ctf', 'artifact-index.json'));
  await assert.rejects(repo.addComponentVersion(signed), (e) => isOcmError(e, 'ALREADY_EXISTS') && /acme\.org\/test\/app:1\.0\.0/.test((e as Error).message));
  assert.deepEqual(await readFile(join(tmp.path, 'ctf', 'artifact-index.json')), before);

  await repo.addComponentVersion(signed, { overwrite: true }); // blobs come from the existing manifest
  const back = await repo.getComponentVersion('acme.org/test/app', '1.0.0');
  assert.equal(back.signatures?.[0]?.name, 'sig');
  assert.equal(await text((await repo.getLocalBlob('acme.org/test/app', '1.0.0', back.component.resources[1]!.access)).stream), 'second blob');
  const tagged = store.entries().filter((e) => e.tag === '1.0.0');
  assert.equal(tagged.length, 1);
  assert.notEqual(tagged[0]!.digest, first[0]!.digest);
  assert.ok(store.entries().some((e) => e.digest === first[0]!.digest && e.tag === undefined), 'old manifest stays untagged');
});

test('a missing local blob is NOT_FOUND naming the resource and nothing is tagged', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  const repo = new OciComponentRepository(store, { closeStore: true });
  t.after(() => repo.close());
  await repo.addLocalBlob('acme.org/test/app', '1.0.0', { content: bytesBlob('first blob'), mediaType: 'text/plain' });
  await assert.rejects(repo.addComponentVersion(testDescriptor('1.0.0')), (e) => isOcmError(e, 'NOT_FOUND') && /resource "two"/.test((e as Error).message) && !(e as Error).message.includes('\n'));
  assert.deepEqual(store.entries(), []);
  assert.deepEqual(await repo.listComponentVersions('acme.org/test/app'), []);
});

test('addLocalBlob verifies a known digest; a store without ingest gets the blob spooled', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  t.after(() => store.close());
  const repo = new OciComponentRepository(store);
  await assert.rejects(
    repo.addLocalBlob('acme.org/a', '1.0.0', { content: Readable.from([Buffer.from('tesx')]), mediaType: 'x', digest: TEST_DIGEST }),
    (e) => isOcmError(e, 'DIGEST_MISMATCH'),
  );
  await assert.rejects(
    repo.addLocalBlob('acme.org/a', '1.0.0', { content: bytesBlob('tesx'), mediaType: 'x', digest: TEST_DIGEST, size: 4 }),
    (e) => isOcmError(e, 'DIGEST_MISMATCH'),
  );
  assert.equal(await store.repository('component-descriptors/acme.org/a').exists({ mediaType: 'x', digest: TEST_DIGEST, size: 4 }), false);
  // Only the plain Target surface: no ingest, no stat.
  const full = store.repository('component-descriptors/acme.org/a');
  const plain: Target = {
    fetch: (d, o) => full.fetch(d, o),
    push: (d, c, o) => full.push(d, c, o),
    exists: (d, o) => full.exists(d, o),
    resolve: (r, o) => full.resolve(r, o),
    tag: (d, tg, o) => full.tag(d, tg, o),
  };
  const desc = await storeBlob(plain, { content: Readable.from([Buffer.from('test')]), mediaType: 'x' });
  assert.deepEqual(desc, { mediaType: 'x', digest: TEST_DIGEST, size: 4 });
  assert.equal(await text(await full.fetch(desc)), 'test');
});

test('toTag and toVersion map + and .build-', () => {
  for (const [v, tag] of [
    ['1.0.0', '1.0.0'],
    ['1.2.3+ci.42', '1.2.3.build-ci.42'],
    ['v0.1.0-rc.1', 'v0.1.0-rc.1'],
  ]) {
    assert.equal(toTag(v!), tag);
    assert.equal(toVersion(tag!), v);
  }
  assert.equal(toVersion('1.0.build-a.build-b'), '1.0.build-a+b', 'the last .build- is the build part');
  assert.throws(() => toTag('1.0/0'), (e) => isOcmError(e, 'INVALID_ARGUMENT'));
});

test('addComponentVersion refuses a descriptor that would not read back (VALIDATION_FAILED) and writes nothing', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  const repo = new OciComponentRepository(store, { closeStore: true });
  t.after(() => repo.close());
  const cd: ComponentDescriptor = {
    meta: { schemaVersion: 'v2' },
    component: {
      name: 'acme.org/bad',
      version: '1.0.0',
      provider: 'acme.org',
      repositoryContexts: [],
      // resource names need at least two characters in the v2 schema
      resources: [{ name: 'a', version: '1.0.0', type: 'blob', relation: 'external', access: { type: 'none' } }],
      sources: [],
      componentReferences: [],
    },
  };
  await assert.rejects(repo.addComponentVersion(cd), (e: Error) => {
    assert.ok(isOcmError(e, 'VALIDATION_FAILED'), String(e));
    assert.match(e.message, /acme\.org\/bad:1\.0\.0.*component\.resources\[0\]\.name/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  assert.deepEqual(store.entries(), []);
  assert.deepEqual(await readdir(join(tmp.path, 'ctf', 'blobs')), []);
  assert.deepEqual(await repo.listComponentVersions('acme.org/bad'), []);
});
