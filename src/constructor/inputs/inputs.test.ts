import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { TypedSpec } from '../../descriptor/types.js';
import { readAllBounded } from '../../digest/digest.js';
import { isOcmError } from '../../runtime/errors.js';
import { TypeRegistry } from '../../runtime/type-registry.js';
import { tempDir } from '../../testing/fixtures.js';
import type { InputMethod, InputResult } from '../types.js';
import { registerBuiltinInputs } from './index.js';

const registry = registerBuiltinInputs(new TypeRegistry());
let dir: { path: string; dispose(): Promise<void> };
let base: string;

before(async () => {
  dir = await tempDir('ocm-ts-inputs-');
  base = join(dir.path, 'base');
  await mkdir(join(base, 'tree', 'sub', 'deeper'), { recursive: true });
  await writeFile(join(base, 'hello.txt'), 'hello world\n');
  await writeFile(join(base, 'tree', 'a.txt'), 'a');
  await writeFile(join(base, 'tree', 'b.log'), 'b');
  await writeFile(join(base, 'tree', 'sub', 'c.txt'), 'c');
  await writeFile(join(base, 'tree', 'sub', 'deeper', 'd.txt'), 'd');
  await writeFile(join(dir.path, 'outside.txt'), 'secret');
  await symlink(join(dir.path, 'outside.txt'), join(base, 'escape-link'));
});
after(() => dir.dispose());

async function run(input: TypedSpec): Promise<InputResult> {
  return registry.get<InputMethod>('input', input.type).impl.process(input, { baseDir: base });
}

async function bytes(r: InputResult): Promise<Buffer> {
  return readAllBounded(await r.blob.open(), 64 * 1024 * 1024);
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function tarEntries(buf: Buffer): Promise<Array<{ name: string; type: string; body: string; mtime: number; uid: number; mode: number }>> {
  const out: Array<{ name: string; type: string; body: string; mtime: number; uid: number; mode: number }> = [];
  const ex = tar.extract();
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.push({
        name: entry.header.name,
        type: entry.header.type,
        body: Buffer.concat(chunks).toString(),
        mtime: entry.header.mtime.getTime(),
        uid: entry.header.uid,
        mode: entry.header.mode,
      });
    }
  })();
  Readable.from([buf]).pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

test('every built-in input type is found under its canonical name and aliases', () => {
  for (const names of [
    ['File/v1', 'File', 'file', 'file/v1'],
    ['Dir/v1', 'Dir', 'dir', 'dir/v1'],
    ['UTF8/v1', 'UTF8', 'utf8', 'utf8/v1'],
    ['Binary/v1', 'binary'],
  ]) {
    const impls = new Set(names.map((n) => registry.get('input', n).impl));
    assert.equal(impls.size, 1, names.join(','));
  }
});

test('built-in inputs read only local data: no consumer identity, so no credentials are resolved for them', () => {
  for (const input of [{ type: 'file', path: 'x' }, { type: 'dir', path: '.' }, { type: 'utf8', text: 'x' }, { type: 'binary', data: '' }]) {
    assert.equal(registry.get<InputMethod>('input', input.type).impl.consumerIdentity(input), undefined, input.type);
  }
});

test('a plugin cannot take over a built-in input name (ALREADY_EXISTS naming both), but may add its own type', () => {
  const own = registerBuiltinInputs(new TypeRegistry());
  const plugin: InputMethod = { consumerIdentity: () => ({ type: 'HelmChartRepository', hostname: 'charts.acme.org' }), process: async () => { throw new Error('unused'); } };
  assert.throws(
    () => own.register('input', { type: 'file', source: 'plugin "files"', impl: plugin }),
    (e: unknown) => isOcmError(e, 'ALREADY_EXISTS') && /type "file" \(input\) is already registered by built-in File\/v1; plugin "files" file cannot register it/.test(e.message),
  );
  own.register('input', { type: 'helm/v1', source: 'plugin "helm"', impl: plugin });
  assert.deepEqual(own.get<InputMethod>('input', 'Helm').impl.consumerIdentity({ type: 'helm' }), { type: 'HelmChartRepository', hostname: 'charts.acme.org' });
  assert.equal(registry.find('input', 'helm'), undefined, 'the other registry does not see it');
});

test('an unknown input type fails naming the known ones', () => {
  assert.throws(() => registry.get('input', 'helm'), (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /unknown input type "helm" \(known: File\/v1, Dir\/v1, UTF8\/v1, Binary\/v1\)/.test(e.message));
});

const byteCases: Array<{ name: string; input: TypedSpec; bytes: string; mediaType: string }> = [
  { name: 'utf8 text', input: { type: 'utf8', text: 'test' }, bytes: 'test', mediaType: 'text/plain' },
  { name: 'utf8 text with mediaType', input: { type: 'UTF8/v1', text: 'x', mediaType: 'text/markdown' }, bytes: 'x', mediaType: 'text/markdown' },
  { name: 'utf8 json (keys sorted, Go escaping)', input: { type: 'utf8', json: { b: 1, a: ['<&>'] } }, bytes: '{"a":["\\u003c\\u0026\\u003e"],"b":1}', mediaType: 'application/json' },
  { name: 'utf8 formattedJson', input: { type: 'utf8', formattedJson: { b: true, a: 1 } }, bytes: '{\n  "a": 1,\n  "b": true\n}', mediaType: 'application/json' },
  { name: 'utf8 yaml', input: { type: 'utf8', yaml: { b: [1, 2], a: 'x' } }, bytes: 'a: x\nb:\n- 1\n- 2\n', mediaType: 'application/x-yaml' },
  { name: 'binary', input: { type: 'binary', data: Buffer.from('bin\x00ary').toString('base64') }, bytes: 'bin\x00ary', mediaType: 'application/octet-stream' },
  { name: 'file default media type', input: { type: 'file', path: 'hello.txt' }, bytes: 'hello world\n', mediaType: 'application/octet-stream' },
  { name: 'file with media type', input: { type: 'File/v1', path: './hello.txt', mediaType: 'text/plain' }, bytes: 'hello world\n', mediaType: 'text/plain' },
];

for (const c of byteCases) {
  test(`${c.name} gives the expected bytes and media type, re-openable`, async () => {
    const r = await run(c.input);
    assert.equal(r.mediaType, c.mediaType);
    const first = await bytes(r);
    assert.equal(first.toString('latin1'), c.bytes);
    assert.equal(sha(await bytes(r)), sha(first));
  });
}

test('utf8 text "test" has the digest of the conformance resource', async () => {
  assert.equal(sha(await bytes(await run({ type: 'utf8', text: 'test' }))), '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
});

test('compress: true gzips (re-openable, same digest twice) and adds +gzip', async () => {
  for (const input of [
    { type: 'file', path: 'hello.txt', mediaType: 'text/plain', compress: true },
    { type: 'utf8', text: 'hello world\n', compress: true },
  ]) {
    const r = await run(input);
    assert.equal(r.mediaType, 'text/plain+gzip');
    const a = await bytes(r);
    assert.equal(gunzipSync(a).toString(), 'hello world\n');
    assert.equal(sha(await bytes(r)), sha(a));
  }
});

const invalid: Array<{ name: string; input: TypedSpec; code: string; message: RegExp }> = [
  { name: 'missing file', input: { type: 'file', path: 'nope.txt' }, code: 'NOT_FOUND', message: /input path "nope\.txt".*no such file/ },
  { name: 'file path escaping the base', input: { type: 'file', path: '../outside.txt' }, code: 'UNSAFE_PATH', message: /leaves the base directory/ },
  { name: 'absolute path outside the base', input: { type: 'file', path: '/etc/hostname' }, code: 'UNSAFE_PATH', message: /leaves the base directory/ },
  { name: 'symlink escaping the base', input: { type: 'file', path: 'escape-link' }, code: 'UNSAFE_PATH', message: /resolves through a symlink/ },
  { name: 'file input on a directory', input: { type: 'file', path: 'tree' }, code: 'INVALID_ARGUMENT', message: /not a regular file: use input type dir/ },
  { name: 'dir input on a file', input: { type: 'dir', path: 'hello.txt' }, code: 'INVALID_ARGUMENT', message: /not a directory/ },
  { name: 'dir escaping the base', input: { type: 'dir', path: '..' }, code: 'UNSAFE_PATH', message: /leaves the base directory/ },
  { name: 'file without path', input: { type: 'file' }, code: 'VALIDATION_FAILED', message: /input\.path: is required/ },
  { name: 'utf8 with two contents', input: { type: 'utf8', text: 'a', json: {} }, code: 'VALIDATION_FAILED', message: /exactly one of "text", "json", "formattedJson", "yaml" is required, got text and json/ },
  { name: 'utf8 with no content', input: { type: 'utf8' }, code: 'VALIDATION_FAILED', message: /exactly one of/ },
  { name: 'compress as string', input: { type: 'utf8', text: 'a', compress: 'yes' }, code: 'VALIDATION_FAILED', message: /input\.compress: must be true or false/ },
  { name: 'binary with bad base64', input: { type: 'binary', data: 'not base64!' }, code: 'VALIDATION_FAILED', message: /input\.data: is not valid base64/ },
  { name: 'malformed glob', input: { type: 'dir', path: 'tree', excludeFiles: ['[a'] }, code: 'INVALID_ARGUMENT', message: /malformed glob pattern "\[a"/ },
];

for (const c of invalid) {
  test(`rejects ${c.name} in check and process`, async () => {
    const m = registry.get<InputMethod>('input', c.input.type).impl;
    for (const fn of [() => m.check!(c.input, { baseDir: base }), () => m.process(c.input, { baseDir: base })]) {
      await assert.rejects(fn, (e: unknown) => {
        assert.ok(isOcmError(e), String(e));
        assert.equal(e.code, c.code, e.message);
        assert.match(e.message, c.message);
        return true;
      });
    }
  });
}

test('dir: sorted entries, relative names, include/exclude globs, preserveDir', async () => {
  const all = await tarEntries(await bytes(await run({ type: 'dir', path: 'tree' })));
  assert.deepEqual(
    all.map((e) => `${e.type}:${e.name}`),
    ['file:a.txt', 'file:b.log', 'directory:sub', 'file:sub/c.txt', 'directory:sub/deeper', 'file:sub/deeper/d.txt'],
  );
  assert.equal(all.find((e) => e.name === 'sub/c.txt')?.body, 'c');

  const excl = await tarEntries(await bytes(await run({ type: 'dir', path: 'tree', excludeFiles: ['*.log', 'sub/deeper'] })));
  assert.deepEqual(excl.map((e) => e.name), ['a.txt', 'sub', 'sub/c.txt']);

  // As in Go: a directory that no include pattern selects is not descended into.
  const incl = await tarEntries(await bytes(await run({ type: 'dir', path: 'tree', includeFiles: ['*.txt', 'sub', 'sub/*.txt'] })));
  assert.deepEqual(incl.map((e) => e.name), ['a.txt', 'sub', 'sub/c.txt']);

  const pres = await tarEntries(await bytes(await run({ type: 'dir', path: 'tree/sub', preserveDir: true })));
  assert.deepEqual(pres.map((e) => e.name), ['sub/c.txt', 'sub/deeper', 'sub/deeper/d.txt']);
});

test('dir: reproducible tar has fixed metadata and the same digest across mtime changes', async () => {
  const input = { type: 'dir', path: 'tree', reproducible: true, compress: true };
  const r = await run(input);
  assert.equal(r.mediaType, 'application/x-tar+gzip');
  const first = await bytes(r);
  await utimes(join(base, 'tree', 'a.txt'), new Date('2001-01-01'), new Date('2001-01-01'));
  const second = await bytes(await run(input));
  assert.equal(sha(second), sha(first));
  const entries = await tarEntries(gunzipSync(first));
  assert.ok(entries.every((e) => e.mtime === 0 && e.uid === 0 && (e.mode === 0o644 || e.mode === 0o755)));
});

test('dir: a symlink is stored as a link, its target content is never read', async () => {
  const entries = await tarEntries(await bytes(await run({ type: 'dir', path: '.', includeFiles: ['escape-link'] })));
  assert.deepEqual(entries.map((e) => `${e.type}:${e.name}:${e.body}`), ['symlink:escape-link:']);
});

test('dir: a reader that stops early ends the tar producer cleanly', async () => {
  const big = join(base, 'big');
  await mkdir(big, { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(join(big, `f${i}.bin`), Buffer.alloc(512 * 1024, i));
  const r = await run({ type: 'dir', path: 'big' });
  const s = await r.blob.open();
  for await (const _ of s) break; // destroys the stream after the first chunk
  assert.ok(s.destroyed);
  // Still re-openable and complete afterwards.
  const entries = await tarEntries(await bytes(r));
  assert.equal(entries.length, 20);
});

test('dir: an empty directory gives an empty tar', async () => {
  await mkdir(join(base, 'empty'), { recursive: true });
  const b = await bytes(await run({ type: 'dir', path: 'empty' }));
  assert.deepEqual(await tarEntries(b), []);
  assert.equal(b.length, 1024);
});
