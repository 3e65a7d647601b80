import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { artifactSetDigest, isOciArtifactMediaType } from './artifact-set.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function tarOf(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, Buffer.from(content));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function layout(manifest: string, layer: string, { main = true, nested = false } = {}): Record<string, string> {
  const m = sha(manifest);
  const idx = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${m}`, size: manifest.length }], ...(main ? { annotations: { 'software.ocm/main': `sha256:${m}` } } : {}) };
  const p = (h: string) => (nested ? `blobs/sha256/${h}` : `blobs/sha256.${h}`);
  return { 'index.json': JSON.stringify(idx), [p(m)]: manifest, [p(sha(layer))]: layer };
}

test('artifact sets and OCI layouts (tar, tgz, flat or nested blob names) give the main manifest digest', async () => {
  const manifest = '{"schemaVersion":2}';
  for (const opts of [{}, { nested: true }, { main: false }]) {
    const bytes = await tarOf(layout(manifest, 'layer', opts));
    for (const b of [bytes, gzipSync(bytes)]) {
      const d = await artifactSetDigest(Readable.from([b]), 'artifact');
      assert.equal(d.manifest, `sha256:${sha(manifest)}`);
      assert.equal(d.blob, `sha256:${sha(b)}`);
    }
  }
});

test('a changed byte in any artifact blob, a missing main manifest or a broken archive is reported', async () => {
  const files = layout('{"schemaVersion":2}', 'layer');
  const layerName = Object.keys(files).find((n) => n.endsWith(sha('layer')))!;
  const bad = await tarOf({ ...files, [layerName]: 'lAyer' });
  await assert.rejects(artifactSetDigest(Readable.from([bad]), 'resource "img"'), (e: Error & { code?: string }) => e.code === 'DIGEST_MISMATCH' && /^resource "img": artifact blob sha256:[0-9a-f]{64} has content digest/.test(e.message));
  const { [Object.keys(files)[1]!]: _m, ...noManifest } = files;
  await assert.rejects(artifactSetDigest(Readable.from([await tarOf(noManifest)]), 'x'), /main manifest sha256:[0-9a-f]{64} is missing/);
  const gz = gzipSync(await tarOf(files));
  gz[gz.length - 6]! ^= 0xff;
  await assert.rejects(artifactSetDigest(Readable.from([gz]), 'x'), (e: Error & { code?: string }) => e.code === 'PARSE_ERROR' || e.code === 'DIGEST_MISMATCH');
});

test('OCI artifact media types are recognised', () => {
  const yes = ['application/vnd.oci.image.manifest.v1+tar+gzip', 'application/vnd.oci.image.index.v1+tar+gzip', 'application/vnd.docker.distribution.manifest.v2+tar+gzip', 'application/vnd.ocm.software.oci.layout.v1+tar'];
  const no = ['application/octet-stream', 'application/vnd.oci.image.manifest.v1+json', undefined];
  for (const m of yes) assert.ok(isOciArtifactMediaType(m), m);
  for (const m of no) assert.ok(!isOciArtifactMediaType(m), String(m));
});
