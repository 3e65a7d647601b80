import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { OFF_THREAD_MIN_BYTES, offThreadHasher } from './off-thread.js';
import { verifying } from './digest.js';
import { isOcmError } from '../runtime/errors.js';

const SIZE = OFF_THREAD_MIN_BYTES + 12345; // big enough for the hash thread, odd-sized
const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });

/** The same bytes every call, in uneven chunks (some larger than a shared slot), without holding them all. */
function source(size: number, corruptAt = -1): Readable {
  let at = 0;
  const sizes = [1, 70_000, 5 * 1024 * 1024, 512 * 1024, 3];
  let i = 0;
  return new Readable({
    read() {
      if (at >= size) return void this.push(null);
      const n = Math.min(sizes[i++ % sizes.length]!, size - at);
      const b = Buffer.alloc(n);
      for (let k = 0; k < n; k += 4096) b[k] = (at + k) & 0xff;
      if (corruptAt >= at && corruptAt < at + n) b[corruptAt - at] ^= 1;
      at += n;
      this.push(b);
    },
  });
}

async function referenceDigest(size: number): Promise<string> {
  const h = createHash('sha256');
  for await (const c of source(size)) h.update(c);
  return `sha256:${h.digest('hex')}`;
}

test('a large verified stream hashes on the second thread with the same result as in-thread', async () => {
  const expected = await referenceDigest(SIZE);
  const v = verifying({ digest: expected, size: SIZE });
  await pipeline(source(SIZE), v, sink());
  assert.equal(v.digest, expected);
});

test('the hash thread catches a single flipped bit in a large stream', async () => {
  const expected = await referenceDigest(SIZE);
  await assert.rejects(pipeline(source(SIZE, SIZE - 10), verifying({ digest: expected, size: SIZE }), sink()), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
});

test('a destroyed large stream drops its job and lets the process exit', async () => {
  const h = offThreadHasher('sha256');
  assert.ok(h, 'the hash thread starts');
  const b = Buffer.alloc(1024 * 1024, 7);
  for (let i = 0; i < 3; i++) await h.update(b);
  h.abort();
  // a fresh job after an aborted one still works
  const h2 = offThreadHasher('sha256')!;
  await h2.update(Buffer.from('test'));
  assert.equal(await h2.digestHex(), '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
});

test('a process that verified a large stream exits on its own (the hash thread does not hold it)', () => {
  const digestJs = fileURLToPath(new URL('./digest.js', import.meta.url));
  const script = `
    import { verifying } from ${JSON.stringify(digestJs)};
    import { Readable, Writable } from 'node:stream';
    import { pipeline } from 'node:stream/promises';
    const size = ${SIZE};
    const v = verifying({ size });
    await pipeline(Readable.from((function* () { for (let n = 0; n < size; n += 1 << 20) yield Buffer.alloc(Math.min(1 << 20, size - n)); })()), v, new Writable({ write(_c, _e, cb) { cb(); } }));
    console.log(v.digest);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
});

test('OCM_HASH_THREAD=0 hashes in-thread with the same result', () => {
  const digestJs = fileURLToPath(new URL('./digest.js', import.meta.url));
  const buf = Buffer.alloc(SIZE);
  randomFillSync(buf, 0, 1024);
  const script = `
    import { verifying } from ${JSON.stringify(digestJs)};
    import { Readable, Writable } from 'node:stream';
    import { pipeline } from 'node:stream/promises';
    const b = Buffer.alloc(${SIZE}); b.write(process.argv[1], 'hex');
    const v = verifying({ size: b.length });
    await pipeline(Readable.from([b]), v, new Writable({ write(_c, _e, cb) { cb(); } }));
    console.log(v.digest);`;
  const hex = buf.subarray(0, 1024).toString('hex');
  const want = `sha256:${createHash('sha256').update(buf).digest('hex')}\n`;
  for (const env of [{ OCM_HASH_THREAD: '0' }, {}]) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, hex], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, want);
  }
});
