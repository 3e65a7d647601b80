/**
 * A graph copy into a registry asks "present?" and starts the upload in one request (POST with
 * `mount=<digest>&from=<the repository itself>`) once the host has shown it answers 201 for a blob
 * it holds; a registry that does not keeps the HEAD per blob, so an interrupted copy still skips
 * what arrived. Real docker-registry behind the fault proxy that counts requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyGraph } from '../content/copy.js';
import { MemoryStore, pushBytes } from '../content/memory.js';
import { MediaType } from '../content/media-types.js';
import type { OciDescriptor, Target } from '../content/types.js';
import { startFaultProxy, type FaultRule } from '../../testing/fault-proxy.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';
import { RegistryClient } from './client.js';

const skip = !registryAvailable() && 'docker-registry not installed';
const LAYER = 'application/vnd.oci.image.layer.v1.tar';

/** An image of `n` random layers in a memory store; returns the manifest descriptor and the layers. */
async function image(n: number): Promise<{ src: Target; root: OciDescriptor; layers: OciDescriptor[] }> {
  const src = new MemoryStore().repository('src/img');
  const layers: OciDescriptor[] = [];
  for (let i = 0; i < n; i++) layers.push(await pushBytes(src, LAYER, randomBytes(20_000 + i)));
  const config = await pushBytes(src, 'application/vnd.oci.image.config.v1+json', JSON.stringify({ n }));
  const root = await pushBytes(src, MediaType.ociManifest, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers }));
  return { src, root, layers };
}

async function setup(t: { after(fn: () => unknown): void }, rules: FaultRule[] = []) {
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  const proxy = await startFaultProxy({ target: reg.url, rules });
  t.after(() => proxy.stop());
  const client = new RegistryClient();
  t.after(() => client.close());
  return { proxy, client };
}

const count = (proxy: { requests: { method: string; path: string }[] }, from: number, method: string, path?: RegExp) =>
  proxy.requests.slice(from).filter((r) => r.method === method && (!path || path.test(r.path))).length;
const MOUNT = /[?&]mount=/;
const BLOB_HEAD = /\/blobs\/sha256:/; // blob HEADs (a manifest's is .../manifests/...)

test('into a registry that mounts from the repository itself: one POST per blob asks and uploads, no HEAD once learnt; present blobs are not sent again', { skip }, async (t) => {
  const { proxy, client } = await setup(t);
  const { src, root, layers } = await image(12);
  const dst = client.repository(proxy.host, 'dst/img');
  const copied: string[] = [];
  await copyGraph(src, dst, root, { concurrency: 1, onCopy: (d) => copied.push(d.digest) });
  assert.equal(copied.length, 14, 'twelve layers, config and manifest');
  assert.equal(client.mountFromItself.get(proxy.host), true);
  // Learnt on the first blob (HEAD, POST, PUT, then one mount POST that answered 201): every later
  // blob is one mount POST (202, the session) and its PUT.
  assert.equal(count(proxy, 0, 'HEAD', BLOB_HEAD), 1, 'one blob HEAD, before learning');
  assert.equal(count(proxy, 0, 'POST', MOUNT), 13);

  // A copy that finds half the layers present (an interrupted run): those cost one POST each, no PUT.
  const other = client.repository(proxy.host, 'dst/other');
  const seed = layers.slice(0, 6);
  for (const l of seed) assert.equal(await other.mount(l, 'dst/img'), true);
  const before = proxy.requests.length;
  const skipped: string[] = [];
  await copyGraph(src, other, root, { concurrency: 2, onSkip: (d) => skipped.push(d.digest) });
  assert.deepEqual(new Set(skipped), new Set(seed.map((l) => l.digest)));
  assert.equal(count(proxy, before, 'PUT', /\/blobs\/uploads\//), 12 - 6 + 1, 'six layers and the config uploaded');
  assert.equal(count(proxy, before, 'HEAD', BLOB_HEAD), 0, 'no blob HEAD');
});

test('into a registry that does not mount from the repository itself: blobs keep their HEAD, so present ones are still skipped', { skip }, async (t) => {
  // The registry opens an upload session for every mount (as registries without mounts do).
  const { proxy, client } = await setup(t, [
    { method: 'POST', path: MOUNT, times: Infinity, fault: { kind: 'respond', status: 202, headers: { location: '/v2/dst/img/blobs/uploads/not-a-mount' } } },
  ]);
  const { src, root, layers } = await image(8);
  const dst = client.repository(proxy.host, 'dst/img');
  await copyGraph(src, dst, root, { concurrency: 2 });
  assert.equal(client.mountFromItself.get(proxy.host), false);
  assert.equal(count(proxy, 0, 'POST', MOUNT), 1, 'asked once');
  assert.equal(count(proxy, 0, 'HEAD', BLOB_HEAD), 8 + 1, 'every layer and the config');
  const before = proxy.requests.length;
  const skipped: string[] = [];
  await copyGraph(src, client.repository(proxy.host, 'dst/img'), layers[3]!, { onSkip: (d) => skipped.push(d.digest) });
  assert.deepEqual(skipped, [layers[3]!.digest]);
  assert.equal(count(proxy, before, 'PUT'), 0);
});

test('a refused ask-and-upload POST fails naming the upload of the blob, not a mount the user never asked for', { skip }, async (t) => {
  const { proxy, client } = await setup(t);
  const first = await image(2);
  await copyGraph(first.src, client.repository(proxy.host, 'dst/img'), first.root);
  assert.equal(client.mountFromItself.get(proxy.host), true);
  proxy.setRules([{ method: 'POST', path: MOUNT, times: Infinity, fault: { kind: 'status', status: 403 } }]);
  const { src, root } = await image(1);
  await assert.rejects(copyGraph(src, client.repository(proxy.host, 'dst/img'), root), (e: unknown) => {
    assert.match((e as Error).message, /upload of blob sha256:[0-9a-f]{64} to 127\.0\.0\.1:\d+\/dst\/img/);
    assert.doesNotMatch((e as Error).message, /mount of/);
    return true;
  });
});
