import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { digestOf } from '../../digest/digest.js';
import { isOcmError } from '../../runtime/errors.js';
import { Limiter, copyGraph, copyReference } from './copy.js';
import { MemoryStore, pushBytes } from './memory.js';
import { MediaType } from './media-types.js';
import type { FetchOptions, OciDescriptor, Target } from './types.js';

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** An index with two platform manifests sharing one layer; returns the index descriptor. */
async function image(t: Target, seed: string): Promise<{ index: OciDescriptor; blobs: OciDescriptor[] }> {
  const shared = await pushBytes(t, LAYER, `shared-${seed}`.repeat(100));
  const blobs: OciDescriptor[] = [shared];
  const manifests: OciDescriptor[] = [];
  for (const arch of ['amd64', 'arm64']) {
    const cfg = await pushBytes(t, 'application/vnd.oci.image.config.v1+json', JSON.stringify({ architecture: arch, seed }));
    const own = await pushBytes(t, LAYER, `${arch}-${seed}`.repeat(1000));
    blobs.push(cfg, own);
    const m = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: cfg, layers: [shared, own] });
    manifests.push({ ...(await pushBytes(t, MediaType.ociManifest, m)), platform: { architecture: arch, os: 'linux' } });
  }
  const idx = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests });
  const index = await pushBytes(t, MediaType.ociIndex, idx);
  await t.tag(index, 'v1');
  return { index, blobs };
}

test('copyReference copies an index with all platforms and layers, tag last, byte-identical', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const { index, blobs } = await image(a.repository('img'), 'x');
  const order: string[] = [];
  const dst = b.repository('copy');
  const root = await copyReference(a.repository('img'), 'v1', dst, undefined, { onCopy: (d) => order.push(d.digest) });
  assert.equal(root.digest, index.digest);
  assert.deepEqual(await dst.resolve('v1'), { mediaType: index.mediaType, digest: index.digest, size: index.size });
  assert.equal(order.at(-1), index.digest, 'the root is written last');
  for (const d of blobs) assert.ok(await dst.exists(d));
  assert.equal(new Set(order).size, order.length, 'shared layer copied once');
  for (const [digest, bytes] of b.content) assert.equal(digestOf(bytes), digest);
});

test('a rerun skips everything; a partial target only gets the missing parts', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const { index, blobs } = await image(a.repository('img'), 'y');
  await copyReference(a.repository('img'), 'v1', b.repository('img'), undefined);
  const before = b.stats.pushes;
  const skipped: string[] = [];
  await copyReference(a.repository('img'), 'v1', b.repository('img'), undefined, { onSkip: (d) => skipped.push(d.digest) });
  assert.equal(b.stats.pushes, before, 'nothing pushed again');
  assert.deepEqual(skipped, [index.digest], 'existing root skips its whole subtree');

  // simulate an interrupted copy: blobs partly there, no manifests
  const c = new MemoryStore();
  await copyGraph(a.repository('img'), c.repository('img'), blobs[1]!);
  const copied: string[] = [];
  await copyReference(a.repository('img'), 'v1', c.repository('img'), undefined, { onCopy: (d) => copied.push(d.digest) });
  assert.ok(!copied.includes(blobs[1]!.digest));
  assert.equal(copied.length, 1 + 2 * 2 + 2 + 1 - 1);
});

test('mounts within one store when asked, falls back to copying otherwise', async () => {
  const s = new MemoryStore();
  const { blobs } = await image(s.repository('src'), 'm');
  const mounted: string[] = [];
  await copyReference(s.repository('src'), 'v1', s.repository('dst'), undefined, { mountFrom: 'src', onMount: (d) => mounted.push(d.digest) });
  assert.equal(mounted.length, blobs.length);
  assert.equal(s.stats.mounts, blobs.length);
  // a mount source that lacks the blob is a copy, not an error
  const t = new MemoryStore();
  await image(t.repository('src'), 'n');
  await copyReference(t.repository('src'), 'v1', t.repository('dst2'), undefined, { mountFrom: 'nowhere' });
  assert.ok(await t.repository('dst2').resolve('v1'));
});

test('a corrupted source blob fails with DIGEST_MISMATCH on the source side and leaves nothing', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const src = a.repository('img');
  const good = await pushBytes(src, LAYER, 'good bytes');
  a.content.set(good.digest, Buffer.from('evil bytes')); // same length, different content
  const m = JSON.stringify({ schemaVersion: 2, config: good, layers: [] });
  const md = await pushBytes(src, MediaType.ociManifest, m);
  await assert.rejects(copyGraph(src, b.repository('img'), md, { attempts: 2 }), (e: unknown) => {
    assert.ok(isOcmError(e, 'DIGEST_MISMATCH'), String(e));
    assert.equal(e.details['side'], 'source');
    return true;
  });
  assert.equal(await b.repository('img').exists(good), false);
  assert.equal(await b.repository('img').exists(md), false);
});

test('blobs are read unverified and verified once, by the target; after a refusal the source is read verified', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const src = a.repository('img');
  const good = await pushBytes(src, LAYER, 'good bytes');
  const md = await pushBytes(src, MediaType.ociManifest, JSON.stringify({ schemaVersion: 2, config: good, layers: [] }));
  const asked: (boolean | undefined)[] = [];
  const spy: Target = Object.assign(Object.create(src) as Target, {
    fetch: (d: OciDescriptor, o?: FetchOptions) => {
      if (d.digest === good.digest) asked.push(o?.unverified);
      return src.fetch(d, o);
    },
  });
  await copyGraph(spy, b.repository('img'), md);
  assert.deepEqual(asked, [true]);
  assert.equal(await b.repository('img').exists(good), true);
  // corrupt source: the target refuses the unverified bytes, the retry reads verified and names the source
  const c = new MemoryStore();
  a.content.set(good.digest, Buffer.from('evil bytes'));
  asked.length = 0;
  await assert.rejects(copyGraph(spy, c.repository('img'), md, { attempts: 2 }), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH') && e.details['side'] === 'source');
  assert.deepEqual(asked, [true, false]);
});

test('a missing source blob is NOT_FOUND on the source side; target errors name the target', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const missing: OciDescriptor = { mediaType: LAYER, digest: digestOf('nope'), size: 4 };
  await assert.rejects(copyGraph(a.repository('x'), b.repository('x'), missing), (e: unknown) => {
    assert.ok(isOcmError(e, 'NOT_FOUND'));
    assert.equal(e.details['side'], 'source');
    return true;
  });
  const src = a.repository('x');
  const d = await pushBytes(src, LAYER, 'data');
  const broken = b.repository('x');
  broken.push = async () => {
    throw new Error('disk on fire');
  };
  await assert.rejects(copyGraph(src, broken, d, { attempts: 1 }), (e: unknown) => {
    assert.ok(isOcmError(e, 'TRANSFER_ERROR'));
    assert.equal(e.details['side'], 'target');
    assert.match(e.message, /disk on fire/);
    return true;
  });
});

test('transient failures are retried per blob', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const src = a.repository('r');
  const d = await pushBytes(src, LAYER, 'x'.repeat(10000));
  let calls = 0;
  const orig = src.fetch.bind(src);
  src.fetch = async (desc, o) => {
    calls++;
    if (calls === 1) return Readable.from([Buffer.from('x'.repeat(10))]); // truncated
    return orig(desc, o);
  };
  await copyGraph(src, b.repository('r'), d);
  assert.equal(calls, 2);
  assert.ok(await b.repository('r').exists(d));
});

test('the limiter bounds parallel blob copies', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const src = a.repository('r');
  const layers: OciDescriptor[] = [];
  for (let i = 0; i < 12; i++) layers.push(await pushBytes(src, LAYER, `layer ${i}`));
  const cfg = await pushBytes(src, 'application/vnd.oci.image.config.v1+json', '{}');
  const md = await pushBytes(src, MediaType.ociManifest, JSON.stringify({ schemaVersion: 2, config: cfg, layers }));
  let active = 0;
  let peak = 0;
  const dst = b.repository('r');
  const push = dst.push.bind(dst);
  dst.push = async (desc, content, o) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setImmediate(r));
    try {
      await push(desc, content, o);
    } finally {
      active--;
    }
  };
  await copyGraph(src, dst, md, { limiter: new Limiter(3) });
  assert.ok(peak <= 3 && peak >= 2, `peak ${peak}`);
  assert.ok(await dst.exists(md));
});

test('abort stops the copy with ABORTED', async () => {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const { index } = await image(a.repository('img'), 'z');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(copyGraph(a.repository('img'), b.repository('img'), index, { signal: ac.signal }), (e: unknown) => isOcmError(e, 'ABORTED'));
  assert.equal(await b.repository('img').exists(index), false);
});
