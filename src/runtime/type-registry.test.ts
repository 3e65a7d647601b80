import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError, type OcmError } from './errors.js';
import { compileSpecSchema, isSimpleSchema } from './spec-schema.js';
import { TypeRegistry, typeKey } from './type-registry.js';

const impl = {};

test('type names: a missing version means v1, vendor paths keep their slashes, lookups ignore case', () => {
  for (const [name, key] of [
    ['localBlob', 'localBlob/v1'],
    ['localBlob/v1', 'localBlob/v1'],
    ['jsonNormalisation/v4alpha1', 'jsonNormalisation/v4alpha1'],
    ['acme.org/thing', 'acme.org/thing/v1'],
    ['acme.org/thing/v2beta1', 'acme.org/thing/v2beta1'],
  ] as const) {
    assert.equal(typeKey(name), key, name);
  }
  const r = new TypeRegistry();
  r.register('access', { type: 'LocalBlob/v1', aliases: ['localBlob'], impl });
  for (const name of ['LocalBlob/v1', 'LocalBlob', 'localBlob', 'localblob/v1', 'LOCALBLOB']) assert.equal(r.find('access', name)?.type, 'LocalBlob/v1', name);
  for (const name of ['localBlob/v2', 'local', 'LocalBlob/v1alpha1']) assert.equal(r.find('access', name), undefined, name);
  assert.ok(r.same('access', 'localBlob', 'LocalBlob/v1'));
  assert.ok(!r.same('access', 'localBlob', 'ociArtifact'));
  assert.deepEqual(r.names('access', 'localblob'), ['LocalBlob/v1', 'localBlob']);
  assert.equal(r.find('repository', 'localBlob'), undefined, 'kinds are separate name spaces');
});

test('a second registration of a taken name or alias is ALREADY_EXISTS naming both registrations', () => {
  const cases: { name: string; first: { type: string; aliases?: string[]; source?: string }; second: { type: string; aliases?: string[]; source?: string }; message: RegExp }[] = [
    {
      name: 'alias of a built-in',
      first: { type: 'OCIImage/v1', aliases: ['OCIRegistry', 'ociArtifact'], source: 'built-in' },
      second: { type: 'OCIRegistry', source: 'plugin "x"' },
      message: /^type "OCIRegistry" \(access\) is already registered by built-in OCIImage\/v1; plugin "x" OCIRegistry cannot register it/,
    },
    {
      name: 'canonical name spelled differently',
      first: { type: 'LocalBlob/v1', source: 'built-in' },
      second: { type: 'Acme/v1', aliases: ['localblob'], source: 'plugin "acme"' },
      message: /type "localblob" \(access\) is already registered by built-in LocalBlob\/v1; plugin "acme" Acme\/v1/,
    },
    {
      name: 'plugin first, built-in second: the built-in does not take it over either',
      first: { type: 'Helm/v1', source: 'plugin "helm"' },
      second: { type: 'helm', source: 'built-in' },
      message: /already registered by plugin "helm" Helm\/v1; built-in helm cannot register it/,
    },
    {
      name: 'no source given',
      first: { type: 'A/v1' },
      second: { type: 'a' },
      message: /already registered by an unnamed registration A\/v1/,
    },
  ];
  for (const c of cases) {
    const r = new TypeRegistry();
    r.register('access', { ...c.first, impl });
    assert.throws(
      () => r.register('access', { ...c.second, impl: {} }),
      (e: unknown) => isOcmError(e, 'ALREADY_EXISTS') && c.message.test((e as Error).message) && !(e as Error).message.includes('\n'),
      c.name,
    );
    // Nothing of the rejected registration is left behind.
    assert.equal(r.list('access').length, 1, c.name);
    assert.equal(r.find('access', c.first.type)?.impl, impl, c.name);
  }
});

test('registering the same registration object twice is a no-op', () => {
  const r = new TypeRegistry();
  const reg = { type: 'X/v1', aliases: ['x'], impl };
  r.register('input', reg);
  r.register('input', reg);
  assert.equal(r.list('input').length, 1);
});

test('registries are independent: a type registered into one is unknown in another', () => {
  const a = new TypeRegistry();
  const b = new TypeRegistry();
  a.register('repository', { type: 'S3/v1', source: 'plugin "s3"', impl });
  assert.ok(a.find('repository', 's3'));
  assert.equal(b.find('repository', 's3'), undefined);
  assert.throws(() => b.get('repository', 'S3/v1'), (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /unknown repository type "S3\/v1"/.test((e as Error).message));
  // The same name may be registered in both without conflict.
  b.register('repository', { type: 'S3/v1', source: 'plugin "other"', impl: {} });
  assert.notEqual(a.get('repository', 'S3').impl, b.get('repository', 'S3').impl);
});

const SCHEMA = {
  type: 'object',
  required: ['filePath'],
  properties: {
    filePath: { type: 'string', minLength: 1 },
    fileFormat: { type: 'string', enum: ['directory', 'tar', 'tgz'] },
    nested: { type: 'object', properties: { list: { type: 'array', items: { type: 'integer' } } } },
  },
} as const;

test('decode checks a spec against its schema and names the type and the field (table)', () => {
  const r = new TypeRegistry();
  r.register('repository', { type: 'CommonTransportFormat/v1', aliases: ['ctf'], schema: SCHEMA, impl });
  const cases: [spec: Record<string, unknown>, field: string, message: RegExp][] = [
    [{}, 'filePath', /"ctf": filePath is required$/],
    [{ filePath: 3 }, 'filePath', /filePath must be string, got integer$/],
    [{ filePath: '' }, 'filePath', /filePath must not be empty$/],
    [{ filePath: 'x', fileFormat: 'zip' }, 'fileFormat', /fileFormat must be one of "directory", "tar", "tgz"$/],
    [{ filePath: 'x', nested: { list: [1, 'two'] } }, 'nested.list[1]', /nested\.list\[1\] must be integer, got string$/],
    [{ filePath: 'x', nested: [] }, 'nested', /nested must be object, got array$/],
  ];
  for (const [fields, field, message] of cases) {
    const spec = { type: 'ctf', ...fields };
    assert.throws(
      () => r.decode('repository', spec),
      (e: unknown) =>
        isOcmError(e, 'VALIDATION_FAILED') &&
        message.test((e as Error).message) &&
        (e as Error).message.startsWith('repository spec of type "ctf": ') &&
        (e as OcmError).details?.['field'] === field,
      JSON.stringify(fields),
    );
  }
  assert.equal(r.decode('repository', { type: 'ctf', filePath: 'x', fileFormat: 'tgz', extra: true }).type, 'CommonTransportFormat/v1');
  assert.throws(() => r.decode('repository', { type: 'oci' }), (e: unknown) => isOcmError(e, 'UNSUPPORTED'));
});

test('schemas beyond the simple keywords are compiled by ajv on first use and report the field too', () => {
  const pattern = { type: 'object', required: ['url'], properties: { url: { type: 'string', pattern: '^https://' } } };
  assert.ok(isSimpleSchema(SCHEMA));
  assert.ok(!isSimpleSchema(pattern));
  const r = new TypeRegistry();
  r.register('access', { type: 'Web/v1', source: 'plugin "web"', schema: pattern, impl });
  assert.throws(
    () => r.decode('access', { type: 'web', url: 'http://x' }),
    (e: unknown) => isOcmError(e, 'VALIDATION_FAILED') && /access spec of type "web": url must match pattern/.test((e as Error).message),
  );
  assert.throws(() => r.decode('access', { type: 'web' }), (e: unknown) => isOcmError(e, 'VALIDATION_FAILED') && /url is required/.test((e as Error).message));
  r.decode('access', { type: 'web', url: 'https://x' });
});

test('the simple-schema interpreter agrees with ajv on the same schema', () => {
  const simple = compileSpecSchema(SCHEMA);
  const viaAjv = compileSpecSchema({ ...SCHEMA, $comment: 'forces ajv' });
  for (const spec of [{}, { filePath: 'x' }, { filePath: 1 }, { filePath: '' }, { filePath: 'a', fileFormat: 'tar' }, { filePath: 'a', fileFormat: 'rar' }, { filePath: 'a', nested: { list: [1, 2.5] } }]) {
    assert.equal(simple(spec) === undefined, viaAjv(spec) === undefined, JSON.stringify(spec));
    assert.equal(simple(spec)?.path, viaAjv(spec)?.path, JSON.stringify(spec));
  }
});

test('a built-in holds a name a plugin also registers, in either order, and the plugin registration is reported as shadowed', () => {
  for (const pluginFirst of [true, false]) {
    const r = new TypeRegistry();
    const builtin = { type: 'Thing/v1', source: 'built-in', impl: 'builtin' };
    const plugin = { type: 'thing', aliases: ['OnlyPlugin/v1'], source: 'plugin "p"', yields: true, impl: 'plugin' };
    if (pluginFirst) {
      r.register('repository', plugin);
      r.register('repository', builtin);
    } else {
      r.register('repository', builtin);
      r.register('repository', plugin);
    }
    assert.equal(r.get('repository', 'Thing/v1').impl, 'builtin');
    assert.equal(r.get('repository', 'OnlyPlugin/v1').impl, 'plugin');
    assert.deepEqual(r.shadowed().map((s) => [s.type, s.shadowed.source]), [[pluginFirst ? 'Thing/v1' : 'thing', 'plugin "p"']]);
  }
});

test('two plugins registering one name still conflict', () => {
  const r = new TypeRegistry();
  r.register('input', { type: 'X/v1', source: 'plugin "a"', yields: true, impl: 1 });
  assert.throws(() => r.register('input', { type: 'x', source: 'plugin "b"', yields: true, impl: 2 }), /already registered by plugin "a"/);
});
