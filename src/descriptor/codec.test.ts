import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYamlStrict } from 'yaml';
import { conformance } from '../testing/fixtures.js';
import { parseDescriptor, serializeDescriptor } from './codec.js';
import type { ComponentDescriptor } from './types.js';

/**
 * Every descriptor in the conformance data. All of them are schema-valid, so all are parsed with
 * validation on (the constructor files under ctf/ are component constructors, not descriptors).
 */
const CONFORMANCE_DESCRIPTORS = [
  'ocm/normalisation/ocmcli-0.27.0-jsonNormalisation-v3/input.yaml',
  'ocm/normalisation/sigstore-signed-jsonNormalisation-v3/component-descriptor-signed.yaml',
  'ocm/normalisation/ocm-v1-norm-test/cd1.yaml',
  'ocm/normalisation/ocm-v1-norm-test/cd2.yaml',
  'ocm/normalisation/ocm-v1-norm-test/cd1-none-access.yaml',
  'ocm/normalisation/ocm-v1-norm-test/complex-provider.yaml',
  'ocm/normalisation/ocm-v1-norm-test/duplicate-resources.yaml',
  'ocm/derived/ocmcli-0.27.0-signed-derived.yaml',
  'ocm/signing/rsa-pkcs1v15-legacy-v1/component-archive/component-descriptor.yaml',
];

function load(rel: string): ComponentDescriptor {
  return parseDescriptor(readFileSync(conformance(rel)), { source: rel });
}

for (const rel of CONFORMANCE_DESCRIPTORS) {
  test(`conformance descriptor parses, validates and round-trips losslessly: ${rel}`, () => {
    const cd = load(rel);
    const yaml = serializeDescriptor(cd, 'yaml');
    const json = serializeDescriptor(cd, 'json');
    assert.deepEqual(parseDescriptor(yaml, { source: 'yaml' }), cd);
    assert.deepEqual(parseDescriptor(json, { source: 'json' }), cd);
    // Writing again is stable byte for byte.
    assert.equal(serializeDescriptor(parseDescriptor(yaml)), yaml);
  });
}

test('ocmcli descriptor: creationTime stays the exact source string, unknown fields gone, lists present', () => {
  const rel = 'ocm/normalisation/ocmcli-0.27.0-jsonNormalisation-v3/input.yaml';
  const cd = load(rel);
  const rawTime = /creationTime: "?([^"\n]+)"?/.exec(readFileSync(conformance(rel), 'utf8'))![1];
  assert.equal(cd.component.creationTime, rawTime);
  assert.equal(typeof cd.component.creationTime, 'string');
  assert.deepEqual(cd.component.componentReferences, []);
  assert.equal(cd.component.provider, 'ocm.software');
  assert.ok(cd.component.resources.length > 1);
});

test('legacy signed archive keeps signatures and the legacy sha256 hash name verbatim', () => {
  const cd = load('ocm/signing/rsa-pkcs1v15-legacy-v1/component-archive/component-descriptor.yaml');
  assert.equal(cd.signatures?.length, 1);
  assert.equal(cd.signatures?.[0]?.name, 'test');
  assert.equal(cd.component.resources[0]?.digest?.hashAlgorithm, 'sha256');
});

test('cd1: unknown label key mergeAlgorithm is dropped (whitelist), access kept as typed object', () => {
  const cd = load('ocm/normalisation/ocm-v1-norm-test/cd1.yaml');
  const label = cd.component.resources[0]?.labels?.[1];
  assert.deepEqual(label, { name: 'label2', value: 'bar', signing: true });
  assert.equal(cd.component.resources[0]?.access['referenceName'], 'vasu1124/introspect:1.0.0');
});

const RICH = `meta:
  schemaVersion: v2
component:
  name: acme.org/rich/thing
  version: v1.2
  provider: acme
  creationTime: "2024-02-29T23:59:59.123+01:00"
  labels:
  - name: acme.org/plain
    value: {"yes": "no", "1.0": "1.0", list: ["true", "null", "2024-01-01", "0o17", "012", "1e3", "~", ""], n: 1.5, b: true, z: null}
    version: v2
    signing: true
    merge:
      algorithm: default
      config: {overwrite: inbound}
  repositoryContexts:
  - type: OCIRegistry
    baseUrl: ghcr.io
    subPath: acme
    componentNameMapping: urlPath
    vendorField: {nested: [1, 2]}
  resources:
  - name: blob
    version: 1.0.0
    type: blob
    relation: local
    access:
      type: acme.org/fancyAccess/v3
      deep: {x: [1, {y: "on"}]}
      url: https://example.com/a?b=c&d=e
    digest:
      hashAlgorithm: SHA-256
      normalisationAlgorithm: genericBlobDigest/v1
      value: abc123
    srcRefs:
    - identitySelector: {name: src}
      labels: [{name: l, value: 1}]
  sources:
  - name: src
    version: 1.0.0
    type: git
    access: {type: gitHub, repoUrl: github.com/acme/x, commit: deadbeef}
  componentReferences:
  - name: dep
    componentName: acme.org/dep
    version: "1.0"
    extraIdentity: {flavour: big}
    digest:
      hashAlgorithm: SHA-256
      normalisationAlgorithm: jsonNormalisation/v3
      value: ff00
signatures:
- name: sig
  digest: {hashAlgorithm: SHA-256, normalisationAlgorithm: jsonNormalisation/v3, value: "0012"}
  signature: {algorithm: RSASSA-PKCS1-V1_5, mediaType: application/vnd.ocm.signature.rsa, value: "1234", issuer: me}
  timestamp: {value: PEM, time: "2024-01-01T00:00:00Z"}
nestedDigests:
- name: acme.org/dep
  version: 1.0.0
  resourceDigests: [{name: r, version: 1.0.0, digest: {hashAlgorithm: SHA-256, normalisationAlgorithm: genericBlobDigest/v1, value: "11"}}]
`;

test('lossless round trip: label version/merge, creationTime, unknown access type, signatures, nestedDigests', () => {
  const cd = parseDescriptor(RICH, { source: 'rich.yaml' });
  assert.equal(cd.component.creationTime, '2024-02-29T23:59:59.123+01:00');
  assert.equal(cd.component.componentReferences[0]?.version, '1.0');
  const label = cd.component.labels?.[0];
  assert.equal(label?.version, 'v2');
  assert.deepEqual(label?.merge, { algorithm: 'default', config: { overwrite: 'inbound' } });
  assert.deepEqual(cd.component.resources[0]?.access, {
    type: 'acme.org/fancyAccess/v3',
    deep: { x: [1, { y: 'on' }] },
    url: 'https://example.com/a?b=c&d=e',
  });
  assert.equal(cd.signatures?.[0]?.signature.issuer, 'me');
  assert.equal(cd.nestedDigests?.length, 1);
  for (const format of ['yaml', 'json'] as const) {
    const text = serializeDescriptor(cd, format);
    assert.deepEqual(parseDescriptor(text, { source: format }), cd, format);
  }
});

test('YAML writer quotes every string a YAML 1.1 or 1.2 reader would retype', () => {
  const yaml = serializeDescriptor(parseDescriptor(RICH));
  for (const s of ['"yes"', '"no"', '"1.0"', '"true"', '"null"', '"2024-01-01"', '"0o17"', '"012"', '"1e3"', '"~"', '"on"']) {
    assert.ok(yaml.includes(s), `expected ${s} quoted in:\n${yaml}`);
  }
  // A YAML 1.1 reader sees the same strings.
  const as11 = parseYamlStrict(yaml, { version: '1.1' }) as { component: { labels: { value: { list: unknown[] } }[] } };
  assert.deepEqual(as11.component.labels[0]!.value.list, ['true', 'null', '2024-01-01', '0o17', '012', '1e3', '~', '']);
});

test('writer: meta v2, keys sorted at every level, empty lists as [], compact JSON', () => {
  const cd = parseDescriptor(
    'component: {version: 1.0.0, name: acme.org/x, provider: p, resources: null, componentReferences: null, repositoryContexts: null, sources: null}\nmeta: {schemaVersion: v2}\n',
  );
  const yaml = serializeDescriptor(cd);
  assert.equal(
    yaml,
    'component:\n  componentReferences: []\n  name: acme.org/x\n  provider: p\n  repositoryContexts: []\n  resources: []\n  sources: []\n  version: 1.0.0\nmeta:\n  schemaVersion: v2\n',
  );
  assert.equal(
    serializeDescriptor(cd, 'json'),
    '{"component":{"componentReferences":[],"name":"acme.org/x","provider":"p","repositoryContexts":[],"resources":[],"sources":[],"version":"1.0.0"},"meta":{"schemaVersion":"v2"}}',
  );
});

test('JSON input and Uint8Array input with BOM give the same model as YAML', () => {
  const fromYaml = parseDescriptor(RICH);
  const json = JSON.stringify(parseYamlStrict(RICH));
  assert.deepEqual(parseDescriptor(json), fromYaml);
  const bytes = new TextEncoder().encode('\ufeff' + RICH);
  assert.deepEqual(parseDescriptor(bytes), fromYaml);
});

const V3 = `apiVersion: ocm.software/v3alpha1
kind: ComponentVersion
metadata:
  name: acme.org/demo
  version: 1.0.0
  provider:
    name: acme
    labels:
    - name: team
      value: blue
  labels:
  - name: purpose
    value: demo
  creationTime: "2024-05-01T10:00:00Z"
repositoryContexts: []
spec:
  resources:
  - name: chart
    version: 1.0.0
    type: helmChart
    relation: external
    access: {type: helm, helmRepository: https://charts.acme.org, helmChart: "demo:1.0.0"}
  sources:
  - name: repo
    version: 1.0.0
    type: git
    access: {type: gitHub, repoUrl: github.com/acme/demo, commit: abc}
  references:
  - name: base
    componentName: acme.org/base
    version: 2.0.0
`;

test('v3alpha1 converts to the v2 model (provider object → JSON string, references → componentReferences)', () => {
  for (const api of ['ocm.software/v3alpha1', 'ocm.gardener.cloud/v3alpha1']) {
    const cd = parseDescriptor(V3.replace('ocm.software/v3alpha1', api), { source: 'v3.yaml' });
    assert.deepEqual(cd.meta, { schemaVersion: 'v2' });
    assert.equal(cd.component.name, 'acme.org/demo');
    assert.equal(cd.component.provider, '{"name":"acme","labels":[{"name":"team","value":"blue"}]}');
    assert.deepEqual(cd.component.labels, [{ name: 'purpose', value: 'demo' }]);
    assert.equal(cd.component.creationTime, '2024-05-01T10:00:00Z');
    assert.deepEqual(cd.component.componentReferences, [{ name: 'base', componentName: 'acme.org/base', version: '2.0.0' }]);
    assert.equal(cd.component.resources[0]?.access['helmChart'], 'demo:1.0.0');
    assert.equal(cd.component.sources[0]?.name, 'repo');
    // Written back only as v2.
    const out = serializeDescriptor(cd);
    assert.match(out, /^meta:\n {2}schemaVersion: v2$/m);
    assert.doesNotMatch(out, /apiVersion|references:/);
    assert.deepEqual(parseDescriptor(out), cd);
  }
  const plain = parseDescriptor(V3.replace(/ {2}provider:\n {4}name: acme\n {4}labels:\n {4}- name: team\n {6}value: blue\n/, '  provider: {name: acme}\n'));
  assert.equal(plain.component.provider, 'acme');
});

test('validate:false accepts schema-invalid but well-typed input', () => {
  const bad = 'meta: {schemaVersion: v2}\ncomponent: {name: acme.org, version: latest, provider: p, resources: [{name: A, type: blob, access: {type: none}}]}\n';
  assert.throws(() => parseDescriptor(bad), { code: 'VALIDATION_FAILED' });
  const cd = parseDescriptor(bad, { validate: false });
  assert.equal(cd.component.resources[0]?.name, 'A');
});

test('v2-written JSON: null lists, null labels and an all-empty reference digest read as absent', () => {
  const json = JSON.stringify({
    meta: { schemaVersion: 'v2' },
    component: {
      name: 'acme.org/x', version: '1.0.0', provider: 'acme', labels: null, repositoryContexts: null, sources: null,
      resources: null,
      componentReferences: [{ name: 'dep', version: '1.0.0', componentName: 'acme.org/dep', labels: null, extraIdentity: null, digest: { hashAlgorithm: '', normalisationAlgorithm: '', value: '' } }],
    },
  });
  const cd = parseDescriptor(json);
  assert.deepEqual(cd.component.componentReferences, [{ name: 'dep', version: '1.0.0', componentName: 'acme.org/dep' }]);
  assert.deepEqual([cd.component.resources, cd.component.sources, cd.component.repositoryContexts], [[], [], []]);
  assert.equal(cd.component.labels, undefined);
});
