import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { chunksOf } from './chunks.js';

/** Drives the iterator like `for await` does, including `return()` on an early exit. */
async function* iterateChunks(source: Readable): AsyncGenerator<Uint8Array> {
  const it = chunksOf(source);
  let done = false;
  try {
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    done = true;
  } finally {
    if (!done) await it.return?.();
  }
}

test('chunksOf hands over the producer\'s own chunks even when it is far ahead (no concatenation)', async () => {
  const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000, i));
  const src = new PassThrough({ highWaterMark: 1 << 20 });
  for (const p of parts) src.write(p);
  src.end();
  const seen: Uint8Array[] = [];
  for await (const c of iterateChunks(src)) seen.push(c);
  assert.equal(seen.length, parts.length);
  seen.forEach((c, i) => assert.equal(Buffer.compare(c, parts[i]!), 0));
});

test('chunksOf reports a source error and a premature close', async () => {
  const failing = new Readable({ read() { this.destroy(new Error('boom')); } });
  await assert.rejects(async () => { for await (const _ of iterateChunks(failing)) void _; }, /boom/);
  const closed = new Readable({ read() { this.push(Buffer.from('x')); this.destroy(); } });
  await assert.rejects(async () => { for await (const _ of iterateChunks(closed)) void _; }, (e: NodeJS.ErrnoException) => e.code === 'ERR_STREAM_PREMATURE_CLOSE');
});

test('leaving chunksOf early destroys the source; an ended source yields nothing', async () => {
  const src = Readable.from([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')], { objectMode: false });
  for await (const c of iterateChunks(src)) {
    assert.equal(Buffer.from(c).toString(), 'a');
    break;
  }
  assert.equal(src.destroyed, true);
  const ended = Readable.from([], { objectMode: false });
  ended.resume();
  await new Promise((r) => ended.once('end', r));
  assert.deepEqual(await chunksOf(ended).next(), { value: undefined, done: true });
});

test('chunksOf passes plain async iterables through', async () => {
  const it = chunksOf((async function* () { yield Buffer.from('x'); })());
  assert.equal(Buffer.from((await it.next()).value!).toString(), 'x');
  assert.equal((await it.next()).done, true);
});
