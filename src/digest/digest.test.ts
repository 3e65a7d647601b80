import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { digestOf, parseDigest, readAllBounded, verifying } from './digest.js';
import { isOcmError } from '../runtime/errors.js';

const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
const TEST = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

test('verifying accepts exact content and exposes digest and size', async () => {
  const v = verifying({ digest: TEST, size: 4 });
  await pipeline(Readable.from([Buffer.from('te'), Buffer.from('st')]), v, sink());
  assert.equal(v.digest, TEST);
  assert.equal(v.size, 4);
});

for (const [name, chunks, code] of [
  ['wrong content', ['tesx'], 'DIGEST_MISMATCH'],
  ['short content', ['tes'], 'DIGEST_MISMATCH'],
  ['trailing content', ['test!'], 'DIGEST_MISMATCH'],
] as const) {
  test(`verifying rejects ${name}`, async () => {
    await assert.rejects(
      pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), verifying({ digest: TEST, size: 4 }), sink()),
      (e: unknown) => isOcmError(e, code),
    );
  });
}

test('parseDigest validates algorithm and length', () => {
  assert.deepEqual(parseDigest(TEST), { algorithm: 'sha256', hex: TEST.slice(7) });
  assert.throws(() => parseDigest('sha256:abc'), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => parseDigest('md5:' + 'a'.repeat(32)));
  assert.equal(digestOf('test'), TEST);
});

test('readAllBounded refuses more than the limit', async () => {
  await assert.rejects(readAllBounded(Readable.from([Buffer.alloc(10)]), 5), (e: unknown) => isOcmError(e, 'LIMIT_EXCEEDED'));
  assert.equal((await readAllBounded(Readable.from([Buffer.alloc(5)]), 5)).length, 5);
});

test('verifying with sizeOnly enforces the size but does not hash', async () => {
  await pipeline(Readable.from([Buffer.from('tesx')]), verifying({ digest: TEST, size: 4, sizeOnly: true }), sink());
  for (const c of ['tes', 'test!']) {
    await assert.rejects(pipeline(Readable.from([Buffer.from(c)]), verifying({ digest: TEST, size: 4, sizeOnly: true }), sink()), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
  }
});
