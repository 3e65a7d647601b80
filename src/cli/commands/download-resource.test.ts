import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { conformance, tempDir } from '../../testing/fixtures.js';

const COMPONENT = 'github.com/acme.org/helloworld';
const TEST_SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const base = conformance('ocm/ctf/v1-0.20.0-localblob');
const ctfs = [
  { variant: 'directory', path: join(base, 'transport-archive') },
  { variant: 'tar', path: join(base, 'transport-archive.tar') },
  { variant: 'tgz', path: join(base, 'transport-archive.tar.gz') },
];

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const { variant, path } of ctfs) {
  test(`download resource streams the exact bytes from the Go ${variant} CTF to stdout`, async () => {
    const r = await runOcm(['download', 'resource', `${path}//${COMPONENT}:1.0.0`, '--identity', 'name=resource', '-O', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdoutBytes, Buffer.from('test'));
    assert.equal(sha256(r.stdoutBytes), TEST_SHA256);
  });

  test(`download resource writes the resource of the Go ${variant} CTF to a file`, async (t) => {
    const dir = await tempDir();
    t.after(() => dir.dispose());
    const r = await runOcm(
      ['download', 'resource', `${path}//${COMPONENT}:1.0.0`, '--identity', 'name=resource,version=6.7.1', '-O', 'out/data.bin'],
      { cwd: dir.path },
    );
    assert.equal(r.code, 0, r.stderr);
    const bytes = await readFile(join(dir.path, 'out', 'data.bin'));
    assert.equal(sha256(bytes), TEST_SHA256);
    assert.deepEqual(await readdir(join(dir.path, 'out')), ['data.bin'], 'no temp files left behind');
  });
}

test('download resource without -O writes a file named like the resource into the current directory', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const r = await runOcm(['download', 'resources', `${ctfs[0]!.path}//${COMPONENT}`, '--identity', 'name=resource'], { cwd: dir.path });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await readFile(join(dir.path, 'resource'))).toString(), 'test');
});

test('download resource with an identity that matches nothing lists the available identities', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const r = await runOcm(['download', 'resource', `${ctfs[0]!.path}//${COMPONENT}:1.0.0`, '--identity', 'name=other', '-O', 'x'], { cwd: dir.path });
  assert.equal(r.code, 3);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /no resource with identity name=other .*available: name=resource.*\[NOT_FOUND\]/);
  assert.deepEqual(await readdir(dir.path), []);
});

test('download resource with a malformed --identity is an INVALID_ARGUMENT', async () => {
  const r = await runOcm(['download', 'resource', `${ctfs[0]!.path}//${COMPONENT}:1.0.0`, '--identity', 'resource', '-O', '-']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /expected key=value.*\[INVALID_ARGUMENT\]/);
  assert.equal(r.stdout, '');
});

test('download resource with an identity matching several resources asks for more attributes and lists them', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    join(dir.path, 'c.yaml'),
    [
      'components:',
      '  - name: acme.org/multi',
      '    version: 1.0.0',
      '    provider: {name: acme.org}',
      '    resources:',
      '      - {name: image, version: 1.0.0, type: blob, input: {type: utf8, text: one}}',
      '      - {name: image, version: 2.0.0, type: blob, input: {type: utf8, text: two}}',
      '',
    ].join('\n'),
  );
  const add = await runOcm(['add', 'cv', '-c', 'c.yaml', '-r', 'ctf'], { cwd: dir.path });
  assert.equal(add.code, 0, add.stderr);
  const ref = 'ctf//acme.org/multi:1.0.0';
  const ambiguous = await runOcm(['download', 'resource', ref, '--identity', 'name=image', '-O', 'out'], { cwd: dir.path });
  assert.equal(ambiguous.code, 2);
  assert.equal(ambiguous.stderr.trimEnd().split('\n').length, 1, ambiguous.stderr);
  assert.match(ambiguous.stderr, /matches 2 resources.*name=image,version=1\.0\.0; name=image,version=2\.0\.0.*\[INVALID_ARGUMENT\]/);
  const second = await runOcm(['download', 'resource', ref, '--identity', 'name=image,version=2.0.0', '-O', '-'], { cwd: dir.path });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'two');
});
