/**
 * Why the controller caches tag lists for its interval instead of asking conditionally: the
 * registry here (distribution 2.8) sends no ETag on `tags/list` and answers `If-None-Match` with
 * a full 200, so a conditional listing would only ever work against a fake. If this test starts
 * failing, the registry grew ETags: add If-None-Match to listTags and use it in listVersions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { registryAvailable, startRegistry } from '../../testing/registry.js';

const skip = !registryAvailable() ? 'docker-registry not installed' : false;

test('the real registry sends no ETag for tag lists and ignores If-None-Match (so the controller keeps an interval cache)', { skip }, async (t) => {
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  const config = Buffer.from('{}');
  const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const start = await fetch(`${reg.url}/v2/c/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const upload = new URL(start.headers.get('location')!, reg.url);
  upload.searchParams.set('digest', digest);
  assert.equal((await fetch(upload, { method: 'PUT', body: config, headers: { 'content-type': 'application/octet-stream' } })).status, 201);
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: config.length }, layers: [] });
  const put = await fetch(`${reg.url}/v2/c/manifests/1.0.0`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201);

  const list = await fetch(`${reg.url}/v2/c/tags/list?n=1000`);
  assert.deepEqual(await list.json(), { name: 'c', tags: ['1.0.0'] });
  assert.equal(list.headers.get('etag'), null, 'tags/list carries no ETag');
  const conditional = await fetch(`${reg.url}/v2/c/tags/list?n=1000`, { headers: { 'if-none-match': '"anything"' } });
  assert.equal(conditional.status, 200, 'If-None-Match is not honoured');
  await conditional.arrayBuffer();
  // Manifests do carry one (their digest), which is why only the tag list is the open question.
  const head = await fetch(`${reg.url}/v2/c/manifests/1.0.0`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(head.headers.get('etag'), `"${head.headers.get('docker-content-digest')}"`);
});
