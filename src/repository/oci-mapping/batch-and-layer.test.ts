import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { bytesBlob } from '../../blob/blob.js';
import { openCtf } from '../../ctf/index.js';
import type { ComponentDescriptor } from '../../descriptor/types.js';
import { readAllBounded } from '../../digest/digest.js';
import { MediaType } from '../../oci/content/media-types.js';
import { ErrorCode, isOcmError } from '../../runtime/errors.js';
import { conformance, tempDir } from '../../testing/fixtures.js';
import { DESCRIPTOR_FILE, descriptorTar, extractWithTarStream, plainTarFile, readDescriptorLayer } from './descriptor-layer.js';
import { OciComponentRepository } from './index.js';

async function pack(entries: { header: Partial<tar.Header> & { name: string; pax?: Record<string, string> }; body?: string }[]): Promise<Buffer> {
  const p = tar.pack();
  for (const e of entries) p.entry(e.header as tar.Header, e.body ?? '');
  p.finalize();
  return readAllBounded(p as unknown as NodeJS.ReadableStream as never, 1 << 20);
}

const YAML = 'component:\n  name: acme.org/x\n';

/** Tar layouts: the in-memory reader must give the tar-stream reader's text, or step aside (undefined). */
const TAR_CASES: { name: string; bytes: () => Promise<Buffer>; plain: boolean }[] = [
  { name: 'our v1-exact layer', bytes: async () => descriptorTar(YAML), plain: true },
  { name: 'directory entry first, ./ prefix', bytes: () => pack([{ header: { name: 'dir/', type: 'directory' } }, { header: { name: `./${DESCRIPTOR_FILE}` }, body: YAML }]), plain: true },
  { name: 'other file first', bytes: () => pack([{ header: { name: 'README' }, body: 'x'.repeat(700) }, { header: { name: DESCRIPTOR_FILE }, body: YAML }]), plain: true },
  { name: 'pax header', bytes: () => pack([{ header: { name: DESCRIPTOR_FILE, pax: { comment: 'x' } }, body: YAML }]), plain: false },
  { name: 'long name before it (pax)', bytes: () => pack([{ header: { name: `${'d'.repeat(120)}/f` }, body: 'x' }, { header: { name: DESCRIPTOR_FILE }, body: YAML }]), plain: false },
  { name: 'unicode content', bytes: async () => descriptorTar('component:\n  name: café ☕\n'), plain: true },
];

for (const c of TAR_CASES) {
  test(`descriptor layer: ${c.name} reads like the tar-stream reader`, async () => {
    const bytes = await c.bytes();
    const expected = await extractWithTarStream(bytes, c.name);
    const plain = plainTarFile(bytes, DESCRIPTOR_FILE);
    assert.equal(plain !== undefined, c.plain, 'in-memory reader took it');
    if (plain !== undefined) assert.equal(plain, expected);
    assert.equal(await readDescriptorLayer(bytes, MediaType.componentDescriptorYamlTar, c.name), expected);
  });
}

test('descriptor layer: the Go-written layers in the conformance CTFs are read in memory, same text as tar-stream', async () => {
  let n = 0;
  for (const dir of ['v1-0.20.0-localblob/transport-archive', 'v1-0.18.0-multi-identity', 'v1-0.20.0-ociartifact/with-resource', 'v1-0.20.0-ociartifact/without-resource']) {
    const blobs = conformance(`ocm/ctf/${dir}/blobs`);
    for (const f of await readdir(blobs)) {
      const bytes = await readFile(join(blobs, f));
      if (bytes.length < 1024 || bytes.toString('latin1', 257, 262) !== 'ustar') continue;
      let expected: string;
      try {
        expected = await extractWithTarStream(bytes, f);
      } catch {
        continue; // some other tar (an artifact set)
      }
      assert.equal(plainTarFile(bytes, DESCRIPTOR_FILE), expected, f);
      n++;
    }
  }
  assert.ok(n >= 4, `descriptor layers found: ${n}`);
});

test('descriptor layer: a broken checksum or a missing file is left to tar-stream, which reports it', async () => {
  const bytes = descriptorTar(YAML);
  bytes[0] = 0x41; // name changes, checksum no longer matches
  assert.equal(plainTarFile(bytes, DESCRIPTOR_FILE), undefined);
  await assert.rejects(readDescriptorLayer(bytes, MediaType.componentDescriptorYamlTar, 'layer'), (e: unknown) => isOcmError(e));
  const other = await pack([{ header: { name: 'other.yaml' }, body: YAML }]);
  assert.equal(plainTarFile(other, DESCRIPTOR_FILE), undefined);
  await assert.rejects(readDescriptorLayer(other, MediaType.componentDescriptorYamlTar, 'layer'), (e: unknown) => isOcmError(e, ErrorCode.NOT_FOUND));
});

function cd(name: string, refs: string[] = [], local?: { digest: string }): ComponentDescriptor {
  return {
    meta: { schemaVersion: 'v2' },
    component: {
      name, version: '1.0.0', provider: 'acme.org', repositoryContexts: [], sources: [],
      resources: local ? [{ name: 'blob', version: '1.0.0', type: 'blob', relation: 'local', access: { type: 'localBlob', localReference: local.digest, mediaType: 'text/plain' } }] : [],
      componentReferences: refs.map((r) => ({ name: `ref-${r.split('/').pop()}`, componentName: r, version: '1.0.0' })),
    },
  };
}

test('addComponentVersions: all versions become visible with one index write and read back', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const store = await openCtf(join(dir.path, 'ctf'), { create: true });
  const repo = new OciComponentRepository(store, { closeStore: true });
  const blob = await repo.addLocalBlob('acme.org/leaf', '1.0.0', { content: bytesBlob(Buffer.from('hi')), mediaType: 'text/plain' });
  const cds = [cd('acme.org/leaf', [], { digest: blob.digest }), cd('acme.org/mid', ['acme.org/leaf']), cd('acme.org/root', ['acme.org/mid'])];
  const index = join(dir.path, 'ctf', 'artifact-index.json');
  const before = await readFile(index, 'utf8');
  await repo.addComponentVersions(cds);
  const after = JSON.parse(await readFile(index, 'utf8')) as { artifacts: { repository: string; tag?: string }[] };
  assert.notEqual(JSON.stringify(after), before);
  assert.deepEqual(after.artifacts.filter((a) => a.tag).map((a) => a.repository).sort(), cds.map((c) => `component-descriptors/${c.component.name}`).sort());
  for (const c of cds) assert.deepEqual(await repo.getComponentVersion(c.component.name, '1.0.0'), c);
  // Storing the same set again changes nothing.
  await repo.addComponentVersions(cds);
  assert.deepEqual(JSON.parse(await readFile(index, 'utf8')), after);
  await repo.close();
});

test('addComponentVersions: one invalid or conflicting version means nothing is written', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const path = join(dir.path, 'ctf');
  const repo = new OciComponentRepository(await openCtf(path, { create: true }), { closeStore: true });
  await repo.addComponentVersion(cd('acme.org/exists'));
  const blobsBefore = (await readdir(join(path, 'blobs'))).sort();
  const indexBefore = await readFile(join(path, 'artifact-index.json'), 'utf8');
  const bad = cd('acme.org/bad');
  (bad.component as { provider: string }).provider = '';
  await assert.rejects(repo.addComponentVersions([cd('acme.org/good'), bad]), (e: unknown) => isOcmError(e, ErrorCode.VALIDATION_FAILED));
  const changed = { ...cd('acme.org/exists'), component: { ...cd('acme.org/exists').component, provider: 'other.org' } };
  await assert.rejects(repo.addComponentVersions([cd('acme.org/good'), changed]), (e: unknown) => isOcmError(e, ErrorCode.ALREADY_EXISTS));
  await assert.rejects(repo.addComponentVersions([cd('acme.org/good'), cd('acme.org/good')]), (e: unknown) => isOcmError(e, ErrorCode.INVALID_ARGUMENT));
  assert.deepEqual((await readdir(join(path, 'blobs'))).sort(), blobsBefore);
  assert.equal(await readFile(join(path, 'artifact-index.json'), 'utf8'), indexBefore);
  await repo.close();
});

test('CTF tagMany: every tag is checked before any is applied', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const store = await openCtf(join(dir.path, 'ctf'), { create: true });
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: {}, layers: [] }));
  const { digestOf } = await import('../../digest/digest.js');
  const desc = { mediaType: MediaType.ociManifest, digest: digestOf(manifest), size: manifest.length };
  await store.repository('a').push(desc, [manifest] as never);
  const missing = { ...desc, digest: `sha256:${'0'.repeat(64)}` };
  await assert.rejects(store.tagMany([{ repository: 'a', tag: 'v1', desc }, { repository: 'b', tag: 'v1', desc: missing }]), (e: unknown) => isOcmError(e, ErrorCode.NOT_FOUND));
  await assert.rejects(store.tagMany([{ repository: 'a', tag: 'v1', desc }, { repository: 'a', tag: 'bad tag', desc }]), (e: unknown) => isOcmError(e, ErrorCode.INVALID_ARGUMENT));
  assert.deepEqual(await store.repository('a').listTags(), []);
  await store.tagMany([{ repository: 'a', tag: 'v1', desc }, { repository: 'b', tag: 'v2', desc }]);
  assert.deepEqual([await store.repository('a').listTags(), await store.repository('b').listTags()], [['v1'], ['v2']]);
  await store.close();
});

test('beginComponentVersions: content is written on add, versions become visible only at commit', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const path = join(dir.path, 'ctf');
  const repo = new OciComponentRepository(await openCtf(path, { create: true }), { closeStore: true });
  const blobsBefore = (await readdir(join(path, 'blobs'))).length;
  const batch = repo.beginComponentVersions();
  await batch.add(cd('acme.org/leaf'));
  await batch.add(cd('acme.org/root', ['acme.org/leaf']));
  assert.throws(() => batch.add(cd('acme.org/leaf')), (e: unknown) => isOcmError(e, ErrorCode.INVALID_ARGUMENT));
  assert.ok((await readdir(join(path, 'blobs'))).length >= blobsBefore + 6, 'layers, configs and manifests written');
  assert.deepEqual(await repo.listComponentVersions('acme.org/root'), [], 'nothing visible before commit');
  await batch.commit();
  assert.deepEqual(await repo.listComponentVersions('acme.org/root'), ['1.0.0']);
  assert.deepEqual(await repo.getComponentVersion('acme.org/leaf', '1.0.0'), cd('acme.org/leaf'));

  // A version that fails makes the commit fail: none of the batch becomes visible.
  const failing = repo.beginComponentVersions();
  const bad = cd('acme.org/bad');
  (bad.component as { provider: string }).provider = '';
  const other = failing.add(cd('acme.org/other')).catch(() => {});
  await assert.rejects(failing.add(bad), (e: unknown) => isOcmError(e, ErrorCode.VALIDATION_FAILED));
  await assert.rejects(failing.commit(), (e: unknown) => isOcmError(e, ErrorCode.VALIDATION_FAILED));
  await other; // nothing of the batch may still be writing when the store closes
  assert.deepEqual(await repo.listComponentVersions('acme.org/other'), []);
  await repo.close();
});
