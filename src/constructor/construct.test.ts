import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openCtf } from '../ctf/index.js';
import type { ComponentDescriptor } from '../descriptor/types.js';
import { OciComponentRepository } from '../repository/oci-mapping/index.js';
import type { ComponentVersionRepository } from '../repository/types.js';
import { isOcmError } from '../runtime/errors.js';
import { conformance, tempDir } from '../testing/fixtures.js';
import { addComponentVersions } from './construct.js';
import { parseConstructor } from './parse.js';
import type { ConstructProgress } from './types.js';

const TEST_SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

/** A fresh directory CTF (and a base dir for inputs), removed after the test. */
async function setup(t: TestContext): Promise<{ base: string; ctf: string; open(): Promise<ComponentVersionRepository> }> {
  const dir = await tempDir('ocm-ts-construct-');
  t.after(() => dir.dispose());
  const base = join(dir.path, 'base');
  await mkdir(base);
  const ctf = join(dir.path, 'ctf');
  return {
    base,
    ctf,
    async open() {
      const repo = new OciComponentRepository(await openCtf(ctf, { create: true, format: 'directory' }), { closeStore: true });
      t.after(() => repo.close());
      return repo;
    },
  };
}

async function construct(text: string, repo: ComponentVersionRepository, base: string, extra: { overwrite?: boolean; onProgress?: (e: ConstructProgress) => void } = {}) {
  return addComponentVersions(parseConstructor(text, { source: 'constructor.yaml', env: {} }), repo, { baseDir: base, ...extra });
}

async function ctfIsEmpty(ctf: string): Promise<void> {
  const index = JSON.parse(await readFile(join(ctf, 'artifact-index.json'), 'utf8')) as { artifacts?: unknown[] };
  assert.deepEqual(index.artifacts ?? [], []);
  assert.deepEqual(await readdir(join(ctf, 'blobs')), []);
}

/** Drops what legitimately differs between writers: creationTime and access details. */
function comparable(cd: ComponentDescriptor): unknown {
  const { creationTime: _ct, ...component } = cd.component;
  return {
    ...component,
    resources: component.resources.map((r) => ({ ...r, access: { type: r.access.type, localReference: r.access.localReference } })),
  };
}

test('constructs the localblob conformance constructor like the Go tool did', async (t) => {
  const { base, open } = await setup(t);
  const repo = await open();
  const text = await readFile(conformance('ocm/ctf/v1-0.20.0-localblob/component-constructor.yaml'), 'utf8');
  const [cd] = await addComponentVersions(parseConstructor(text, { env: {} }), repo, { baseDir: base });
  const r = cd!.component.resources[0]!;
  assert.deepEqual(r.digest, { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: TEST_SHA });
  assert.deepEqual(r.access, { type: 'localBlob', localReference: `sha256:${TEST_SHA}`, mediaType: 'text/plain' });
  assert.equal(cd!.component.creationTime, undefined);

  const stored = await repo.getComponentVersion('github.com/acme.org/helloworld', '1.0.0');
  const goStore = await openCtf(conformance('ocm/ctf/v1-0.20.0-localblob/transport-archive'), { readOnly: true });
  const goRepo = new OciComponentRepository(goStore, { closeStore: true });
  t.after(() => goRepo.close());
  const goCd = await goRepo.getComponentVersion('github.com/acme.org/helloworld', '1.0.0');
  assert.deepEqual(comparable(stored), comparable(goCd));

  const blob = await repo.getLocalBlob('github.com/acme.org/helloworld', '1.0.0', r.access);
  const chunks: Buffer[] = [];
  for await (const c of blob.stream) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'test');
});

test('file input with env substitution: the conformance multi-component constructor', async (t) => {
  const { base, open } = await setup(t);
  await mkdir(join(base, 'deploy'));
  await writeFile(join(base, 'deploy', 'rgd.yaml'), 'kind: ResourceGraphDefinition\n');
  const text = await readFile(conformance('ocm-config/constructor-multi-with-references-envsubst.yaml'), 'utf8');
  const spec = parseConstructor(text, { env: { NAME: 'acme.org/sovereign/product', VERSION: '0.1.0' } });
  const [cd] = await addComponentVersions(spec, await open(), { baseDir: base });
  const r = cd!.component.resources[0]!;
  const hex = createHash('sha256').update('kind: ResourceGraphDefinition\n').digest('hex');
  assert.equal(r.access.mediaType, 'application/vnd.cncf.kro.resourcegraphdefinition.v1+yaml');
  assert.equal(r.digest?.value, hex);
  assert.equal(r.version, '0.1.0');
  assert.deepEqual(cd!.component.componentReferences.map((x) => `${x.name}=${x.componentName}:${x.version}`), [
    'notes=acme.org/sovereign/notes:0.1.0',
    'postgres=acme.org/sovereign/postgres:0.1.0',
  ]);
});

test('access resources are kept with legacy type names and pinned digests; creationTime kept byte-exact', async (t) => {
  const { base, open } = await setup(t);
  const [cd] = await construct(
    `
name: acme.org/ext
version: 1.0.0
provider: {name: acme.org}
creationTime: "2025-03-18T09:44:42+01:00"
resources:
  - name: image
    type: ociImage
    version: 6.7.1
    access: {type: OCIImage/v1, imageReference: ghcr.io/x/podinfo:6.7.1}
    digest: {hashAlgorithm: SHA-256, normalisationAlgorithm: ociArtifactDigest/v1, value: ${'ab'.repeat(32)}}
  - name: layer
    type: blob
    access: {type: OCIImageLayer/v1, ref: ghcr.io/x/y, digest: "sha256:${'cd'.repeat(32)}", size: 3}
sources:
  - name: src
    type: git
    access: {type: gitHub, repoUrl: github.com/x/y, commit: abc}
`,
    await open(),
    base,
  );
  const c = cd!.component;
  assert.equal(c.creationTime, '2025-03-18T09:44:42+01:00');
  assert.deepEqual(c.resources[0]!.access, { type: 'ociArtifact', imageReference: 'ghcr.io/x/podinfo:6.7.1' });
  assert.equal(c.resources[0]!.digest?.normalisationAlgorithm, 'ociArtifactDigest/v1');
  assert.equal(c.resources[0]!.relation, 'external');
  assert.equal(c.resources[1]!.access.type, 'ociBlob');
  assert.equal(c.resources[1]!.version, '1.0.0');
  assert.equal(c.sources[0]!.access.type, 'gitHub');
});

test('components are added in dependency order and sources with inputs become local blobs', async (t) => {
  const { base, open } = await setup(t);
  const events: string[] = [];
  const cds = await construct(
    `
components:
  - name: acme.org/app
    version: 1.0.0
    provider: {name: acme.org}
    componentReferences:
      - {name: lib, componentName: acme.org/lib, version: 1.0.0}
  - name: acme.org/lib
    version: 1.0.0
    provider: {name: acme.org}
    sources:
      - name: code
        type: filesystem
        input: {type: binary, data: aGVsbG8=}
`,
    await open(),
    base,
    { onProgress: (e) => events.push(`${e.phase}:${e.component}`) },
  );
  assert.deepEqual(cds.map((c) => c.component.name), ['acme.org/lib', 'acme.org/app']);
  assert.deepEqual(events, [
    'component-start:acme.org/lib',
    'element-done:acme.org/lib',
    'component-done:acme.org/lib',
    'component-start:acme.org/app',
    'component-done:acme.org/app',
  ]);
  const src = cds[0]!.component.sources[0]!;
  assert.equal(src.access.type, 'localBlob');
  assert.equal(src.access.localReference, `sha256:${createHash('sha256').update('hello').digest('hex')}`);
  assert.equal('digest' in src, false);
});

test('a reference cycle inside one file is rejected', async (t) => {
  const { base, open } = await setup(t);
  await assert.rejects(
    construct(
      `
components:
  - {name: acme.org/a, version: '1', provider: {name: x}, componentReferences: [{name: bb, componentName: acme.org/b, version: '1'}]}
  - {name: acme.org/b, version: '1', provider: {name: x}, componentReferences: [{name: aa, componentName: acme.org/a, version: '1'}]}
`,
      await open(),
      base,
    ),
    (e: unknown) => isOcmError(e, 'VALIDATION_FAILED') && /cycle: acme\.org\/a:1 -> acme\.org\/b:1 -> acme\.org\/a:1/.test(e.message),
  );
});

const nothingWritten: Array<{ name: string; text: string; code: string; message: RegExp }> = [
  {
    name: 'a missing input file in a later component',
    text: `
components:
  - name: acme.org/first
    version: 1.0.0
    provider: {name: acme.org}
    resources: [{name: ok, type: blob, input: {type: utf8, text: fine}}]
  - name: acme.org/second
    version: 1.0.0
    provider: {name: acme.org}
    resources:
      - {name: ok, type: blob, input: {type: utf8, text: fine}}
      - {name: data, type: blob, input: {type: file, path: ./missing.bin}}
`,
    code: 'NOT_FOUND',
    message: /^constructor\.yaml: components\[1\]\.resources\[1\] \(resource "data"\): input path "\.\/missing\.bin".*no such file/,
  },
  {
    name: 'an unknown input type',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- {name: ok, type: blob, input: {type: utf8, text: x}}\n- {name: chart, type: helmChart, input: {type: helm, path: x}}\n',
    code: 'UNSUPPORTED',
    message: /component\.resources\[1\] \(resource "chart"\): unknown input type "helm" \(known: File\/v1, Dir\/v1, UTF8\/v1, Binary\/v1/,
  },
  {
    name: 'an input path escaping the base directory',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- {name: ok, type: blob, input: {type: utf8, text: x}}\n- {name: esc, type: blob, input: {type: file, path: ../../etc/passwd}}\n',
    code: 'UNSAFE_PATH',
    message: /component\.resources\[1\] \(resource "esc"\): input path "\.\.\/\.\.\/etc\/passwd" leaves the base directory/,
  },
  {
    name: 'duplicate resource identities',
    text: 'name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- {name: same, type: blob, input: {type: utf8, text: x}}\n- {name: same, type: blob, input: {type: utf8, text: y}}\n',
    code: 'VALIDATION_FAILED',
    message: /identity .* is already used/,
  },
];

for (const c of nothingWritten) {
  test(`${c.name} fails before anything is written to the target`, async (t) => {
    const { base, ctf, open } = await setup(t);
    const repo = await open();
    await assert.rejects(construct(c.text, repo, base), (e: unknown) => {
      assert.ok(isOcmError(e), String(e));
      assert.equal(e.code, c.code, e.message);
      assert.match(e.message, c.message);
      return true;
    });
    await ctfIsEmpty(ctf);
  });
}

test('a localBlob access by reference to a blob the repository lacks fails clearly', async (t) => {
  const { base, open } = await setup(t);
  await assert.rejects(
    construct(
      `name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- {name: lb, type: blob, access: {type: LocalBlob/v1, localReference: "sha256:${'ef'.repeat(32)}", mediaType: text/plain}}\n`,
      await open(),
      base,
    ),
    (e: unknown) => isOcmError(e, 'NOT_FOUND') && /^constructor\.yaml: component \(component acme\.org\/x:1\.0\.0\): local blob sha256:efef/.test(e.message),
  );
});

test('re-running the same constructor is a no-op; a changed one needs overwrite', async (t) => {
  const { base, open } = await setup(t);
  const repo = await open();
  await copyFile(conformance('ocm/ctf/v1-0.20.0-localblob/component-constructor.yaml'), join(base, 'c.yaml'));
  const text = await readFile(join(base, 'c.yaml'), 'utf8');
  await construct(text, repo, base);
  await construct(text, repo, base);
  const changed = text.replace('text: test', 'text: changed');
  await assert.rejects(construct(changed, repo, base), (e: unknown) => isOcmError(e, 'ALREADY_EXISTS'));
  const [cd] = await construct(changed, repo, base, { overwrite: true });
  const stored = await repo.getComponentVersion(cd!.component.name, cd!.component.version);
  assert.equal(stored.component.resources[0]!.digest?.value, createHash('sha256').update('changed').digest('hex'));
});

test('a directory input is stored as a tar whose digest is the resource digest', async (t) => {
  const { base, open } = await setup(t);
  await mkdir(join(base, 'content'));
  await writeFile(join(base, 'content', 'x.txt'), 'x');
  const text = 'name: acme.org/dir\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- {name: tree, type: directoryTree, input: {type: dir, path: content, reproducible: true, compress: true}}\n';
  const repo = await open();
  const [cd] = await construct(text, repo, base);
  const r = cd!.component.resources[0]!;
  assert.equal(r.access.mediaType, 'application/x-tar+gzip');
  const blob = await repo.getLocalBlob('acme.org/dir', '1.0.0', r.access);
  const hash = createHash('sha256');
  for await (const c of blob.stream) hash.update(c as Buffer);
  assert.equal(hash.digest('hex'), r.digest?.value);
});

test('an aborted signal stops construction with ABORTED and writes nothing', async (t) => {
  const { base, ctf, open } = await setup(t);
  const repo = await open();
  const ac = new AbortController();
  ac.abort();
  const spec = parseConstructor('name: acme.org/x\nversion: 1.0.0\nprovider: {name: a}\nresources:\n- {name: ok, type: blob, input: {type: utf8, text: x}}\n', { env: {} });
  await assert.rejects(addComponentVersions(spec, repo, { baseDir: base, signal: ac.signal }), (e: unknown) => isOcmError(e, 'ABORTED'));
  await ctfIsEmpty(ctf);
});
