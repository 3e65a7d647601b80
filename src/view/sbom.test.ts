/**
 * CycloneDX 1.6 and SPDX 2.3 exports (issue 17): both validate against the official JSON schemas
 * (test/fixtures/sbom-schemas, see its README), hashes round-trip exactly, purls follow purl-spec,
 * and output is deterministic with fixed options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../testing/fixtures.js';
import { HEX, sbomGraph } from '../testing/view-fixture-sbom.js';
import { OcmError } from '../runtime/errors.js';
import { toCycloneDx } from './cyclonedx.js';
import { toSpdx } from './spdx.js';
import { genericPurl, ociPurl } from './sbom-common.js';
import type { ViewGraph } from './model.js';

const schemaDir = join(repoRoot, 'test', 'fixtures', 'sbom-schemas');
const schema = (f: string) => JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) as Record<string, unknown>;

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };
interface AjvLike {
  addSchema(s: unknown): AjvLike;
  addFormat(name: string, f: RegExp | true): AjvLike;
  compile(s: unknown): Validate;
}

/** Every `format` a schema uses (ajv-formats is no dependency: formats are registered here). */
function formatsOf(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const x of node) formatsOf(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'format' && typeof v === 'string') out.add(v);
      else formatsOf(v, out);
    }
  }
  return out;
}

// RFC 3339 date-time: the one format our output must get right; other formats (iri-reference,
// idn-email, …) are for fields we do not write and are accepted as is.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function validator(main: string, refs: string[]): Validate {
  const Ajv = (createRequire(import.meta.url)('ajv') as { default: new (o: object) => AjvLike }).default;
  // strict off: the CycloneDX schema uses annotation keywords ajv does not know (meta:enum, deprecated).
  const ajv = new Ajv({ strict: false, allErrors: true });
  const schemas = [main, ...refs].map(schema);
  for (const f of new Set(schemas.flatMap((s) => [...formatsOf(s)]))) ajv.addFormat(f, f === 'date-time' ? DATE_TIME : true);
  for (const s of schemas.slice(1)) ajv.addSchema(s);
  return ajv.compile(schemas[0]);
}

const SERIAL = 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79';
const NS = 'https://example.invalid/spdx/acme-app-1.0.0-3e671687-395b-41f5-a30f-a58921a69b79';
const cdx = (g: ViewGraph = sbomGraph) => toCycloneDx(g, { serialNumber: SERIAL, timestamp: '2025-01-02T03:04:05Z' });
const spdx = (g: ViewGraph = sbomGraph) => toSpdx(g, { documentNamespace: NS, created: '2025-01-02T03:04:05.678Z' });

type J = Record<string, any>;
function allComponents(bom: J): J[] {
  const out: J[] = [];
  const walk = (c: J) => {
    out.push(c);
    for (const n of c['components'] ?? []) walk(n);
  };
  if (bom['metadata']['component']) walk(bom['metadata']['component']);
  for (const c of bom['components']) walk(c);
  return out;
}

test('CycloneDX of a three-component graph validates against bom-1.6.schema.json', () => {
  const validate = validator('bom-1.6.schema.json', ['spdx.schema.json', 'jsf-0.82.schema.json']);
  const bom = JSON.parse(JSON.stringify(cdx()));
  assert.ok(validate(bom), JSON.stringify(validate.errors, null, 2));
  assert.equal(bom.bomFormat, 'CycloneDX');
  assert.equal(bom.specVersion, '1.6');
  assert.equal(bom.metadata.component['bom-ref'], 'acme.org/app:1.0.0');
  assert.deepEqual(bom.components.map((c: J) => c['bom-ref']), ['acme.org/lib:2.0.0', 'acme.org/db:3.1.0']);
});

test('CycloneDX validation catches a broken BOM (the schema is really applied)', () => {
  const validate = validator('bom-1.6.schema.json', ['spdx.schema.json', 'jsf-0.82.schema.json']);
  const bom = JSON.parse(JSON.stringify(cdx()));
  bom.components[0].hashes = [{ alg: 'SHA-256', content: 'not-hex' }];
  assert.equal(validate(bom), false);
});

test('SPDX of a three-component graph validates against spdx-schema.json (2.3)', () => {
  const validate = validator('spdx-schema.json', []);
  const doc = JSON.parse(JSON.stringify(spdx()));
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  assert.equal(doc.creationInfo.created, '2025-01-02T03:04:05Z');
  assert.deepEqual(doc.creationInfo.creators, ['Tool: ocm-ts-0.1.0']);
  const bad = { ...doc, packages: [{ SPDXID: 'SPDXRef-x', name: 'x' }] };
  assert.equal(validate(bad), false, 'a package without downloadLocation must be rejected');
});

test('every content digest round-trips exactly as CycloneDX hash and SPDX checksum', () => {
  const bom = cdx() as J;
  const doc = spdx() as J;
  const hashes = new Map(allComponents(bom).filter((c) => c['hashes']).map((c) => [c['name'], c['hashes']]));
  const sums = new Map((doc['packages'] as J[]).filter((p) => p['checksums']).map((p) => [p['name'], p['checksums']]));
  const rows: [string, string, string, string][] = [
    ['app-image', 'SHA-256', 'SHA256', HEX.appImage],
    ['chart', 'SHA-256', 'SHA256', HEX.appChart],
    ['app-src', 'SHA-256', 'SHA256', HEX.appSource],
    ['lib-bin', 'SHA-512', 'SHA512', HEX.libBin],
    ['db-image', 'SHA-256', 'SHA256', HEX.dbImage],
  ];
  for (const [name, cdxAlg, spdxAlg, hex] of rows) {
    assert.deepEqual(hashes.get(name), [{ alg: cdxAlg, content: hex }], name);
    assert.deepEqual(sums.get(name), [{ algorithm: spdxAlg, checksumValue: hex }], name);
  }
  assert.equal(hashes.size, rows.length, 'db-config (jsonNormalisation) has no content hash');
  assert.equal(sums.size, rows.length);
  // Non-content digests are still recorded, as text.
  const cdxText = JSON.stringify(bom);
  const spdxText = JSON.stringify(doc);
  for (const hex of [HEX.dbConfig, HEX.sigApp, HEX.sigLib]) {
    assert.ok(cdxText.includes(hex), `CycloneDX keeps ${hex.slice(0, 8)}`);
    assert.ok(spdxText.includes(hex), `SPDX keeps ${hex.slice(0, 8)}`);
  }
});

test('purls follow purl-spec for OCI and generic artifacts', () => {
  const d = (value: string, alg = 'SHA-256', norm = 'ociArtifactDigest/v1') => ({ hashAlgorithm: alg, normalisationAlgorithm: norm, value });
  const a = 'ab'.repeat(32);
  const rows: [string, string | undefined, ReturnType<typeof d> | undefined, string | undefined][] = [
    ['tag + digest in the reference', `ghcr.io/acme/app:1.0@sha256:${a}`, undefined, `pkg:oci/app@sha256%3A${a}?repository_url=ghcr.io/acme/app&tag=1.0`],
    ['registry with port, nested path, digest from OCM', 'localhost:5000/team/nested/path/db:3.1', d(a), `pkg:oci/db@sha256%3A${a}?repository_url=localhost:5000/team/nested/path/db&tag=3.1`],
    ['digest only, no tag qualifier', `registry.example.com:8443/x/y@sha256:${a}`, undefined, `pkg:oci/y@sha256%3A${a}?repository_url=registry.example.com:8443/x/y`],
    ['docker hub short name', `nginx@sha256:${a}`, undefined, `pkg:oci/nginx@sha256%3A${a}?repository_url=docker.io/library/nginx`],
    ['no digest anywhere: no oci purl', 'ghcr.io/acme/app:1.0', undefined, undefined],
    ['jsonNormalisation digest is no manifest digest', 'ghcr.io/acme/app:1.0', d(a, 'SHA-256', 'jsonNormalisation/v3'), undefined],
    ['unparsable reference', 'Not A Reference', d(a), undefined],
  ];
  for (const [name, ref, digest, want] of rows) assert.equal(ociPurl(ref!, digest), want, name);

  const g: [string, string, string | undefined, ReturnType<typeof d> | undefined, string][] = [
    ['sha256 checksum', 'chart', '1.0.0', d(a, 'SHA-256', 'genericBlobDigest/v1'), `pkg:generic/chart@1.0.0?checksum=sha256:${a}`],
    ['sha512 checksum', 'bin', '2', d(a + a, 'SHA-512', 'genericBlobDigest/v1'), `pkg:generic/bin@2?checksum=sha512:${a}${a}`],
    ['no digest, encoded name', 'my file+x', '1.0 beta', undefined, 'pkg:generic/my%20file%2Bx@1.0%20beta'],
    ['no version', 'x', undefined, undefined, 'pkg:generic/x'],
  ];
  for (const [name, n, v, digest, want] of g) assert.equal(genericPurl(n, v, digest), want, name);
});

test('resources get purls in both formats; component versions depend on their references', () => {
  const bom = cdx() as J;
  const byName = new Map(allComponents(bom).map((c) => [c['name'], c]));
  assert.equal(byName.get('app-image')!['purl'], `pkg:oci/app-image@sha256%3A${HEX.appImage}?repository_url=ghcr.io/acme/apps/app-image&tag=1.0.0`);
  assert.equal(byName.get('app-image')!['type'], 'container');
  assert.equal(byName.get('chart')!['type'], 'file');
  assert.equal(byName.get('db-image')!['purl'], `pkg:oci/db@sha256%3A${HEX.dbImage}?repository_url=localhost:5000/team/nested/path/db&tag=3.1`);
  const deps = new Map((bom['dependencies'] as J[]).map((x) => [x['ref'], x['dependsOn']]));
  assert.deepEqual(deps.get('acme.org/app:1.0.0'), [
    'acme.org/lib:2.0.0',
    'acme.org/db:3.1.0',
    'acme.org/app:1.0.0/resource/app-image',
    'acme.org/app:1.0.0/resource/chart',
  ]);
  assert.deepEqual(deps.get('acme.org/lib:2.0.0'), ['acme.org/db:3.1.0', 'acme.org/lib:2.0.0/resource/lib-bin;architecture=amd64;os=linux']);
  const refs = allComponents(bom).map((c) => c['bom-ref']);
  assert.equal(new Set(refs).size, refs.length, 'bom-refs are unique');
  for (const d of bom['dependencies'] as J[]) for (const r of [d['ref'], ...d['dependsOn']]) assert.ok(refs.includes(r), `dependency ${r} names a component`);

  const doc = spdx() as J;
  const pkg = new Map((doc['packages'] as J[]).map((p) => [p['name'], p]));
  assert.deepEqual(pkg.get('db-image')!['externalRefs'], [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: byName.get('db-image')!['purl'] }]);
  const id = (n: string) => pkg.get(n)!['SPDXID'];
  const rels = (doc['relationships'] as J[]).map((r) => `${r['spdxElementId']} ${r['relationshipType']} ${r['relatedSpdxElement']}`);
  for (const want of [
    `SPDXRef-DOCUMENT DESCRIBES ${id('acme.org/app')}`,
    `${id('acme.org/app')} DEPENDS_ON ${id('acme.org/lib')}`,
    `${id('acme.org/app')} DEPENDS_ON ${id('acme.org/db')}`,
    `${id('acme.org/lib')} DEPENDS_ON ${id('acme.org/db')}`,
    `${id('acme.org/app')} CONTAINS ${id('app-image')}`,
    `${id('acme.org/app')} CONTAINS ${id('app-src')}`,
    `${id('acme.org/lib')} CONTAINS ${id('lib-bin')}`,
  ]) {
    assert.ok(rels.includes(want), want);
  }
  const ids = (doc['packages'] as J[]).map((p) => p['SPDXID'] as string);
  assert.equal(new Set(ids).size, ids.length, 'SPDXIDs are unique');
  for (const i of ids) assert.match(i, /^SPDXRef-[A-Za-z0-9.-]+$/);
  assert.equal(pkg.get('acme.org/lib')!['supplier'], 'Organization: Acme Libraries, Inc.');
  assert.equal(pkg.get('app-src')!['primaryPackagePurpose'], 'SOURCE');
});

test('OCM identity, signature states and labels are carried', () => {
  const bom = cdx() as J;
  const props = (name: string) => new Map(((allComponents(bom).find((c) => c['name'] === name)!['properties'] ?? []) as J[]).map((p) => [p['name'], p['value']]));
  const app = props('acme.org/app');
  assert.equal(app.get('ocm:signature:acme-release'), 'verified');
  assert.equal(app.get('ocm:label:release'), '{"channel":"stable","n":3}');
  assert.equal(props('acme.org/lib').get('ocm:signature:acme-release'), 'failed: resource "lib-bin": digest differs');
  const lib = props('lib-bin');
  assert.equal(lib.get('ocm:resource:name'), 'lib-bin');
  assert.equal(lib.get('ocm:extraIdentity:os'), 'linux');
  assert.equal(lib.get('ocm:component'), 'acme.org/lib');
  assert.equal(props('db-config').get('ocm:digest'), `SHA-256/jsonNormalisation/v3:${HEX.dbConfig}`);

  const doc = spdx() as J;
  const libPkg = (doc['packages'] as J[]).find((p) => p['name'] === 'acme.org/lib')!;
  assert.match(libPkg['comment'], /ocm component version acme\.org\/lib:2\.0\.0/);
  assert.ok((libPkg['annotations'] as J[]).some((a) => /failed: resource "lib-bin": digest differs/.test(a['comment'])));
  const bin = (doc['packages'] as J[]).find((p) => p['name'] === 'lib-bin')!;
  assert.match(bin['comment'], /ocm resource lib-bin;architecture=amd64;os=linux of acme\.org\/lib:2\.0\.0/);
});

test('output is deterministic with fixed options, and unique without them', () => {
  assert.deepEqual(cdx(), cdx());
  assert.deepEqual(spdx(), spdx());
  assert.equal(JSON.stringify(cdx(), null, 2), JSON.stringify(cdx(), null, 2));
  const a = toCycloneDx(sbomGraph) as J;
  const b = toCycloneDx(sbomGraph) as J;
  assert.notEqual(a['serialNumber'], b['serialNumber']);
  assert.match(a['serialNumber'], /^urn:uuid:[0-9a-f-]{36}$/);
  assert.equal(a['metadata']['timestamp'], '2025-01-02T03:04:05.678Z', 'defaults to the graph time');
  assert.notEqual((toSpdx(sbomGraph) as J)['documentNamespace'], (toSpdx(sbomGraph) as J)['documentNamespace']);
});

test('bad options are one clear OcmError', () => {
  const rows: [string, () => unknown, RegExp][] = [
    ['serial', () => toCycloneDx(sbomGraph, { serialNumber: 'abc' }), /serial number "abc"/],
    ['timestamp', () => toCycloneDx(sbomGraph, { timestamp: 'yesterday' }), /timestamp "yesterday"/],
    ['namespace', () => toSpdx(sbomGraph, { documentNamespace: 'https://x/y#z' }), /without '#'/],
    ['created', () => toSpdx(sbomGraph, { created: 'soon' }), /creation time "soon"/],
  ];
  for (const [name, f, re] of rows) assert.throws(f, (e: unknown) => e instanceof OcmError && e.code === 'INVALID_ARGUMENT' && re.test(e.message), name);
});

test('an unreadable referenced version and an empty graph still give valid documents', () => {
  const g: ViewGraph = {
    ...sbomGraph,
    nodes: [...sbomGraph.nodes, { key: 'acme.org/gone:1', component: 'acme.org/gone', version: '1', provider: 'acme.org', labels: [], repositoryContexts: [], repository: 'ghcr.io/acme/ocm', resources: [], sources: [], signatures: [], error: 'not found' }],
    edges: [...sbomGraph.edges, { from: 'acme.org/db:3.1.0', to: 'acme.org/gone:1', name: 'gone' }, { from: 'acme.org/db:3.1.0', to: 'acme.org/missing:9', name: 'missing' }],
  };
  const empty: ViewGraph = { roots: [], nodes: [], edges: [], generatedAt: sbomGraph.generatedAt, generator: sbomGraph.generator };
  const vc = validator('bom-1.6.schema.json', ['spdx.schema.json', 'jsf-0.82.schema.json']);
  const vs = validator('spdx-schema.json', []);
  for (const graph of [g, empty]) {
    const bom = JSON.parse(JSON.stringify(cdx(graph)));
    assert.ok(vc(bom), JSON.stringify(vc.errors));
    const doc = JSON.parse(JSON.stringify(spdx(graph)));
    assert.ok(vs(doc), JSON.stringify(vs.errors));
  }
  const bom = cdx(g) as J;
  const gone = (bom['components'] as J[]).find((c) => c['name'] === 'acme.org/gone')!;
  assert.ok((gone['properties'] as J[]).some((p) => p['name'] === 'ocm:error' && p['value'] === 'not found'));
});
