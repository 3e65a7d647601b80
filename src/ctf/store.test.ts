import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { gunzipSync } from 'node:zlib';
import { digestOf, readAllBounded } from '../digest/digest.js';
import { MediaType } from '../oci/content/media-types.js';
import { isOcmError } from '../runtime/errors.js';
import { conformance, tempDir } from '../testing/fixtures.js';
import { detectCtfFormat, formatForPath, openCtf, type CtfFormat } from './index.js';
import { makeTar, snapshot } from '../testing/ctf-fixtures.js';

const REPO = 'component-descriptors/github.com/acme.org/helloworld';
const TEST_DIGEST = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const GO_CTFS: [string, CtfFormat, string][] = [
  ['transport-archive', 'directory', 'sha256:6d776ef2c9c156ca260a67b335435f4ef20a1c8e777afee89148b06d5688e753'],
  ['transport-archive.tar', 'tar', 'sha256:663697c69a18079dcc981d02e0ffd13e4b819cb5f5374d525db01153083380e0'],
  ['transport-archive.tar.gz', 'tgz', 'sha256:52b5e6d78a73d5aac59a876254107e93ec8d823588a24e312a06719f1722cbbe'],
];
const goCtf = (name: string): string => conformance(`ocm/ctf/v1-0.20.0-localblob/${name}`);

async function readGoCtf(path: string, expectFormat: CtfFormat, manifestDigest: string): Promise<void> {
  const store = await openCtf(path, { readOnly: true });
  try {
    assert.equal(store.format, expectFormat);
    assert.deepEqual(await store.listRepositories(), [REPO]);
    const repo = store.repository(REPO);
    assert.deepEqual(await repo.listTags(), ['1.0.0']);
    const desc = await repo.resolve('1.0.0');
    assert.deepEqual(desc, { mediaType: MediaType.ociManifest, digest: manifestDigest, size: 805 });
    const manifest = JSON.parse((await readAllBounded(await repo.fetch(desc), 1 << 20)).toString()) as { layers: { digest: string; size: number; mediaType: string }[] };
    const blob = manifest.layers[1]!;
    assert.equal(blob.digest, TEST_DIGEST);
    assert.equal((await readAllBounded(await repo.fetch(blob), 100)).toString(), 'test');
    assert.equal(await repo.exists(blob), true);
  } finally {
    await store.close();
  }
}

for (const [name, format, digest] of GO_CTFS) {
  test(`reads the Go-written ${format} CTF ${name}`, () => readGoCtf(goCtf(name), format, digest));
}

test('detects tar and tgz by content when the file has no extension', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  for (const [name, format, digest] of GO_CTFS.slice(1)) {
    const copy = join(tmp.path, `${format}-archive`);
    await copyFile(goCtf(name), copy);
    assert.equal(await detectCtfFormat(copy), format);
    await readGoCtf(copy, format, digest);
    assert.deepEqual(await readFile(copy), await readFile(goCtf(name)), 'reading leaves the archive untouched');
  }
});

test('reads the multi-identity and ociartifact CTFs', async () => {
  for (const rel of ['v1-0.18.0-multi-identity', 'v1-0.20.0-ociartifact/with-resource', 'v1-0.20.0-ociartifact/without-resource']) {
    const store = await openCtf(conformance(`ocm/ctf/${rel}`), { readOnly: true });
    const [repo] = await store.listRepositories();
    assert.ok(repo?.startsWith('component-descriptors/'), rel);
    const desc = await store.repository(repo).resolve('1.0.0');
    const bytes = await readAllBounded(await store.repository(repo).fetch(desc), 1 << 20);
    assert.equal(digestOf(bytes), desc.digest);
    await store.close();
  }
});

test('formatForPath goes by extension like v2', () => {
  for (const [p, f] of [
    ['a.tar', 'tar'],
    ['a.tgz', 'tgz'],
    ['dir/a.tar.gz', 'tgz'],
    ['A.TAR', 'tar'],
    ['archive', 'directory'],
    ['a.zip', 'directory'],
  ] as const) {
    assert.equal(formatForPath(p), f, p);
  }
});

for (const format of ['directory', 'tar', 'tgz'] as const) {
  test(`creates a ${format} CTF, pushes and tags, reopens it`, async (t) => {
    const tmp = await tempDir();
    t.after(() => tmp.dispose());
    const path = join(tmp.path, { directory: 'ctf', tar: 'ctf.tar', tgz: 'ctf.tgz' }[format]);
    const store = await openCtf(path, { create: true });
    assert.equal(store.format, format);
    const repo = store.repository('acme/app');
    const blob = Buffer.from('hello');
    const blobDesc = { mediaType: MediaType.octetStream, digest: digestOf(blob), size: blob.length };
    await repo.push(blobDesc, Readable.from([blob]));
    const m1 = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [blobDesc], n: 1 }));
    const m2 = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [blobDesc], n: 2 }));
    const d1 = { mediaType: MediaType.ociManifest, digest: digestOf(m1), size: m1.length };
    const d2 = { mediaType: MediaType.ociManifest, digest: digestOf(m2), size: m2.length };
    await repo.push(d1, Readable.from([m1]));
    await repo.tag(d1, 'v1');
    await repo.push(d2, Readable.from([m2]));
    await repo.tag(d2, 'v1'); // re-tag: m1 stays as an untagged entry
    await store.close();
    await store.close(); // idempotent

    const names = await readdir(tmp.path);
    assert.deepEqual(names, [path.split('/').pop()], 'no stray temp files');
    const again = await openCtf(path);
    assert.equal(again.format, format, 'format detected by content');
    assert.deepEqual(again.entries(), [
      { repository: 'acme/app', digest: d1.digest, mediaType: MediaType.ociManifest },
      { repository: 'acme/app', tag: 'v1', digest: d2.digest, mediaType: MediaType.ociManifest },
    ]);
    const r = again.repository('acme/app');
    assert.deepEqual(await r.resolve('v1'), d2);
    assert.equal((await readAllBounded(await r.fetch(blobDesc), 100)).toString(), 'hello');
    await again.close();

    if (format !== 'directory') {
      // Archive layout: index first, flat blobs, 0644, uid/gid 0, v1's fixed mtime.
      let bytes = await readFile(path);
      if (format === 'tgz') bytes = gunzipSync(bytes);
      const headers: tar.Header[] = [];
      const ex = tar.extract();
      Readable.from([bytes]).pipe(ex as unknown as NodeJS.WritableStream);
      for await (const e of ex) {
        headers.push(e.header);
        e.resume();
      }
      assert.equal(headers[0]!.name, 'artifact-index.json');
      assert.deepEqual(headers.slice(1).map((h) => h.name), [d1, d2, blobDesc].map((d) => `blobs/${d.digest.replace(':', '.')}`).sort());
      for (const h of headers) {
        assert.equal(h.mode, 0o644);
        assert.equal(h.uid, 0);
        assert.equal(h.gid, 0);
        assert.equal(h.mtime.toISOString(), '2022-01-01T00:00:00.000Z');
      }
    } else {
      assert.equal(
        await readFile(join(path, 'artifact-index.json'), 'utf8'),
        `{"schemaVersion":1,"artifacts":[{"repository":"acme/app","digest":"${d1.digest}","mediaType":"${MediaType.ociManifest}"},` +
          `{"repository":"acme/app","tag":"v1","digest":"${d2.digest}","mediaType":"${MediaType.ociManifest}"}]}`,
      );
    }
  });
}

test('a new archive in a missing directory is created with its parents', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const path = join(tmp.path, 'a', 'b', 'ctf.tgz');
  const store = await openCtf(path, { create: true });
  await store.close();
  assert.equal(await detectCtfFormat(path), 'tgz');
  const again = await openCtf(path);
  assert.deepEqual(again.entries(), []);
  await again.close();
});

test('concurrent pushes and tags keep a consistent index', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const path = join(tmp.path, 'ctf');
  const store = await openCtf(path, { create: true });
  const repo = store.repository('acme/many');
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const m = Buffer.from(JSON.stringify({ schemaVersion: 2, i }));
      const d = { mediaType: MediaType.ociManifest, digest: digestOf(m), size: m.length };
      await repo.push(d, Readable.from([m]));
      await repo.tag(d, `v${i}`);
    }),
  );
  await store.close();
  const again = await openCtf(path, { readOnly: true });
  t.after(() => again.close());
  assert.equal((await again.repository('acme/many').listTags()).length, 20);
  assert.equal(again.entries().length, 20);
});

test('an empty new CTF has artifacts null', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  await store.close();
  assert.equal(await readFile(join(tmp.path, 'ctf', 'artifact-index.json'), 'utf8'), '{"schemaVersion":1,"artifacts":null}');
});

test('push verifies: a wrong digest fails and leaves nothing behind', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  const repo = store.repository('x/y');
  const wrong = { mediaType: MediaType.octetStream, digest: TEST_DIGEST, size: 4 };
  await assert.rejects(repo.push(wrong, Readable.from([Buffer.from('tesx')])), (e) => isOcmError(e, 'DIGEST_MISMATCH'));
  assert.equal(await repo.exists(wrong), false);
  assert.deepEqual(await readdir(join(tmp.path, 'ctf', 'blobs')), []);
  await store.close();
});

test('a read-only CTF refuses writes; a missing CTF is NOT_FOUND without create', async (t) => {
  const store = await openCtf(goCtf('transport-archive'), { readOnly: true });
  t.after(() => store.close());
  await assert.rejects(store.repository('a/b').push({ mediaType: 'x', digest: TEST_DIGEST, size: 4 }, Readable.from(['test'])), (e) => isOcmError(e, 'INVALID_ARGUMENT'));
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  await assert.rejects(openCtf(join(tmp.path, 'nope.tar')), (e) => isOcmError(e, 'NOT_FOUND') && /nope\.tar/.test((e as Error).message));
  assert.deepEqual(await readdir(tmp.path), []);
});

test('tolerates ./ prefixes and directory entries in archives', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const path = join(tmp.path, 'dotted');
  const index = `{"schemaVersion":1,"artifacts":[{"repository":"a/b","tag":"1","digest":"${TEST_DIGEST}"}]}`;
  await writeFile(path, await makeTar([
    { name: './', type: 'directory' },
    { name: './artifact-index.json', content: index },
    { name: './blobs/', type: 'directory' },
    { name: `./blobs/${TEST_DIGEST.replace(':', '.')}`, content: 'test' },
  ]));
  const store = await openCtf(path, { readOnly: true });
  t.after(() => store.close());
  const desc = await store.repository('a/b').resolve('1');
  assert.equal(desc.digest, TEST_DIGEST);
  assert.equal((await readAllBounded(await store.repository('a/b').fetch(desc), 10)).toString(), 'test');
});

// ---- bad inputs: right code, one-line message naming the problem, target unchanged ----------

const GOOD_INDEX = `{"schemaVersion":1,"artifacts":[{"repository":"a/b","tag":"1","digest":"${TEST_DIGEST}"}]}`;
const blobEntry = { name: `blobs/${TEST_DIGEST.replace(':', '.')}`, content: 'test' };

interface BadCase {
  name: string;
  /** Files of a directory CTF, or entries of a tar CTF. */
  layout: 'directory' | 'tar' | 'tgz';
  entries: { name: string; content?: string; type?: 'file' | 'symlink' | 'link' | 'directory'; linkname?: string }[];
  /** What to do after opening (omit: opening must fail). */
  act?: (store: Awaited<ReturnType<typeof openCtf>>) => Promise<unknown>;
  code: string;
  mention: RegExp;
}

const BAD: BadCase[] = [
  { name: 'index with an extra top-level key', layout: 'directory', entries: [{ name: 'artifact-index.json', content: '{"schemaVersion":1,"artifacts":null,"extra":1}' }], code: 'VALIDATION_FAILED', mention: /"extra"/ },
  {
    name: 'index entry with an extra key',
    layout: 'tar',
    entries: [{ name: 'artifact-index.json', content: `{"schemaVersion":1,"artifacts":[{"repository":"a/b","digest":"${TEST_DIGEST}","size":4}]}` }, blobEntry],
    code: 'VALIDATION_FAILED',
    mention: /artifacts\[0\].*"size"/,
  },
  { name: 'index with schemaVersion 2', layout: 'tgz', entries: [{ name: 'artifact-index.json', content: '{"schemaVersion":2,"artifacts":null}' }], code: 'VALIDATION_FAILED', mention: /schemaVersion 2/ },
  { name: 'tar with a ../x entry', layout: 'tar', entries: [{ name: 'artifact-index.json', content: GOOD_INDEX }, { name: '../x', content: 'evil' }], code: 'UNSAFE_PATH', mention: /"\.\.\/x"/ },
  { name: 'tar with an absolute entry', layout: 'tgz', entries: [{ name: '/etc/evil', content: 'evil' }], code: 'UNSAFE_PATH', mention: /"\/etc\/evil"/ },
  {
    name: 'tar with a symlink pointing outside',
    layout: 'tar',
    entries: [{ name: 'artifact-index.json', content: GOOD_INDEX }, { name: 'blobs', type: 'symlink', linkname: '/tmp' }],
    code: 'UNSAFE_PATH',
    mention: /"blobs" is a symlink to "\/tmp"/,
  },
  {
    name: 'tar with a hard link entry',
    layout: 'tgz',
    entries: [{ name: 'artifact-index.json', content: GOOD_INDEX }, { name: 'blobs/x', type: 'link', linkname: '/etc/passwd' }],
    code: 'UNSAFE_PATH',
    mention: /"blobs\/x" is a link/,
  },
  {
    name: 'blob whose content does not match its file name',
    layout: 'tar',
    entries: [{ name: 'artifact-index.json', content: GOOD_INDEX }, { ...blobEntry, content: 'tesx' }],
    act: async (s) => readAllBounded(await s.repository('a/b').fetch({ mediaType: 'x', digest: TEST_DIGEST, size: 4 }), 100),
    code: 'DIGEST_MISMATCH',
    mention: /sha256:9f86d081/,
  },
  {
    name: 'missing blob',
    layout: 'directory',
    entries: [{ name: 'artifact-index.json', content: GOOD_INDEX }],
    act: async (s) => s.repository('a/b').fetch({ mediaType: 'x', digest: TEST_DIGEST, size: 4 }),
    code: 'NOT_FOUND',
    mention: /sha256:9f86d081.*not found/,
  },
];

for (const c of BAD) {
  test(`bad CTF (${c.layout}): ${c.name} → ${c.code}`, async (t) => {
    const tmp = await tempDir();
    t.after(() => tmp.dispose());
    const path = join(tmp.path, c.layout === 'directory' ? 'ctf' : `ctf.${c.layout === 'tar' ? 'tar' : 'tgz'}`);
    if (c.layout === 'directory') {
      await mkdir(join(path, 'blobs'), { recursive: true });
      for (const e of c.entries) await writeFile(join(path, e.name), e.content ?? '');
    } else {
      await writeFile(path, await makeTar(c.entries, c.layout === 'tgz'));
    }
    const before = await snapshot(tmp.path);
    const run = async (): Promise<unknown> => {
      const store = await openCtf(path);
      try {
        if (!c.act) throw new Error('expected opening to fail');
        return await c.act(store);
      } finally {
        await store.close();
      }
    };
    await assert.rejects(run(), (e: unknown) => {
      assert.ok(isOcmError(e, c.code as never), `code ${(e as { code?: string }).code}: ${(e as Error).message}`);
      const msg = (e as Error).message;
      assert.ok(!msg.includes('\n'), 'one-line message');
      assert.match(msg, c.mention);
      return true;
    });
    assert.deepEqual(await snapshot(tmp.path), before, 'target unchanged, no stray files');
  });
}

for (const [label, size] of [['small', 4], ['large', 1024 * 1024 + 5]] as const) {
  test(`fetch checks every byte of a ${label} blob: a flipped byte or a longer file is DIGEST_MISMATCH`, async (t) => {
    const tmp = await tempDir();
    t.after(() => tmp.dispose());
    const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
    t.after(() => store.close());
    const repo = store.repository('x/y');
    const bytes = Buffer.alloc(size, 7);
    const desc = { mediaType: MediaType.octetStream, digest: digestOf(bytes), size };
    await repo.push(desc, Readable.from([bytes]));
    assert.deepEqual(await readAllBounded(await repo.fetch(desc), size), bytes);
    const file = join(tmp.path, 'ctf', 'blobs', desc.digest.replace(':', '.'));
    const flipped = Buffer.from(bytes);
    flipped[size - 1] = 8;
    await writeFile(file, flipped);
    await assert.rejects(readAllBounded(await repo.fetch(desc), size + 10), (e) => isOcmError(e, 'DIGEST_MISMATCH'));
    await writeFile(file, Buffer.concat([bytes, Buffer.from('x')]));
    await assert.rejects(readAllBounded(await repo.fetch(desc), size + 10), (e) => isOcmError(e, 'DIGEST_MISMATCH'));
  });
}

test('a large blob read stops with ABORTED once the signal aborts', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  t.after(() => store.close());
  const repo = store.repository('x/y');
  const bytes = Buffer.alloc(4 * 1024 * 1024, 1);
  const desc = { mediaType: MediaType.octetStream, digest: digestOf(bytes), size: bytes.length };
  await repo.push(desc, Readable.from([bytes]));
  const ac = new AbortController();
  const stream = await repo.fetch(desc, { signal: ac.signal });
  await assert.rejects(
    (async () => {
      for await (const _ of stream) ac.abort();
    })(),
    (e) => isOcmError(e, 'ABORTED'),
  );
});

test('an untagged manifest reaches the index file with the next tag or on close; a tag is written at once', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const path = join(tmp.path, 'ctf');
  const indexOnDisk = async () => JSON.parse(await readFile(join(path, 'artifact-index.json'), 'utf8')) as { artifacts: { tag?: string; digest: string }[] | null };
  const store = await openCtf(path, { create: true });
  const repo = store.repository('acme/app');
  const manifest = (i: number) => {
    const m = Buffer.from(JSON.stringify({ schemaVersion: 2, i }));
    return { desc: { mediaType: MediaType.ociManifest, digest: digestOf(m), size: m.length }, bytes: m };
  };
  const [a, b, c] = [manifest(1), manifest(2), manifest(3)];
  await repo.push(a.desc, Readable.from([a.bytes]));
  await repo.push(b.desc, Readable.from([b.bytes]));
  assert.equal(store.entries().length, 2);
  await repo.tag(b.desc, 'v2');
  assert.deepEqual((await indexOnDisk()).artifacts!.map((e) => [e.digest, e.tag]), [[a.desc.digest, undefined], [b.desc.digest, 'v2']]);
  await repo.push(c.desc, Readable.from([c.bytes]));
  await store.close();
  assert.equal((await indexOnDisk()).artifacts!.length, 3);
});

test('an unverified fetch of a large blob checks only its size; a verified one catches same-size corruption', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const store = await openCtf(join(tmp.path, 'ctf'), { create: true });
  t.after(() => store.close());
  const repo = store.repository('acme/big');
  const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
  const desc = { mediaType: 'application/octet-stream', digest: digestOf(bytes), size: bytes.length };
  await repo.push(desc, Readable.from([bytes]));
  const file = join(tmp.path, 'ctf', 'blobs', desc.digest.replace(':', '.'));
  const corrupt = Buffer.from(bytes);
  corrupt[12345] ^= 1;
  await writeFile(file, corrupt);
  await assert.rejects(readAllBounded(await repo.fetch(desc), 4 << 20), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
  assert.deepEqual(await readAllBounded(await repo.fetch(desc, { unverified: true }), 4 << 20), corrupt);
  await writeFile(file, corrupt.subarray(1));
  await assert.rejects(readAllBounded(await repo.fetch(desc, { unverified: true }), 4 << 20), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
});
