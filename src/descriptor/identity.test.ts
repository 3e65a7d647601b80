import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { conformance } from '../testing/fixtures.js';
import { parseDescriptor } from './codec.js';
import {
  elementIdentities, findDuplicateIdentity, formatProvider, isRelaxedSemver, isValidComponentName, isValidElementName,
  providerLabels, providerName, selectElements,
} from './identity.js';
import type { ElementMeta } from './types.js';

test('identity = extraIdentity ∪ {name}; version added only for otherwise clashing elements', () => {
  const els: ElementMeta[] = [
    { name: 'image', version: '1.0.0' },
    { name: 'image', version: '2.0.0' },
    { name: 'chart', version: '1.0.0' },
    { name: 'bin', version: '1.0.0', extraIdentity: { os: 'linux' } },
    { name: 'bin', version: '1.0.0', extraIdentity: { os: 'darwin' } },
    { name: 'pinned', version: '3.0.0', extraIdentity: { version: '3' } },
  ];
  assert.deepEqual(elementIdentities(els), [
    { name: 'image', version: '1.0.0' },
    { name: 'image', version: '2.0.0' },
    { name: 'chart' },
    { os: 'linux', name: 'bin' },
    { os: 'darwin', name: 'bin' },
    { version: '3', name: 'pinned' },
  ]);
  assert.equal(findDuplicateIdentity(els), undefined);
});

test('implicit version: the other side is compared with its version key removed', () => {
  // v1 GetIdentity: element 0 has no version key; element 1's extraIdentity minus version equals it.
  const els: ElementMeta[] = [
    { name: 'x', version: '1.0.0' },
    { name: 'x', version: '2.0.0', extraIdentity: { version: '2.0.0' } },
  ];
  assert.deepEqual(elementIdentities(els), [{ name: 'x', version: '1.0.0' }, { version: '2.0.0', name: 'x' }]);
});

test('findDuplicateIdentity reports the later and the earlier index', () => {
  const dup = findDuplicateIdentity([{ name: 'a' }, { name: 'b' }, { name: 'a' }]);
  assert.deepEqual(dup, { index: 2, firstIndex: 0, identity: { name: 'a', version: '' } });
});

test('duplicate-resources conformance input gets version identities', () => {
  const cd = parseDescriptor(readFileSync(conformance('ocm/normalisation/ocm-v1-norm-test/duplicate-resources.yaml')));
  assert.deepEqual(elementIdentities(cd.component.resources), [
    { name: 'image', version: '1.0.0' },
    { name: 'image', version: '2.0.0' },
  ]);
});

test('selectElements: subset match, version also matches the version field', () => {
  const cd = parseDescriptor(readFileSync(conformance('ocm/normalisation/ocmcli-0.27.0-jsonNormalisation-v3/input.yaml')));
  const res = cd.component.resources;
  const ocmcli = res.filter((r) => r.name === 'ocmcli');
  assert.ok(ocmcli.length > 2);
  assert.deepEqual(selectElements(res, { name: 'ocmcli' }), ocmcli);
  const darwin = selectElements(res, { name: 'ocmcli', os: 'darwin' });
  assert.ok(darwin.length >= 1 && darwin.every((r) => r.extraIdentity?.['os'] === 'darwin'));
  assert.equal(selectElements(res, { name: 'ocmcli', os: 'darwin', architecture: 'arm64' }).length, 1);
  // version is not part of these identities but matches the element's version field
  assert.deepEqual(selectElements(res, { name: 'ocmcli', version: '0.27.0' }), ocmcli);
  assert.deepEqual(selectElements(res, { name: 'ocmcli', version: '9.9.9' }), []);
  assert.deepEqual(selectElements(res, { name: 'nope' }), []);
  assert.equal(selectElements(res, {}).length, res.length);
});

test('provider: plain name and JSON-string form with labels', () => {
  const plain = parseDescriptor(readFileSync(conformance('ocm/normalisation/ocm-v1-norm-test/cd1.yaml')));
  assert.equal(providerName(plain), 'internal');
  assert.deepEqual(providerLabels(plain), []);
  const complex = parseDescriptor(readFileSync(conformance('ocm/normalisation/ocm-v1-norm-test/complex-provider.yaml')));
  assert.equal(providerName(complex), 'internal');
  assert.equal(providerName(complex.component), 'internal');
  assert.deepEqual(providerLabels(complex), [
    { name: 'volatile', value: 'prov-value1' },
    { name: 'non-volatile', value: 'prov-value2', signing: true },
  ]);
  assert.equal(formatProvider('internal', providerLabels(complex)), complex.component.provider);
  assert.equal(formatProvider('acme'), 'acme');
});

const NAME_CASES: readonly [string, boolean, boolean, boolean][] = [
  // [value, component name?, relaxed semver?, element name?]
  ['acme.org/x', true, false, false],
  ['github.com/acme.org/helloworld', true, false, false],
  ['ocm.software/ocmcli', true, false, false],
  ['acme.org', false, false, false],
  ['Acme.org/x', false, false, false],
  ['acme.o/x', false, false, false],
  ['1.0.0', false, true, false],
  ['v1', false, true, true],
  ['v1.2', false, true, false],
  ['1.2.3-rc.1+b.5', false, true, false],
  ['01.0.0', false, false, false],
  ['latest', false, false, true],
  ['my-resource', false, false, true],
  ['a_b+c', false, false, true],
  ['A', false, false, false],
  ['x', false, false, false],
  ['-ab', false, false, false],
];

for (const [value, comp, semver, elem] of NAME_CASES) {
  test(`name rules for ${JSON.stringify(value)}: component=${comp} semver=${semver} element=${elem}`, () => {
    assert.equal(isValidComponentName(value), comp);
    assert.equal(isRelaxedSemver(value), semver);
    assert.equal(isValidElementName(value), elem);
  });
}

test('component names longer than 255 characters are invalid', () => {
  assert.equal(isValidComponentName(`acme.org/${'a'.repeat(246)}`), true);
  assert.equal(isValidComponentName(`acme.org/${'a'.repeat(247)}`), false);
});

test('the exported name patterns are exactly the JSON schema patterns', async () => {
  const { componentDescriptorV2Schema: s } = await import('./schema-v2.js');
  const { COMPONENT_NAME_PATTERN, RELAXED_SEMVER_PATTERN, ELEMENT_NAME_PATTERN } = await import('./identity.js');
  assert.equal(COMPONENT_NAME_PATTERN.source, s.$defs.componentName.pattern.replace(/\//g, '\\/'));
  assert.equal(RELAXED_SEMVER_PATTERN.source, s.$defs.relaxedSemver.pattern);
  assert.equal(ELEMENT_NAME_PATTERN.source, s.$defs.identityAttributeKey.pattern);
});
