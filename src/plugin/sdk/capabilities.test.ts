import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fixture } from '../../testing/fixtures.js';
import { TypeIndex, capabilitiesJson } from './capabilities.js';
import type { PluginCapabilityHandlers } from './contracts.js';
import { parseConfig } from './run.js';
import { s, type Infer } from './schema.js';
import { PluginError, credentialsFromHeader } from './wire.js';

const goFixture = (name: string) => readFileSync(fixture(`plugin-sdk/${name}`), 'utf8');
const decodedSchema = JSON.parse(goFixture('plugin-capabilities-jsonSchema-decoded.json')) as Record<string, unknown>;
const unused = () => {
  throw new Error('not called');
};
const dummy = [{ type: 'DummyRepository/v1', schema: s.literal(decodedSchema) }];

test('capabilities serialise a declared type exactly as the Go SDK does (Go fixtures, modulo whitespace)', () => {
  const cases: [string, PluginCapabilityHandlers][] = [
    ['plugin-capabilities-componentversionrepository.json', {
      componentVersionRepository: { types: dummy, getComponentVersion: unused, listComponentVersions: unused, getLocalResource: unused, addComponentVersion: unused, addLocalResource: unused },
    }],
    ['plugin-capabilities-input.json', { inputRepository: { types: dummy, processResource: unused } }],
    ['plugin-capabilities-resource.json', { resourceRepository: { types: dummy, getResource: unused } }],
  ];
  for (const [file, capabilities] of cases) {
    assert.equal(JSON.stringify(capabilitiesJson({ capabilities })), JSON.stringify(JSON.parse(goFixture(file))), file);
  }
});

test('capabilities list fields per capability are Go\'s names, keys sorted, aliases null or a list, supportedConfigTypes only when set', () => {
  const t = (type: string, aliases?: string[]) => [{ type, schema: s.object({ type: s.string() }), ...(aliases ? { aliases } : {}) }];
  const doc = capabilitiesJson({
    supportedConfigTypes: ['my.config.ocm.software/v1'],
    capabilities: {
      componentLister: { types: t('A/v1'), listComponents: unused },
      credentialRepository: { types: t('R/v1'), consumerIdentityTypes: t('OCIRegistry'), consumerIdentity: unused, resolve: unused },
      credentialPlugin: { types: t('V/v1'), consumerIdentity: unused, resolve: unused },
      digestProcessorRepository: { types: t('D/v1', ['d']), processResourceDigest: unused },
      signingHandler: { types: t('S/v1'), signIdentity: unused, verifyIdentity: unused, sign: unused, verify: unused },
      blobTransformer: { types: t('T/v1'), transform: unused },
    },
  }) as { capabilities: Record<string, unknown>[]; supportedConfigTypes: string[] };
  assert.deepEqual(doc.capabilities.map((c) => Object.keys(c)), [
    ['supportedRepositorySpecTypes', 'type'],
    ['supportedConsumerIdentityTypes', 'supportedCredentialRepositorySpecTypes', 'type'],
    ['supportedCredentialPluginTypes', 'type'],
    ['supportedAccessTypes', 'type'],
    ['supportedSigningSpecTypes', 'type'],
    ['supportedTransformerSpecTypes', 'type'],
  ]);
  const digest = (doc.capabilities[3]!.supportedAccessTypes as Record<string, unknown>[])[0]!;
  assert.deepEqual(Object.keys(digest), ['aliases', 'jsonSchema', 'type']);
  assert.deepEqual(digest.aliases, ['d']);
  assert.equal((doc.capabilities[0]!.supportedRepositorySpecTypes as Record<string, unknown>[])[0]!.aliases, null);
  assert.deepEqual(JSON.parse(Buffer.from(digest.jsonSchema as string, 'base64').toString()), {
    $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { type: { type: 'string' } },
  });
  assert.deepEqual(doc.supportedConfigTypes, ['my.config.ocm.software/v1']);
  assert.equal('supportedConfigTypes' in capabilitiesJson({ capabilities: {} }), false);
});

test('the schema builder emits JSON Schema and infers the spec type', () => {
  const Spec = s.object({ type: s.string(), path: s.string({ minLength: 1 }), repeat: s.integer({ minimum: 0 }), tags: s.array(s.string()), labels: s.stringMap() }, { required: ['type', 'path'], additionalProperties: false });
  const value: Infer<typeof Spec> = { type: 'X/v1', path: '/p' }; // repeat/tags/labels optional, type/path required
  assert.equal(value.path, '/p');
  assert.deepEqual(Spec.json, {
    type: 'object',
    properties: {
      type: { type: 'string' }, path: { type: 'string', minLength: 1 }, repeat: { type: 'integer', minimum: 0 },
      tags: { type: 'array', items: { type: 'string' } }, labels: { type: 'object', additionalProperties: { type: 'string' } },
    },
    required: ['type', 'path'],
    additionalProperties: false,
  });
});

test('incoming specs are checked against the declared schema: unknown type, missing field, wrong type, Go $ref schema', () => {
  const index = new TypeIndex([
    { type: 'Gen/v1', aliases: ['Gen'], schema: s.object({ type: s.string(), text: s.string(), repeat: s.integer({ minimum: 0 }) }, { required: ['type', 'text'] }) },
    ...dummy,
  ]);
  const cases: [unknown, RegExp | undefined][] = [
    [{ type: 'Gen/v1', text: 'x' }, undefined],
    [{ type: 'Gen', text: 'x', repeat: 2 }, undefined],
    [{ type: 'Other/v1' }, /^unsupported spec type "Other\/v1": this plugin serves Gen\/v1, Gen, DummyRepository\/v1$/],
    [{ type: 'Gen/v1' }, /^invalid spec of type Gen\/v1: text is required$/],
    [{ type: 'Gen/v1', text: 'x', repeat: -1 }, /^invalid spec of type Gen\/v1: repeat must be >= 0$/],
    [{ type: 'Gen/v1', text: 3 }, /text must be string/],
    [{ text: 'x' }, /has no type/],
    ['x', /must be a JSON object/],
    [{ type: 'DummyRepository/v1', baseUrl: 'https://x' }, undefined],
    [{ type: 'DummyRepository/v1' }, /baseUrl is required/],
    [{ type: 'DummyRepository/v1', baseUrl: 'x', extra: 1 }, /must NOT have additional properties/],
  ];
  for (const [spec, expected] of cases) {
    if (!expected) assert.doesNotThrow(() => index.check(spec, 'spec'), JSON.stringify(spec));
    else assert.throws(() => index.check(spec, 'spec'), (e: unknown) => e instanceof PluginError && e.status === 400 && expected.test(e.message), JSON.stringify(spec));
  }
});

test('the Authorization header: typed, flat, {} and absent, garbage → 401', () => {
  const cases: [string | undefined, Record<string, string> | undefined | 401][] = [
    [undefined, undefined],
    ['', undefined],
    ['{}', undefined],
    ['{"type":"Credentials/v1","properties":{"password":"p","username":"u"}}', { password: 'p', username: 'u' }],
    ['{"type":"Credentials/v1","properties":{}}', undefined],
    ['{"username":"u","password":"p"}', { username: 'u', password: 'p' }],
    ['{"type":"OCICredentials/v1","username":"u"}', { username: 'u' }],
    ['not json', 401],
    ['["a"]', 401],
    ['Bearer abc', 401],
  ];
  for (const [header, expected] of cases) {
    if (expected === 401) {
      assert.throws(() => credentialsFromHeader(header), (e: unknown) => e instanceof PluginError && e.status === 401 && e.message.startsWith('incorrect authentication header format'), header);
    } else assert.deepEqual(credentialsFromHeader(header), expected, header);
  }
});

test('--config: the Go example parses; empty id, bad JSON, bad type and bad idleTimeout are one-line errors', () => {
  assert.deepEqual(parseConfig('{"id":"my-plugin","type":"unix","pluginType":"","idleTimeout":3600000000000}'), { id: 'my-plugin', type: 'unix', pluginType: '', idleTimeout: 3600000000000 });
  const cases: [string | undefined, RegExp][] = [
    [undefined, /missing --config/],
    ['{"id":""}', /plugin id is required/],
    ['{"type":"unix"}', /plugin id is required/],
    ['{', /invalid --config JSON/],
    ['[]', /must be a JSON object/],
    ['{"id":"a","type":"pipe"}', /type must be "unix" or "tcp"/],
    ['{"id":"a","idleTimeout":"1h"}', /idleTimeout must be a non-negative integer of nanoseconds/],
    ['{"id":"a","configTypes":{}}', /configTypes must be an array/],
  ];
  for (const [raw, expected] of cases) {
    assert.throws(() => parseConfig(raw), (e: unknown) => e instanceof Error && expected.test(e.message) && !e.message.includes('\n'), String(raw));
  }
});
