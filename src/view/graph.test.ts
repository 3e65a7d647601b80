import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import type { ComponentDescriptor } from '../descriptor/types.js';
import { openRepository } from '../repository/open.js';
import { ErrorCode, isOcmError } from '../runtime/errors.js';
import { parsePublicKey } from '../signing/rsa.js';
import { tempDir } from '../testing/fixtures.js';
import { VIEW_APP, VIEW_BASE, VIEW_DEFAULT_IMAGE, VIEW_LIB, writeViewFixture } from '../testing/view-fixture.js';
import { buildViewGraph, locationOf, parentsFirst } from './graph.js';
import type { ViewEdge } from './model.js';

const key = (c: { component: string; version: string }) => `${c.component}:${c.version}`;

async function withFixture(fn: (f: Awaited<ReturnType<typeof writeViewFixture>>) => Promise<void>): Promise<void> {
  const dir = await tempDir('ocm-view-');
  try {
    await fn(await writeViewFixture(join(dir.path, 'ctf')));
  } finally {
    await dir.dispose();
  }
}

test('recursive graph: every version once, parents first, artifacts with location, size and media type, signatures not checked', () =>
  withFixture(async (f) => {
    const repo = await f.open();
    try {
      const g = await buildViewGraph(repo, VIEW_APP.component, VIEW_APP.version, { recursive: true, now: new Date('2026-01-01T00:00:00Z') });
      assert.deepEqual(g.roots, [key(VIEW_APP)]);
      assert.deepEqual(g.nodes.map((n) => n.key), [key(VIEW_APP), key(VIEW_LIB), key(VIEW_BASE)]);
      assert.deepEqual(g.edges.map((e) => [e.from, e.to, e.name]), [
        [key(VIEW_APP), key(VIEW_LIB), 'lib'],
        [key(VIEW_LIB), key(VIEW_BASE), 'base'],
      ]);
      assert.ok(g.edges.every((e) => e.digest?.normalisationAlgorithm === 'jsonNormalisation/v3'));
      assert.equal(g.generatedAt, '2026-01-01T00:00:00.000Z');
      assert.match(g.generator, /^ocm-ts \d/);

      const app = g.nodes[0]!;
      assert.equal(app.provider, 'acme.org');
      assert.equal(app.repository, f.path);
      assert.equal(app.creationTime, '2026-03-04T05:06:07Z');
      assert.deepEqual(app.repositoryContexts, [{ type: 'OCIRepository/v1', baseUrl: 'ghcr.io', subPath: 'acme/ocm' }]);
      assert.deepEqual(app.labels.map((l) => [l.name, l.signing === true]), [['acme.org/release', true], ['acme.org/notes', false]]);
      const config = app.resources.find((r) => r.name === 'config')!;
      const blob = f.blobs.find((b) => b.resource === 'config')!;
      assert.equal(config.location, `localBlob ${blob.localReference} in ${f.path}`);
      assert.equal(config.size, blob.size);
      assert.equal(config.mediaType, 'application/json');
      assert.equal(config.relation, 'local');
      assert.deepEqual(config.extraIdentity, { platform: 'linux' });
      assert.equal(config.digest?.value, blob.sha256);
      const image = app.resources.find((r) => r.name === 'image')!;
      assert.equal(image.location, VIEW_DEFAULT_IMAGE);
      assert.equal(image.size, undefined, 'an external image is not read');
      assert.equal(app.sources[0]!.kind, 'source');
      assert.equal(app.sources[0]!.location, `https://github.com/acme/app-src @ ${'b'.repeat(40)}`);

      for (const n of g.nodes) {
        assert.equal(n.error, undefined);
        assert.equal(n.signatures.length, 1);
        assert.deepEqual([n.signatures[0]!.name, n.signatures[0]!.state], ['acme', 'not-checked']);
        assert.equal(n.signatures[0]!.algorithm, 'RSASSA-PKCS1-V1_5');
      }
      const base = g.nodes[2]!;
      assert.deepEqual(base.resources.map((r) => [r.name, r.size]), f.blobs.filter((b) => b.component === VIEW_BASE.component).map((b) => [b.resource, b.size]));
    } finally {
      await repo.close();
    }
  }));

test('without --recursive only the root is shown, without edges', () =>
  withFixture(async (f) => {
    const repo = await f.open();
    try {
      const g = await buildViewGraph(repo, VIEW_APP.component, VIEW_APP.version);
      assert.deepEqual(g.nodes.map((n) => n.key), [key(VIEW_APP)]);
      assert.deepEqual(g.edges, []);
    } finally {
      await repo.close();
    }
  }));

test('verify with the right key: every signature verified', () =>
  withFixture(async (f) => {
    const repo = await f.open();
    try {
      const g = await buildViewGraph(repo, VIEW_APP.component, VIEW_APP.version, { recursive: true, verify: { signature: 'acme', publicKey: f.publicKey } });
      assert.deepEqual(g.nodes.map((n) => n.signatures.map((s) => [s.state, s.detail])), [[['verified', undefined]], [['verified', undefined]], [['verified', undefined]]]);
    } finally {
      await repo.close();
    }
  }));

test('tampered resource: its version and the versions above it fail with a detail naming the resource', () =>
  withFixture(async (f) => {
    await f.tamper(VIEW_BASE.component, 'license');
    const repo = await f.open();
    try {
      const g = await buildViewGraph(repo, VIEW_APP.component, VIEW_APP.version, { recursive: true, verify: { publicKey: f.publicKey } });
      for (const n of g.nodes) {
        const s = n.signatures[0]!;
        assert.equal(s.state, 'failed', n.key);
        assert.match(s.detail!, /resource "license" of acme\.org\/view\/base.*does not match/, n.key);
        assert.doesNotMatch(s.detail!, /\n/);
      }
    } finally {
      await repo.close();
    }
  }));

test('wrong key: failed, saying the signature does not verify; other signature names stay not-checked', () =>
  withFixture(async (f) => {
    const other = parsePublicKey(createPublicKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey).export({ type: 'spki', format: 'pem' }).toString());
    const repo = await f.open();
    try {
      const g = await buildViewGraph(repo, VIEW_APP.component, VIEW_APP.version, { verify: { publicKey: other } });
      assert.equal(g.nodes[0]!.signatures[0]!.state, 'failed');
      assert.match(g.nodes[0]!.signatures[0]!.detail!, /signature "acme" of acme\.org\/view\/app:1\.0\.0 .*does not verify/);
      const named = await buildViewGraph(repo, VIEW_APP.component, VIEW_APP.version, { verify: { signature: 'someone-else', publicKey: other } });
      assert.equal(named.nodes[0]!.signatures[0]!.state, 'not-checked');
      const keyless = await buildViewGraph(repo, VIEW_APP.component, VIEW_APP.version, { verify: {} });
      assert.equal(keyless.nodes[0]!.signatures[0]!.state, 'not-checked');
    } finally {
      await repo.close();
    }
  }));

async function unsignedCtf(dir: string, cds: { name: string; version: string; refs: [string, string, string][] }[]) {
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: dir }, { create: true });
  for (const c of cds) {
    const cd: ComponentDescriptor = {
      meta: { schemaVersion: 'v2' },
      component: {
        name: c.name,
        version: c.version,
        provider: '{"name":"acme.org","labels":[{"name":"x","value":1}]}',
        repositoryContexts: [],
        resources: [],
        sources: [],
        componentReferences: c.refs.map(([name, componentName, version]) => ({ name, componentName, version })),
      },
    };
    await repo.addComponentVersion(cd);
  }
  return repo;
}

test('missing referenced version becomes a node with an error; a cycle ends; resolvers are asked after the repository', async () => {
  const dir = await tempDir('ocm-view-');
  const repos = [];
  try {
    const main = await unsignedCtf(join(dir.path, 'main'), [
      { name: 'acme.org/a', version: '1.0.0', refs: [['to-b', 'acme.org/b', '1.0.0'], ['gone', 'acme.org/gone', '9.9.9'], ['elsewhere', 'acme.org/x', '1.0.0']] },
      { name: 'acme.org/b', version: '1.0.0', refs: [['back-to-a', 'acme.org/a', '1.0.0']] },
    ]);
    repos.push(main);
    const other = await unsignedCtf(join(dir.path, 'other'), [{ name: 'acme.org/x', version: '1.0.0', refs: [] }]);
    repos.push(other);
    const g = await buildViewGraph(main, 'acme.org/a', '1.0.0', { recursive: true, resolvers: [other] });
    assert.deepEqual(g.nodes.map((n) => n.key), ['acme.org/a:1.0.0', 'acme.org/b:1.0.0', 'acme.org/gone:9.9.9', 'acme.org/x:1.0.0']);
    assert.equal(g.nodes[0]!.provider, 'acme.org', 'a provider with labels is shown by its name');
    const gone = g.nodes[2]!;
    assert.match(gone.error!, /not found in .*main, .*other/);
    assert.deepEqual([gone.resources, gone.signatures], [[], []]);
    assert.equal(g.nodes[3]!.repository, join(dir.path, 'other'));
    assert.ok(g.edges.some((e) => e.from === 'acme.org/b:1.0.0' && e.to === 'acme.org/a:1.0.0' && e.name === 'back-to-a'));
    assert.equal(g.edges.length, 4);
  } finally {
    for (const r of repos) await r.close();
    await dir.dispose();
  }
});

test('a root that does not exist fails with NOT_FOUND', () =>
  withFixture(async (f) => {
    const repo = await f.open();
    try {
      await assert.rejects(buildViewGraph(repo, VIEW_APP.component, '7.7.7'), (e) => isOcmError(e, ErrorCode.NOT_FOUND));
    } finally {
      await repo.close();
    }
  }));

test('parentsFirst orders every node after all its parents, stable, and survives cycles', () => {
  const e = (from: string, to: string): ViewEdge => ({ from, to, name: to });
  const cases: { name: string; discovery: string[]; edges: ViewEdge[]; want: string[] }[] = [
    { name: 'chain', discovery: ['a', 'b', 'c'], edges: [e('a', 'b'), e('b', 'c')], want: ['a', 'b', 'c'] },
    { name: 'diamond found early', discovery: ['app', 'lib', 'tool'], edges: [e('app', 'lib'), e('app', 'tool'), e('tool', 'lib')], want: ['app', 'tool', 'lib'] },
    { name: 'cycle', discovery: ['a', 'b'], edges: [e('a', 'b'), e('b', 'a')], want: ['a', 'b'] },
    { name: 'self reference', discovery: ['a'], edges: [e('a', 'a')], want: ['a'] },
    { name: 'two roots', discovery: ['r1', 'r2', 'x'], edges: [e('r1', 'x'), e('r2', 'x')], want: ['r1', 'r2', 'x'] },
  ];
  for (const c of cases) assert.deepEqual(parentsFirst(c.discovery, c.edges), c.want, c.name);
});

test('locationOf: one line per access type', () => {
  const cases: [Record<string, unknown> | undefined, string][] = [
    [{ type: 'localBlob', localReference: 'sha256:abc' }, 'localBlob sha256:abc in ./ctf'],
    [{ type: 'ociArtifact/v1', imageReference: 'ghcr.io/acme/app:1.0@sha256:ff' }, 'ghcr.io/acme/app:1.0@sha256:ff'],
    [{ type: 'helm/v1', helmRepository: 'https://charts.acme.org', helmChart: 'app:1.0.0' }, 'https://charts.acme.org app:1.0.0'],
    [{ type: 's3', bucket: 'b', key: 'k/x.tgz' }, 's3://b/k/x.tgz'],
    [{ type: 'none' }, 'no content (none access)'],
    [{ type: 'wget/v1', url: 'https://acme.org/x.tgz' }, 'wget/v1 https://acme.org/x.tgz'],
    [{ type: 'Custom/v9' }, 'Custom/v9'],
    [undefined, 'no access'],
  ];
  for (const [access, want] of cases) assert.equal(locationOf(access as never, './ctf'), want);
});
