import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { conformance } from '../testing/fixtures.js';
import { isOcmError } from '../runtime/errors.js';
import { TypeRegistry } from '../runtime/type-registry.js';
import {
  formatComponentReference,
  guessRepositoryType,
  OCI_TYPE,
  parseComponentReference,
  parseRepositoryReference,
  repositoryKindOf,
} from './reference.js';

interface Case {
  input: string;
  type?: string;
  baseUrl?: string;
  subPath?: string;
  filePath?: string;
  prefix?: string;
  component?: string;
  version?: string;
  digest?: string;
  expectedError?: boolean;
}

const table = JSON.parse(readFileSync(conformance('ocm-config/component-reference-cases.json'), 'utf8')) as {
  cases: Case[];
  repoTypeGuess: { input: string; isOCI: boolean }[];
  ociRepositoryEmptyRefInvalid: string[];
};

for (const c of table.cases) {
  test(`component reference ${c.expectedError ? 'rejects' : 'parses'} ${c.input}`, () => {
    if (c.expectedError) {
      assert.throws(() => parseComponentReference(c.input), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'));
      return;
    }
    const ref = parseComponentReference(c.input);
    assert.equal(ref.type, c.type);
    assert.equal(ref.repository.type, c.type);
    assert.equal(ref.prefix, c.prefix);
    assert.equal(ref.component, c.component);
    assert.equal(ref.version, c.version);
    assert.equal(ref.digest, c.digest);
    if (c.filePath !== undefined) {
      assert.deepEqual(ref.repository, { type: c.type, filePath: c.filePath });
    } else {
      assert.deepEqual(ref.repository, { type: c.type, baseUrl: c.baseUrl, ...(c.subPath ? { subPath: c.subPath } : {}) });
    }
  });
}

for (const g of table.repoTypeGuess) {
  test(`repository type guess: ${g.input} is ${g.isOCI ? 'OCI' : 'CTF'}`, () => {
    assert.equal(guessRepositoryType(g.input) === OCI_TYPE, g.isOCI);
    assert.equal(parseRepositoryReference(g.input).type === OCI_TYPE, g.isOCI);
  });
}

for (const bad of table.ociRepositoryEmptyRefInvalid) {
  test(`empty repository reference "${bad}" is rejected`, () => {
    assert.throws(() => parseRepositoryReference(bad), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'));
  });
}

test('repository references typed on the command line', () => {
  const cases: [string, object][] = [
    ['./ctf', { type: 'CommonTransportFormat/v1', filePath: './ctf' }],
    ['transport-archive', { type: 'CommonTransportFormat/v1', filePath: 'transport-archive' }],
    ['ctf::my.path', { type: 'ctf', filePath: 'my.path' }],
    ['archive.tgz', { type: 'CommonTransportFormat/v1', filePath: 'archive.tgz' }],
    ['file://./local/path', { type: 'CommonTransportFormat/v1', filePath: './local/path' }],
    ['file:///abs/ctf.tar', { type: 'CommonTransportFormat/v1', filePath: '/abs/ctf.tar' }],
    ['http://127.0.0.1:5000/prefix', { type: 'OCIRepository/v1', baseUrl: 'http://127.0.0.1:5000', subPath: 'prefix' }],
    ['127.0.0.1:5000', { type: 'OCIRepository/v1', baseUrl: '127.0.0.1:5000' }],
    ['ghcr.io/org', { type: 'OCIRepository/v1', baseUrl: 'ghcr.io', subPath: 'org' }],
    ['OCIRegistry::ghcr.io/org/', { type: 'OCIRegistry', baseUrl: 'ghcr.io', subPath: 'org' }],
  ];
  for (const [input, spec] of cases) assert.deepEqual(parseRepositoryReference(input), spec, input);
});

test('unknown repository type token is unsupported and named', () => {
  assert.throws(
    () => parseRepositoryReference('s3::bucket/x'),
    (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /"s3"/.test((e as Error).message),
  );
});

test('component reference errors name the problem', () => {
  const cases: [string, RegExp][] = [
    ['./ctf', /expected <repository>\/\/<component>/],
    ['./ctf//Acme.org/x:1.0.0', /component name "Acme.org\/x"/],
    ['./ctf//acme.org/x:1.0.0@nodigest', /digest "nodigest"/],
    ['./ctf//', /no component name/],
    // The `::` of a (broken) IPv6 literal is not a `type::` separator: a bad host, not an unknown type.
    ['http://[::1/x//acme.org/c:1.0.0', /"http:\/\/\[::1\/x" has no valid registry host/],
    ['oci::http://[::1/x//acme.org/c:1.0.0', /no valid registry host/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseComponentReference(input), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT') && re.test((e as Error).message), input);
  }
});

test('non-semver versions pass with ignoreSemverCompatibility', () => {
  const ref = parseComponentReference('./ctf//acme.org/x:build-7', { ignoreSemverCompatibility: true });
  assert.equal(ref.version, 'build-7');
});

test('type tokens map to repository kinds', () => {
  for (const t of ['ctf', 'CTF', 'CommonTransportFormat', 'CommonTransportFormat/v1', 'ctf/v1']) assert.equal(repositoryKindOf(t), 'ctf', t);
  for (const t of ['oci', 'OCI', 'OCIRepository/v1', 'OCIRegistry', 'ociRegistry/v1']) assert.equal(repositoryKindOf(t), 'oci', t);
  assert.equal(repositoryKindOf('helm'), undefined);
});

test('a parsed reference renders back like Go Ref.String()', () => {
  const cases = [
    'oci::github.com/open-component-model/ocm/component-descriptors/ocm.software/ocmcli:0.23.0',
    'ctf::./my-path//ocm.software/ocmcli:0.23.0',
    'OCIRepository/v1::ghcr.io/x//acme.org/a:1.0.0@sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270',
  ];
  for (const c of cases) assert.equal(formatComponentReference(parseComponentReference(c)), c);
});

// `<type>::<value>//component` for a registered repository type other than CTF/OCI (a plugin's).
const pluginTypes = (() => {
  const r = new TypeRegistry();
  const impl = { consumerIdentity: () => undefined, open: async () => { throw new Error('not opened'); } };
  const reg = (type: string, schema: Record<string, unknown>) => r.register('repository', { type, schema, source: 'plugin "t"', yields: true, impl });
  reg('FileStore/v1alpha1', { type: 'object', required: ['type', 'path'], properties: { type: { type: 'string' }, path: { type: 'string' } } });
  reg('Bucket/v1', { type: 'object', required: ['bucket', 'region'], properties: { bucket: { type: 'string' }, region: { type: 'string' } } });
  return r;
})();

const pluginCases: { input: string; repository?: Record<string, unknown>; component?: string; version?: string; error?: RegExp; code?: string }[] = [
  { input: 'FileStore/v1alpha1::/tmp/store//acme.org/app:1.0', repository: { type: 'FileStore/v1alpha1', path: '/tmp/store' }, component: 'acme.org/app', version: '1.0' },
  { input: 'filestore/v1alpha1::./rel//acme.org/app', repository: { type: 'FileStore/v1alpha1', path: './rel' }, component: 'acme.org/app' },
  { input: 'FileStore/v1alpha1::{"path":"/a:b"}//acme.org/app:2.0.0', repository: { type: 'FileStore/v1alpha1', path: '/a:b' }, component: 'acme.org/app', version: '2.0.0' },
  { input: 'Bucket::{bucket: b, region: eu}//acme.org/app:1.0.0', repository: { type: 'Bucket/v1', bucket: 'b', region: 'eu' }, component: 'acme.org/app', version: '1.0.0' },
  { input: 'Bucket::b//acme.org/app:1.0.0', error: /no single required string field.*--repository-spec/, code: 'INVALID_ARGUMENT' },
  { input: 'Bucket::[1, 2]//acme.org/app', error: /.*/, code: 'INVALID_ARGUMENT' },
  { input: 'Bucket::{bucket: [//acme.org/app', error: /repository spec in reference/, code: 'INVALID_ARGUMENT' },
  { input: 'Unknown/v1::x//acme.org/app', error: /unknown repository type "Unknown\/v1".*--repository-spec/, code: 'UNSUPPORTED' },
];

for (const c of pluginCases) {
  test(`plugin repository reference ${c.error ? 'rejects' : 'parses'} ${c.input}`, () => {
    if (c.error) {
      assert.throws(() => parseComponentReference(c.input, { registry: pluginTypes }), (e: unknown) => isOcmError(e, c.code as 'INVALID_ARGUMENT') && c.error!.test((e as Error).message) && !(e as Error).message.includes('\n'));
      return;
    }
    const ref = parseComponentReference(c.input, { registry: pluginTypes });
    assert.deepEqual(ref.repository, c.repository);
    assert.equal(ref.component, c.component);
    assert.equal(ref.version, c.version);
  });
}
