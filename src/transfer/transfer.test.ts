import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, pushBytes } from '../oci/content/memory.js';
import { MediaType } from '../oci/content/media-types.js';
import type { OciDescriptor, Target } from '../oci/content/types.js';
import { isOcmError } from '../runtime/errors.js';
import { componentRepositoryName as componentRepository, planTransfer, toTag, transfer } from './index.js';
import { APP, LIB, TOOL, verifyGraph, writeGraph } from '../testing/graph-fixture.js';
import type { RepositoryLocation, TransferOptions } from './types.js';

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const REG_HOST = 'registry.example:5000';

async function pushImage(t: Target): Promise<OciDescriptor> {
  const manifests: OciDescriptor[] = [];
  for (const arch of ['amd64', 'arm64']) {
    const cfg = await pushBytes(t, 'application/vnd.oci.image.config.v1+json', JSON.stringify({ architecture: arch }));
    const layer = await pushBytes(t, LAYER, `layer-${arch}`.repeat(500));
    const m = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: cfg, layers: [layer] });
    manifests.push({ ...(await pushBytes(t, MediaType.ociManifest, m)), platform: { architecture: arch, os: 'linux' } });
  }
  const index = await pushBytes(t, MediaType.ociIndex, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
  await t.tag(index, '1.0');
  return index;
}

async function setup() {
  const registry = new MemoryStore();
  const index = await pushImage(registry.repository('images/app'));
  const source = new MemoryStore();
  const graph = await writeGraph(source, { image: { reference: `${REG_HOST}/images/app:1.0@${index.digest}`, manifestDigest: index.digest } });
  const loc = (store: MemoryStore, id: string, registryHost?: string): RepositoryLocation => ({ store, id, ...(registryHost ? { registryHost } : {}) });
  const openRegistry = async (host: string) => {
    assert.equal(host, REG_HOST);
    return loc(registry, `oci:${REG_HOST}`, REG_HOST);
  };
  return { registry, index, source, graph, loc, openRegistry, src: loc(source, 'mem:source') };
}

async function rootDigest(store: MemoryStore, c: { name: string; version: string }): Promise<string> {
  return (await store.repository(componentRepository(c.name)).resolve(toTag(c.version))).digest;
}

test('by-reference recursive transfer copies the graph byte-identical and verifies; a rerun moves nothing', async () => {
  const s = await setup();
  const target = new MemoryStore();
  const opts: TransferOptions = { roots: [APP], recursive: true };
  const sum = await transfer(s.src, s.loc(target, 'mem:target'), opts);
  assert.equal(sum.versionsWritten, 3);
  assert.equal(sum.components, 3);
  for (const c of [APP, LIB, TOOL]) assert.equal(await rootDigest(target, c), await rootDigest(s.source, c));
  const descriptors = await verifyGraph(target, s.graph);
  const image = descriptors[0]!.component.resources.find((r) => r.name === 'image')!;
  assert.equal(image.access.type, 'ociArtifact', 'external resources stay by reference');
  assert.equal(await target.peek('images/app'), undefined, 'the image is not copied without copyResources');

  const pushes = target.stats.pushes;
  const again = await transfer(s.src, s.loc(target, 'mem:target'), opts);
  assert.equal(target.stats.pushes, pushes);
  assert.equal(again.versionsPresent, 3);
  assert.equal(again.bytesMoved, 0);
});

test('without --recursive only the named version moves', async () => {
  const s = await setup();
  const target = new MemoryStore();
  const sum = await transfer(s.src, s.loc(target, 'mem:t'), { roots: [APP] });
  assert.equal(sum.versionsWritten, 1);
  await assert.rejects(target.repository(componentRepository(LIB.name)).resolve(toTag(LIB.version)), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
});

test('--copy-resources as localBlob: the image index with all platforms moves into the CV, digest and signature unchanged', async () => {
  const s = await setup();
  const target = new MemoryStore();
  const sum = await transfer(s.src, s.loc(target, 'mem:t'), { roots: [APP], recursive: true, copyResources: true, openRegistry: s.openRegistry });
  assert.equal(sum.artifacts, 1);
  const repo = target.repository(componentRepository(APP.name));
  const root = await repo.resolve(toTag(APP.version));
  assert.equal(root.mediaType, MediaType.ociIndex, 'index representation');
  assert.ok(await repo.exists(s.index), 'image index stored in the component repository');
  const [app, lib] = await verifyGraph(target, s.graph);
  const image = app!.component.resources.find((r) => r.name === 'image')!;
  assert.equal(image.access.type, 'localBlob');
  assert.equal(image.access['localReference'], s.index.digest);
  assert.equal(image.digest?.normalisationAlgorithm, 'ociArtifactDigest/v1');
  assert.equal(image.digest?.value, s.index.digest.slice(7));
  assert.equal(await rootDigest(target, LIB), await rootDigest(s.source, LIB), 'versions without external artifacts stay byte-identical');
  assert.ok(lib);
  // deterministic: a rerun finds everything present
  const again = await transfer(s.src, s.loc(target, 'mem:t'), { roots: [APP], recursive: true, copyResources: true, openRegistry: s.openRegistry });
  assert.equal(again.versionsPresent, 3);
  assert.equal(again.bytesMoved, 0);
});

test('--copy-resources --upload-as ociArtifact pushes the image into the target registry and points the access there', async () => {
  const s = await setup();
  const target = new MemoryStore();
  const tloc: RepositoryLocation = { store: target, id: 'oci:target:5000', registryHost: 'target:5000', subPath: 'mirror' };
  await transfer(s.src, tloc, { roots: [APP], recursive: true, copyResources: true, uploadAs: 'ociArtifact', openRegistry: s.openRegistry });
  const img = target.repository('mirror/images/app');
  assert.equal((await img.resolve('1.0')).digest, s.index.digest);
  const [app] = await verifyGraph(target, s.graph, 'mirror');
  const image = app!.component.resources.find((r) => r.name === 'image')!;
  assert.equal(image.access.type, 'ociArtifact');
  assert.equal(image.access['imageReference'], `target:5000/mirror/images/app:1.0@${s.index.digest}`);
});

test('references are found through resolvers; a missing one names its parent', async () => {
  const s = await setup();
  // move lib and tool into a second store only reachable as a resolver
  const other = new MemoryStore();
  await transfer(s.src, { store: other, id: 'mem:other' }, { roots: [LIB, TOOL] });
  const onlyApp = new MemoryStore();
  await transfer(s.src, { store: onlyApp, id: 'mem:app' }, { roots: [APP] });
  const target = new MemoryStore();
  await assert.rejects(transfer({ store: onlyApp, id: 'mem:app' }, { store: target, id: 'mem:t' }, { roots: [APP], recursive: true }), (e: unknown) => {
    assert.ok(isOcmError(e, 'NOT_FOUND'));
    assert.match(e.message, /referenced by acme\.org\/transfer\/app:1\.0\.0/);
    return true;
  });
  const sum = await transfer({ store: onlyApp, id: 'mem:app' }, { store: target, id: 'mem:t' }, { roots: [APP], recursive: true, resolvers: [{ store: other, id: 'mem:other' }] });
  assert.equal(sum.versionsWritten, 3);
  await verifyGraph(target, s.graph);
});

test('a different version already at the target is ALREADY_EXISTS unless overwrite', async () => {
  const s = await setup();
  const target = new MemoryStore();
  const tloc = { store: target, id: 'mem:t' };
  await transfer(s.src, tloc, { roots: [APP], copyResources: true, openRegistry: s.openRegistry });
  await assert.rejects(transfer(s.src, tloc, { roots: [APP] }), (e: unknown) => isOcmError(e, 'ALREADY_EXISTS'));
  await transfer(s.src, tloc, { roots: [APP], overwrite: true });
  assert.equal(await rootDigest(target, APP), await rootDigest(s.source, APP));
});

test('an interrupted transfer leaves no visible version; the rerun completes it', async () => {
  const s = await setup();
  const target = new MemoryStore();
  const tloc = { store: target, id: 'mem:t' };
  const ac = new AbortController();
  let copies = 0;
  await assert.rejects(
    transfer(s.src, tloc, { roots: [APP], recursive: true, signal: ac.signal, concurrency: 1, events: { onCopy: () => ++copies === 3 && ac.abort() } }),
    (e: unknown) => isOcmError(e, 'ABORTED'),
  );
  for (const c of [APP, LIB, TOOL]) {
    const tags = await target.repository(componentRepository(c.name)).listTags();
    assert.deepEqual(tags, [], `${c.name} must not be visible`);
  }
  const sum = await transfer(s.src, tloc, { roots: [APP], recursive: true });
  assert.equal(sum.versionsWritten, 3);
  assert.ok(sum.blobsSkipped >= 1, 'what arrived before is skipped');
  await verifyGraph(target, s.graph);
});

test('a versionless root plans every version, or the highest with latest', async () => {
  const s = await setup();
  const plan = await planTransfer(s.src, { store: new MemoryStore(), id: 'x' }, { roots: [{ component: TOOL.name }] });
  assert.deepEqual(plan.versions.map((v) => v.version), [TOOL.version]);
  const latest = await planTransfer(s.src, { store: new MemoryStore(), id: 'x' }, { roots: [{ component: APP.name }], latest: true, recursive: true });
  assert.deepEqual(latest.versions.map((v) => v.component), [LIB.name, TOOL.name, APP.name], 'children first');
  assert.ok(latest.versions.every((v) => v.action === 'copy' && v.missingBytes > 0));
});
