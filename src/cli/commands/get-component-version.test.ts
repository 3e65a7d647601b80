import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runOcm } from '../../testing/cli.js';
import { conformance, tempDir } from '../../testing/fixtures.js';

const COMPONENT = 'github.com/acme.org/helloworld';
const base = conformance('ocm/ctf/v1-0.20.0-localblob');
/** The three CTFs the Go tools wrote (they differ only in creationTime). */
const ctfs = [
  { variant: 'directory', path: join(base, 'transport-archive') },
  { variant: 'tar', path: join(base, 'transport-archive.tar') },
  { variant: 'tgz', path: join(base, 'transport-archive.tar.gz') },
];

interface Descriptor {
  meta: { schemaVersion: string };
  component: {
    name: string;
    version: string;
    provider: string;
    resources: { name: string; access: Record<string, string>; digest: Record<string, string> }[];
  };
}

function assertGoDescriptor(cd: Descriptor): void {
  assert.equal(cd.meta.schemaVersion, 'v2');
  assert.equal(cd.component.name, COMPONENT);
  assert.equal(cd.component.version, '1.0.0');
  assert.equal(cd.component.provider, 'acme.org');
  assert.equal(cd.component.resources.length, 1);
  const r = cd.component.resources[0]!;
  assert.equal(r.name, 'resource');
  assert.deepEqual(r.access, {
    type: 'localBlob',
    localReference: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    mediaType: 'application/octet-stream',
  });
  assert.deepEqual(r.digest, {
    hashAlgorithm: 'SHA-256',
    normalisationAlgorithm: 'genericBlobDigest/v1',
    value: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  });
}

for (const { variant, path } of ctfs) {
  test(`get cv reads the Go ${variant} CTF in every output format`, async () => {
    const ref = `${path}//${COMPONENT}:1.0.0`;
    const yaml = await runOcm(['get', 'cv', ref, '-o', 'yaml']);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.equal(yaml.stderr, '');
    assertGoDescriptor(parseYaml(yaml.stdout) as Descriptor);

    const json = await runOcm(['get', 'cv', ref, '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const cd = JSON.parse(json.stdout) as Descriptor;
    assertGoDescriptor(cd);
    assert.deepEqual(cd, parseYaml(yaml.stdout), 'yaml and json show the same descriptor');

    const table = await runOcm(['get', 'cv', ref]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.deepEqual(lines[0]!.split(/\s+/), ['COMPONENT', 'VERSION', 'PROVIDER']);
    assert.deepEqual(lines[1]!.split(/\s+/), [COMPONENT, '1.0.0', 'acme.org']);
    assert.equal(lines.length, 2);

    const tree = await runOcm(['get', 'cv', ref, '-o', 'tree']);
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(tree.stdout, /^NESTING\s+COMPONENT\s+VERSION\s+PROVIDER\s+IDENTITY\n/);
    assert.match(tree.stdout, new RegExp(`└─ ●\\s+${COMPONENT.replaceAll('.', '\\.')}\\s+1\\.0\\.0\\s+acme\\.org\\s+name=${COMPONENT.replaceAll('.', '\\.')},version=1\\.0\\.0`));
    assert.match(tree.stdout, /└─ ▪\s+resource resource \(something\)\s+6\.7\.1\s+name=resource\n/);
  });
}

for (const { variant, path } of ctfs.slice(1)) {
  test(`get cv reads a ${variant} CTF copied to a name without extension (format detected by content)`, async (t) => {
    const dir = await tempDir();
    t.after(() => dir.dispose());
    const copy = join(dir.path, 'archive-without-extension');
    await copyFile(path, copy);
    const r = await runOcm(['get', 'cv', `ctf::${copy}//${COMPONENT}:1.0.0`, '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    assertGoDescriptor(parseYaml(r.stdout) as Descriptor);
    // Plain paths are detected as CTFs too (absolute path → CTF).
    const plain = await runOcm(['get', 'cv', `${copy}//${COMPONENT}`], { cwd: dir.path });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /1\.0\.0\s+acme\.org/);
  });
}

test('get cv without a version lists every version of the component', async () => {
  const r = await runOcm(['get', 'cvs', `${ctfs[0]!.path}//${COMPONENT}`, '-o', 'table']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/)[1]), ['1.0.0']);
});

test('get cv of a missing version fails with NOT_FOUND on one line', async () => {
  const r = await runOcm(['get', 'cv', `${ctfs[0]!.path}//${COMPONENT}:9.9.9`]);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /9\.9\.9.*\[NOT_FOUND\]/);
});

test('get cv rejects a malformed reference with INVALID_ARGUMENT and names it', async () => {
  const r = await runOcm(['get', 'cv', './ctf//acme.org/x:not-a-version!']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /version "not-a-version!" is not a semantic version.*\[INVALID_ARGUMENT\]/);
});

test('get cv of a CTF path that does not exist fails with NOT_FOUND and creates nothing', async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const r = await runOcm(['get', 'cv', `./missing-ctf//acme.org/x:1.0.0`], { cwd: dir.path });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /missing-ctf.*\[NOT_FOUND\]/);
  const { readdir } = await import('node:fs/promises');
  assert.deepEqual(await readdir(dir.path), []);
});
