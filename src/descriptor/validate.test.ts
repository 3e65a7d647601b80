import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError, ValidationError } from '../runtime/errors.js';
import { parseDescriptor } from './codec.js';
import { validateDescriptor } from './validate.js';

const RES = (name = 'res', version = '1.0.0', extra = '') =>
  `  - name: ${name}\n    version: ${version}\n    type: blob\n    relation: local\n    access: {type: localBlob, localReference: "sha256:ab", mediaType: text/plain}\n${extra}`;

function doc(opts: { name?: string; version?: string; resources?: string; head?: string } = {}): string {
  return (
    (opts.head ?? 'meta:\n  schemaVersion: v2\n') +
    `component:\n  name: ${opts.name ?? 'acme.org/x'}\n  version: ${opts.version ?? '1.0.0'}\n  provider: acme\n` +
    '  repositoryContexts: null\n  sources: null\n  componentReferences: null\n' +
    `  resources:\n${opts.resources ?? RES()}`
  );
}

interface BadCase {
  readonly name: string;
  readonly input: string;
  readonly code: string;
  /** Every fragment must appear in the one-line message. */
  readonly says: readonly string[];
}

const BAD: readonly BadCase[] = [
  { name: 'malformed YAML', input: 'meta: [\n  x: : :\n', code: 'PARSE_ERROR', says: ['cd.yaml', 'malformed YAML', 'line 2'] },
  { name: 'malformed JSON', input: '{"meta": {"schemaVersion": "v2"},, }', code: 'PARSE_ERROR', says: ['cd.yaml', 'malformed JSON', 'line 1, column 34'] },
  { name: 'invalid UTF-8', input: '\u0000', code: 'PARSE_ERROR', says: ['UTF-8'] },
  { name: 'missing component.name', input: doc().replace('  name: acme.org/x\n', ''), code: 'VALIDATION_FAILED', says: ['component.name', 'is required'] },
  { name: 'component name without path', input: doc({ name: 'acme.org' }), code: 'VALIDATION_FAILED', says: ['component.name "acme.org"', 'must match'] },
  { name: 'non-semver version', input: doc({ version: 'latest' }), code: 'VALIDATION_FAILED', says: ['component.version "latest"', 'must match'] },
  { name: 'unquoted version 1.0', input: doc({ version: '1.0' }), code: 'VALIDATION_FAILED', says: ['component.version', 'must be a string', 'quote it', '"1.0"'] },
  { name: 'unquoted resource version 2.10', input: doc({ resources: RES('res', '2.10') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].version', '"2.10"'] },
  {
    name: 'duplicate resource identities',
    input: doc({ resources: RES('res', '1.0.0') + RES('res', '1.0.0') }),
    code: 'VALIDATION_FAILED',
    says: ['component.resources[1]', 'component.resources[0]', 'unique'],
  },
  {
    name: 'same name and extra identity after the version rule',
    input: doc({ resources: RES('res', '1.0.0', '    extraIdentity: {os: linux}\n') + RES('res', '1.0.0', '    extraIdentity: {os: linux}\n') }),
    code: 'VALIDATION_FAILED',
    says: ['component.resources[1]', '"os":"linux"'],
  },
  { name: 'extraIdentity with name', input: doc({ resources: RES('res', '1.0.0', '    extraIdentity: {name: x}\n') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].extraIdentity', '"name"'] },
  { name: 'resource name A', input: doc({ resources: RES('A') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].name "A"'] },
  { name: 'resource name with upper case', input: doc({ resources: RES('Abc') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].name "Abc"', 'must match'] },
  { name: 'label version v1alpha1', input: doc({ resources: RES('res', '1.0.0', '    labels: [{name: a, value: 1, version: v1alpha1}]\n') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].labels[0].version "v1alpha1"', '^v[0-9]+$'] },
  { name: 'duplicate label names', input: doc({ resources: RES('res', '1.0.0', '    labels: [{name: a, value: 1}, {name: a, value: 2}]\n') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].labels[1].name "a"', 'unique'] },
  { name: 'both meta and apiVersion', input: doc({ head: 'apiVersion: ocm.software/v3alpha1\nmeta:\n  schemaVersion: v2\n' }), code: 'VALIDATION_FAILED', says: ['meta.schemaVersion', 'apiVersion', 'only one'] },
  { name: 'no meta at all', input: doc({ head: '' }), code: 'VALIDATION_FAILED', says: ['meta.schemaVersion', 'is required'] },
  { name: 'unsupported schema version', input: doc({ head: 'meta:\n  schemaVersion: v1\n' }), code: 'UNSUPPORTED', says: ['"v1"', 'not supported'] },
  { name: 'relation not local/external', input: doc({ resources: RES().replace('relation: local', 'relation: mine') }), code: 'VALIDATION_FAILED', says: ['relation "mine"', '"local", "external"'] },
  { name: 'signing as string', input: doc({ resources: RES('res', '1.0.0', '    labels: [{name: a, value: 1, signing: "true"}]\n') }), code: 'VALIDATION_FAILED', says: ['signing', 'boolean'] },
  { name: 'creationTime not RFC 3339', input: doc().replace('  provider: acme\n', '  provider: acme\n  creationTime: yesterday\n'), code: 'VALIDATION_FAILED', says: ['component.creationTime "yesterday"', 'RFC 3339'] },
  { name: 'incomplete digest', input: doc({ resources: RES('res', '1.0.0', '    digest: {hashAlgorithm: SHA-256, value: ab}\n') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].digest.normalisationAlgorithm', 'is required'] },
  { name: 'upper-case extraIdentity key', input: doc({ resources: RES('res', '1.0.0', '    extraIdentity: {OS: linux}\n') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].extraIdentity', '"OS"'] },
  { name: 'resource without access', input: doc({ resources: '  - {name: res, version: 1.0.0, type: blob, relation: local}\n' }), code: 'VALIDATION_FAILED', says: ['component.resources[0].access', 'is required'] },
  { name: 'empty document', input: '# nothing\n', code: 'VALIDATION_FAILED', says: ['is empty'] },
  { name: 'provider as a map in v2', input: doc().replace('provider: acme', 'provider: {name: acme}'), code: 'VALIDATION_FAILED', says: ['component.provider', 'JSON string'] },
  { name: 'two YAML documents', input: doc() + '---\n' + doc(), code: 'PARSE_ERROR', says: ['malformed YAML'] },
  { name: 'duplicate YAML keys', input: doc().replace('provider: acme', 'provider: acme\n  provider: other'), code: 'PARSE_ERROR', says: ['malformed YAML', 'line'] },
  { name: 'extraIdentity value not a string', input: doc({ resources: RES('res', '1.0.0', '    extraIdentity: {arch: 386}\n') }), code: 'VALIDATION_FAILED', says: ['component.resources[0].extraIdentity.arch', 'quote it', '"386"'] },
  { name: 'document is a list', input: '- a\n- b\n', code: 'VALIDATION_FAILED', says: ['must be a map'] },
  { name: 'alias bomb', input: 'a: &a [x]\n' + Array.from({ length: 120 }, (_, i) => `k${i}: *a`).join('\n') + '\n', code: 'LIMIT_EXCEEDED', says: ['aliases'] },
];

for (const c of BAD) {
  test(`bad input is rejected with ${c.code}: ${c.name}`, () => {
    const input = c.name === 'invalid UTF-8' ? new Uint8Array([0x6d, 0xff, 0xfe]) : c.input;
    assert.throws(
      () => parseDescriptor(input, { source: 'cd.yaml' }),
      (e: unknown) => {
        assert.ok(isOcmError(e), String(e));
        assert.equal(e.code, c.code, e.message);
        assert.ok(e.message.startsWith('cd.yaml: '), e.message);
        assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
        for (const s of c.says) assert.ok(e.message.includes(s), `"${s}" not in: ${e.message}`);
        return true;
      },
    );
  });
}

test('implicit version makes same-named resources unique (valid)', () => {
  const cd = parseDescriptor(doc({ resources: RES('image', '1.0.0') + RES('image', '2.0.0') }));
  assert.equal(cd.component.resources.length, 2);
});

test('a resource and a source may share an identity (uniqueness is per kind)', () => {
  const input = doc().replace('  sources: null\n', '  sources:\n  - {name: res, version: 1.0.0, type: git, access: {type: none}}\n');
  assert.equal(parseDescriptor(input).component.sources.length, 1);
});

test('validateDescriptor checks a programmatically built model and names the source', () => {
  const cd = parseDescriptor(doc());
  assert.doesNotThrow(() => validateDescriptor(cd));
  const broken = { ...cd, component: { ...cd.component, provider: '' } };
  assert.throws(() => validateDescriptor(broken, 'built'), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.message, 'built: component.provider: must not be empty');
    assert.deepEqual(e.paths, ['component.provider']);
    return true;
  });
});
