import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciComponentRepository } from '../repository/oci-mapping/index.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../testing/registry.js';
import { APP, writeGraph } from '../testing/graph-fixture.js';
import { openLocation } from './open.js';
import { rootsIn } from '../testing/registry-fixture.js';

const skip = !registryAvailable() ? 'docker-registry not installed' : false;

test('same-registry transfer of a blob corrupt at rest: mounted unread without --verify; --verify refuses to tag and names the resource', { skip }, async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  const src = await openLocation({ type: 'OCIRepository/v1', baseUrl: reg.url, subPath: 'src' });
  t.after(() => src.close());
  const graph = await writeGraph(src.store, { subPath: 'src' });
  const cd = await new OciComponentRepository(src.store, { subPath: 'src' }).getComponentVersion(APP.name, APP.version);
  const hex = String(cd.component.resources.find((r) => r.name === 'config')!.access.localReference).replace('sha256:', '');
  // flip one byte of the stored blob (same size): distribution checked the digest on upload, not at rest
  const data = join(reg.dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  const bytes = await readFile(data);
  bytes[10] = bytes[10]! ^ 0xff;
  await writeFile(data, bytes);
  const pub = join(dir.path, 'pub.pem');
  await writeFile(pub, graph.publicKeyPem);
  const source = `${reg.url}/src//${APP.name}:${APP.version}`;

  // without --verify the blob is mounted, never read: the corrupt version becomes visible (what mounting trusts)
  const plain = await runOcm(['transfer', 'cv', source, `${reg.url}/plain`, '-r', '--progress', 'none']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(Number(/(\d+) mounted/.exec(plain.stderr)?.[1]) > 0, `blobs were mounted: ${plain.stderr}`);
  const plainDst = await openLocation({ type: 'OCIRepository/v1', baseUrl: reg.url, subPath: 'plain' });
  t.after(() => plainDst.close());
  assert.ok((await rootsIn(plainDst.store, 'plain')).every((d) => d !== undefined));

  for (const extra of [[], ['--verify-signature', 'acme', '--public-key', pub]]) {
    const r = await runOcm(['transfer', 'cv', source, `${reg.url}/checked`, '-r', '-q', '--verify', ...extra]);
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--verify: acme\.org\/transfer\/app:1\.0\.0 .*resource "?config"?.*\[DIGEST_MISMATCH\]/);
    assert.match(r.stderr, /no version was tagged/);
    const dst = await openLocation({ type: 'OCIRepository/v1', baseUrl: reg.url, subPath: 'checked' });
    try {
      assert.deepEqual(await rootsIn(dst.store, 'checked'), [undefined, undefined, undefined], 'no version visible');
    } finally {
      await dst.close();
    }
  }

  // an intact graph passes --verify (digests, signature digests and the signature with its key)
  await writeFile(data, (await readFile(data)).map((b, i) => (i === 10 ? b ^ 0xff : b)));
  const good = await runOcm(['transfer', 'cv', source, `${reg.url}/good`, '-r', '-q', '--verify', '--verify-signature', 'acme', '--public-key', pub]);
  assert.equal(good.code, 0, good.stderr);
  const goodDst = await openLocation({ type: 'OCIRepository/v1', baseUrl: reg.url, subPath: 'good' });
  t.after(() => goodDst.close());
  assert.deepEqual(await rootsIn(goodDst.store, 'good'), await rootsIn(src.store, 'src'));
  // a wrong key fails verification and tags nothing
  const other = join(dir.path, 'other.pem');
  const { generateKeyPairSync } = await import('node:crypto');
  await writeFile(other, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  const wrong = await runOcm(['transfer', 'cv', source, `${reg.url}/wrong`, '-r', '-q', '--verify-signature', 'acme', '--public-key', other]);
  assert.equal(wrong.code, 5, wrong.stderr);
  assert.match(wrong.stderr, /VERIFICATION_FAILED/);
  const wrongDst = await openLocation({ type: 'OCIRepository/v1', baseUrl: reg.url, subPath: 'wrong' });
  t.after(() => wrongDst.close());
  assert.deepEqual(await rootsIn(wrongDst.store, 'wrong'), [undefined, undefined, undefined]);
});
