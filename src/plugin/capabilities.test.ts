import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../testing/fixtures.js';
import { CapabilitiesError, parseCapabilities } from './capabilities.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'plugin');
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

test("Go's capability JSON parses: capability type, list field, aliases null → [], base64 schema decoded", () => {
  const decoded = JSON.parse(read('plugin-capabilities-jsonSchema-decoded.json'));
  for (const [file, cap, field] of [
    ['plugin-capabilities-componentversionrepository.json', 'componentVersionRepository', 'supportedRepositorySpecTypes'],
    ['plugin-capabilities-input.json', 'inputRepository', 'supportedInputTypes'],
    ['plugin-capabilities-resource.json', 'resourceRepository', 'supportedAccessTypes'],
  ] as const) {
    const caps = parseCapabilities(read(file));
    assert.deepEqual(caps.supportedConfigTypes, [], file);
    assert.equal(caps.capabilities.length, 1, file);
    const c = caps.capabilities[0]!;
    assert.equal(c.type, cap, file);
    assert.deepEqual(Object.keys(c.types), [field], file);
    const t = c.types[field]![0]!;
    assert.equal(t.type, 'DummyRepository/v1');
    assert.deepEqual(t.aliases, []);
    assert.deepEqual(t.schema, decoded, file);
  }
});

const entry = (type = 'X/v1', extra: Record<string, unknown> = {}) => ({ type, aliases: null, jsonSchema: b64({ type: 'object' }), ...extra });

test('capability JSON: accepted shapes and one-line reasons for rejected ones', () => {
  const cases: { name: string; doc: unknown; error?: RegExp; check?: (c: ReturnType<typeof parseCapabilities>) => void }[] = [
    {
      name: 'several capabilities, aliases, config types',
      doc: {
        capabilities: [
          { type: 'blobTransformer', supportedTransformerSpecTypes: [entry('U/v1', { aliases: ['U'] })] },
          { type: 'credentialRepository', supportedCredentialRepositorySpecTypes: [entry('S/v1')], supportedConsumerIdentityTypes: [entry('OCIRegistry')] },
        ],
        supportedConfigTypes: ['my.config/v1'],
      },
      check: (c) => {
        assert.deepEqual(c.supportedConfigTypes, ['my.config/v1']);
        assert.deepEqual(c.capabilities[0]!.types.supportedTransformerSpecTypes![0]!.aliases, ['U']);
        assert.deepEqual(Object.keys(c.capabilities[1]!.types).sort(), ['supportedConsumerIdentityTypes', 'supportedCredentialRepositorySpecTypes']);
      },
    },
    { name: 'no schema shipped', doc: { capabilities: [{ type: 'inputRepository', supportedInputTypes: [{ type: 'I/v1' }] }] }, check: (c) => assert.equal(c.capabilities[0]!.types.supportedInputTypes![0]!.schema, undefined) },
    { name: 'not JSON', doc: 'garbage {', error: /not JSON: garbage \{/ },
    { name: 'not an object', doc: [1], error: /not a JSON object/ },
    { name: 'empty capabilities', doc: { capabilities: [] }, error: /declares no capabilities/ },
    { name: 'unknown capability type', doc: { capabilities: [{ type: 'input', supportedInputTypes: [] }] }, error: /unknown capability type "input"/ },
    { name: 'duplicate capability type', doc: { capabilities: [{ type: 'signingHandler' }, { type: 'signingHandler' }] }, error: /signingHandler is declared twice/ },
    { name: 'schema not base64', doc: { capabilities: [{ type: 'inputRepository', supportedInputTypes: [entry('I/v1', { jsonSchema: '%%%' })] }] }, error: /supportedInputTypes\[0\] \(I\/v1\): "jsonSchema" is not base64/ },
    { name: 'schema not JSON', doc: { capabilities: [{ type: 'inputRepository', supportedInputTypes: [entry('I/v1', { jsonSchema: Buffer.from('{x').toString('base64') })] }] }, error: /does not decode to JSON/ },
    { name: 'entry without type', doc: { capabilities: [{ type: 'inputRepository', supportedInputTypes: [{ aliases: null }] }] }, error: /supportedInputTypes\[0\] has no "type"/ },
    { name: 'list field not a list', doc: { capabilities: [{ type: 'inputRepository', supportedInputTypes: {} }] }, error: /supportedInputTypes must be a list/ },
    { name: 'bad config types', doc: { capabilities: [{ type: 'inputRepository' }], supportedConfigTypes: 'x' }, error: /supportedConfigTypes/ },
  ];
  for (const c of cases) {
    const text = typeof c.doc === 'string' ? c.doc : JSON.stringify(c.doc);
    if (c.error) {
      assert.throws(() => parseCapabilities(text), (e: unknown) => e instanceof CapabilitiesError && c.error!.test(e.message) && !e.message.includes('\n'), c.name);
    } else c.check!(parseCapabilities(text));
  }
});
