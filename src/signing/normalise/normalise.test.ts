import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { conformance } from '../../testing/fixtures.js';
import { loadDescriptor } from '../support.test.js';
import { canonicalJson, entryFormat, normalise, normalisedDigest } from './index.js';

const N = 'ocm/normalisation/ocm-v1-norm-test/';

// Every vector of conformance/ocm/normalisation/, with its expected bytes and SHA-256 (README table).
const vectors: { input: string; algorithm: string; expected: string; sha256: string }[] = [
  { input: `${N}cd1.yaml`, algorithm: 'jsonNormalisation/v1', expected: `${N}cd1.jsonNormalisation-v1.txt`, sha256: '60656e9a2301f21f6f2b6d61e68541f4b3fc0d352ceed26245f948594452622c' },
  { input: `${N}cd2.yaml`, algorithm: 'jsonNormalisation/v1', expected: `${N}cd1.jsonNormalisation-v1.txt`, sha256: '60656e9a2301f21f6f2b6d61e68541f4b3fc0d352ceed26245f948594452622c' },
  { input: `${N}cd1.yaml`, algorithm: 'jsonNormalisation/v2', expected: `${N}cd1.jsonNormalisation-v2.json`, sha256: '2f8f029e45f0e158b7e9a5fa6523be0ae9ab9eadc6f3c7f2e37ebb6d8e79bb01' },
  { input: `${N}cd2.yaml`, algorithm: 'jsonNormalisation/v2', expected: `${N}cd1.jsonNormalisation-v2.json`, sha256: '2f8f029e45f0e158b7e9a5fa6523be0ae9ab9eadc6f3c7f2e37ebb6d8e79bb01' },
  { input: `${N}cd1.yaml`, algorithm: 'jsonNormalisation/v3', expected: `${N}cd1.jsonNormalisation-v3.json`, sha256: '2f8f029e45f0e158b7e9a5fa6523be0ae9ab9eadc6f3c7f2e37ebb6d8e79bb01' },
  { input: `${N}cd2.yaml`, algorithm: 'jsonNormalisation/v3', expected: `${N}cd1.jsonNormalisation-v3.json`, sha256: '2f8f029e45f0e158b7e9a5fa6523be0ae9ab9eadc6f3c7f2e37ebb6d8e79bb01' },
  { input: `${N}cd1.yaml`, algorithm: 'jsonNormalisation/v4alpha1', expected: `${N}cd1.jsonNormalisation-v3.json`, sha256: '2f8f029e45f0e158b7e9a5fa6523be0ae9ab9eadc6f3c7f2e37ebb6d8e79bb01' },
  { input: `${N}duplicate-resources.yaml`, algorithm: 'jsonNormalisation/v1', expected: `${N}duplicate-resources.jsonNormalisation-v1.txt`, sha256: '1aba27b657bd46d0c59bc6e29d85ffa3af9a7dc6ab6858058fe60851c5ecd49a' },
  { input: `${N}duplicate-resources.yaml`, algorithm: 'jsonNormalisation/v2', expected: `${N}duplicate-resources.jsonNormalisation-v2.json`, sha256: '9bbfceab2aeef7f62f64bf5d9a7d0b3f083c571114f9af156a0306b07669cd75' },
  { input: `${N}duplicate-resources.yaml`, algorithm: 'jsonNormalisation/v3', expected: `${N}duplicate-resources.jsonNormalisation-v3.json`, sha256: '460b948cb95b702e831d7e1d54590d6229b572c0fbe5123a6b35ddbb23d3e883' },
  { input: `${N}duplicate-resources.yaml`, algorithm: 'jsonNormalisation/v4alpha1', expected: `${N}duplicate-resources.jsonNormalisation-v3.json`, sha256: '460b948cb95b702e831d7e1d54590d6229b572c0fbe5123a6b35ddbb23d3e883' },
  { input: `${N}cd1-none-access.yaml`, algorithm: 'jsonNormalisation/v1', expected: `${N}cd1-none-access.jsonNormalisation-v1.txt`, sha256: 'ff3972a8ae51cb46bcd6b3d074c17f735d07dbee0f6c063a639659343290a35a' },
  { input: `${N}cd1-none-access.yaml`, algorithm: 'jsonNormalisation/v2', expected: `${N}cd1-none-access.jsonNormalisation-v2.json`, sha256: '069fb24a291788bb94e3e308057ebf58e467988393764e3e8860184b32806c63' },
  { input: `${N}cd1-none-access.yaml`, algorithm: 'jsonNormalisation/v3', expected: `${N}cd1-none-access.jsonNormalisation-v2.json`, sha256: '069fb24a291788bb94e3e308057ebf58e467988393764e3e8860184b32806c63' },
  { input: `${N}complex-provider.yaml`, algorithm: 'jsonNormalisation/v1', expected: `${N}complex-provider.jsonNormalisation-v1.txt`, sha256: '51c2957210074a282b62e95c997fef8a07279acb85a6e03ec8bfee00726bb0ca' },
  { input: `${N}complex-provider.yaml`, algorithm: 'jsonNormalisation/v2', expected: `${N}complex-provider.jsonNormalisation-v2.json`, sha256: '929988755c6257f5f4a4d3d146d4013070e79030b27c2d3ca1f060232034ad86' },
  { input: `${N}complex-provider.yaml`, algorithm: 'jsonNormalisation/v3', expected: `${N}complex-provider.jsonNormalisation-v2.json`, sha256: '929988755c6257f5f4a4d3d146d4013070e79030b27c2d3ca1f060232034ad86' },
  {
    input: 'ocm/normalisation/ocmcli-0.27.0-jsonNormalisation-v3/input.yaml',
    algorithm: 'jsonNormalisation/v3',
    expected: 'ocm/normalisation/ocmcli-0.27.0-jsonNormalisation-v3/expected.json',
    sha256: 'c97c44a4dca9fc85d4e634a617b662f72935cc202d52a46aa9367c937458b35b',
  },
  {
    input: 'ocm/normalisation/ocmcli-0.27.0-jsonNormalisation-v3/input.yaml',
    algorithm: 'jsonNormalisation/v4alpha1',
    expected: 'ocm/normalisation/ocmcli-0.27.0-jsonNormalisation-v3/expected.json',
    sha256: 'c97c44a4dca9fc85d4e634a617b662f72935cc202d52a46aa9367c937458b35b',
  },
];

for (const v of vectors) {
  const name = `${v.input.split('/').pop()} with ${v.algorithm} gives the bytes of ${v.expected.split('/').pop()}`;
  test(name, async () => {
    const cd = await loadDescriptor(conformance(v.input));
    const expected = readFileSync(conformance(v.expected));
    const actual = Buffer.from(normalise(cd, v.algorithm), 'utf8');
    assert.equal(actual.toString('utf8'), expected.toString('utf8'));
    assert.ok(actual.equals(expected));
    assert.equal(createHash('sha256').update(expected).digest('hex'), v.sha256, 'fixture hash as in the README table');
    assert.equal(normalisedDigest(cd, v.algorithm).value, v.sha256);
  });
}

test('the v1-signed sigstore descriptor normalises (v3) to its recorded signature digest', async () => {
  const cd = await loadDescriptor(conformance('ocm/normalisation/sigstore-signed-jsonNormalisation-v3/component-descriptor-signed.yaml'));
  assert.equal(normalisedDigest(cd, 'jsonNormalisation/v3').value, '20d12fdfaf1f57c970d63608db4eaeaab934527ab19caac9b4518502d31c5d72');
  assert.equal(cd.signatures?.[0]?.digest.value, '20d12fdfaf1f57c970d63608db4eaeaab934527ab19caac9b4518502d31c5d72');
});

test('the historic v1 entry form of the legacy archive hashes to its recorded digest b06e4c1a…', async () => {
  const cd = await loadDescriptor(conformance('ocm/signing/rsa-pkcs1v15-legacy-v1/component-archive/component-descriptor.yaml'));
  assert.equal(normalisedDigest(cd, 'jsonNormalisation/v1', 'sha256', { historic: true }).value, 'b06e4c1a68274b876661f9fbf1f100526d289745f6ee847bfef702007b5b14cf');
  // today's v1 form forces "extraIdentity":null and differs (documented caveat)
  assert.notEqual(normalisedDigest(cd, 'jsonNormalisation/v1', 'sha256').value, 'b06e4c1a68274b876661f9fbf1f100526d289745f6ee847bfef702007b5b14cf');
});

test('JCS: keys sorted by UTF-16 code units, ES6 numbers, minimal escapes, no whitespace', () => {
  const cases: [unknown, string][] = [
    [{ b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    [{ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4 }, '{"\\r":2,"1":4,"€":1,"😀":3}'],
    [1e21, '1e+21'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
    [-0, '0'],
    ['\u0001<&>\u2028', '"\\u0001<&>\u2028"'],
  ];
  for (const [input, out] of cases) assert.equal(canonicalJson(input), out);
});

test('entry format: objects become sorted single-key lists; Go HTML escaping', () => {
  const cases: [unknown, string][] = [
    [{ b: 1, a: 2 }, '[{"a":2},{"b":1}]'],
    [{ a: { y: null, x: [1, { z: 'q' }] } }, '[{"a":[{"x":[1,[{"z":"q"}]]},{"y":null}]}]'],
    ['a<b>&c\u2028', '"a\\u003cb\\u003e\\u0026c\\u2028"'],
    [{}, '[]'],
  ];
  for (const [input, out] of cases) assert.equal(entryFormat(input), out);
});

test('normalisation rules: unknown fields dropped, creationTime kept, lists present, none access loses digest, reference labels unfiltered', () => {
  const cd = {
    meta: { schemaVersion: 'v2' },
    component: {
      name: 'acme.org/x',
      version: '1.0.0',
      provider: 'acme',
      creationTime: '2024-01-02T03:04:05Z',
      bogus: 'dropped',
      repositoryContexts: [{ type: 'OCIRegistry', baseUrl: 'ghcr.io' }],
      resources: [
        { name: 'r1', version: '1', type: 'blob', relation: 'local', access: { type: 'none' }, digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: 'aa' }, extra: 1 },
        { name: 'r2', type: 'blob', access: { type: 'localBlob' }, digest: { hashAlgorithm: 'NO-DIGEST', normalisationAlgorithm: 'EXCLUDE-FROM-SIGNATURE', value: 'NO-DIGEST' }, labels: [{ name: 'l', value: 1 }] },
      ],
      sources: null,
      componentReferences: [{ name: 'ref', componentName: 'acme.org/y', version: '2', labels: [{ name: 'nosign', value: { b: 2, a: 1 } }] }],
    },
    signatures: [{ name: 's' }],
  } as never;
  assert.equal(
    normalise(cd, 'jsonNormalisation/v3'),
    '{"component":{"componentReferences":[{"componentName":"acme.org/y","labels":[{"name":"nosign","value":{"a":1,"b":2}}],"name":"ref","version":"2"}],' +
      '"creationTime":"2024-01-02T03:04:05Z","name":"acme.org/x","provider":{"name":"acme"},' +
      '"resources":[{"name":"r1","relation":"local","type":"blob","version":"1"},' +
      '{"digest":{"hashAlgorithm":"NO-DIGEST","normalisationAlgorithm":"EXCLUDE-FROM-SIGNATURE","value":"NO-DIGEST"},"name":"r2","type":"blob","version":""}],' +
      '"sources":[],"version":"1.0.0"}}',
  );
});

test('unknown normalisation algorithms are rejected with UNSUPPORTED naming the supported ones', () => {
  assert.throws(() => normalise({ meta: { schemaVersion: 'v2' }, component: {} } as never, 'jsonNormalisation/v9'), (e: Error & { code?: string }) => e.code === 'UNSUPPORTED' && /jsonNormalisation\/v3/.test(e.message));
});
