import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TypedSpec } from '../descriptor/types.js';
import { isOcmError, type OcmError } from '../runtime/errors.js';
import { defaultTypeRegistry, TypeRegistry } from '../runtime/type-registry.js';
import { accessMethod, type AccessMethod } from './access.js';
import { createTypeRegistry, registerBuiltins } from './builtins.js';
import { openRepository } from './open.js';
import { repositoryKindOf } from './reference.js';
import type { RepositoryProvider } from './types.js';

test('built-in repository and access types: every accepted name resolves to its registration (table)', () => {
  const types = createTypeRegistry();
  const cases: [kind: 'repository' | 'access', names: string[], canonical: string | undefined][] = [
    ['repository', ['ctf', 'CTF', 'CTF/v1', 'CommonTransportFormat', 'commontransportformat/v1', 'CommonTransportFormat/v1'], 'CommonTransportFormat/v1'],
    ['repository', ['oci', 'OCI', 'OCIRepository', 'OCIRepository/v1', 'OCIRegistry', 'ociRegistry/v1'], 'OCIRepository/v1'],
    ['repository', ['ctf/v2', 'helm', 'OCIImage'], undefined],
    ['access', ['localBlob', 'LocalBlob', 'LocalBlob/v1', 'localblob/v1'], 'LocalBlob/v1'],
    ['access', ['ociArtifact', 'ociArtifact/v1', 'ociRegistry', 'ociImage', 'OCIImage', 'OCIImage/v1'], 'OCIImage/v1'],
    ['access', ['ociBlob', 'OCIImageLayer/v1'], 'OCIImageLayer/v1'],
    ['access', ['CommonTransportFormat', 's3'], undefined],
  ];
  for (const [kind, names, canonical] of cases) {
    for (const name of names) assert.equal(types.find(kind, name)?.type, canonical, `${kind} ${name}`);
  }
  for (const r of [...types.list('repository'), ...types.list('access')]) assert.equal(r.source, 'built-in', r.type);
});

test('repositoryKindOf answers from the registry names, so every alias of the CTF and OCI types works', () => {
  const types = createTypeRegistry();
  for (const name of types.names('repository', 'ctf')) assert.equal(repositoryKindOf(name, types), 'ctf', name);
  for (const name of types.names('repository', 'oci')) assert.equal(repositoryKindOf(name, types), 'oci', name);
  assert.equal(repositoryKindOf('OCIImage'), undefined);
});

test('the legacy access spelling comes from the registration', () => {
  const types = createTypeRegistry();
  assert.deepEqual(
    ['LocalBlob/v1', 'OCIImage/v1', 'ociRegistry', 'OCIImageLayer/v1'].map((t) => types.find('access', t)?.legacyName),
    ['localBlob', 'ociArtifact', 'ociArtifact', 'ociBlob'],
  );
});

test('consumer identity per built-in repository and access type (table)', () => {
  const types = createTypeRegistry();
  const cases: [kind: 'repository' | 'access', spec: TypedSpec, identity: Record<string, string> | undefined][] = [
    ['repository', { type: 'CTF', filePath: './ctf' }, undefined],
    ['repository', { type: 'OCIRegistry', baseUrl: 'https://ghcr.io:8443', subPath: 'acme' }, { type: 'OCIRegistry', scheme: 'https', hostname: 'ghcr.io', port: '8443', path: 'acme' }],
    ['access', { type: 'localBlob', localReference: 'sha256:00', mediaType: 'text/plain' }, undefined],
    ['access', { type: 'ociArtifact', imageReference: '127.0.0.1:5000/acme/img:1.0' }, { type: 'OCIRegistry', hostname: '127.0.0.1', port: '5000' }],
    ['access', { type: 'OCIImage/v1', imageReference: 'ghcr.io/acme/img@sha256:' + '0'.repeat(64) }, { type: 'OCIRegistry', hostname: 'ghcr.io' }],
    ['access', { type: 'ociBlob', ref: 'ghcr.io/acme/blobs', digest: 'sha256:00' }, { type: 'OCIRegistry', hostname: 'ghcr.io' }],
  ];
  for (const [kind, spec, identity] of cases) {
    const impl = types.decode<RepositoryProvider | AccessMethod>(kind, spec).impl;
    assert.deepEqual(impl.consumerIdentity(spec), identity, `${kind} ${spec.type}`);
  }
});

test('built-in specs are checked against their schemas at the boundary: VALIDATION_FAILED naming the type and the field (table)', async () => {
  const types = createTypeRegistry();
  const cases: [kind: 'repository' | 'access', spec: TypedSpec, field: string][] = [
    ['repository', { type: 'ctf' }, 'filePath'],
    ['repository', { type: 'CommonTransportFormat/v1', filePath: 42 }, 'filePath'],
    ['repository', { type: 'ctf', filePath: './x', fileFormat: 'zip' }, 'fileFormat'],
    ['repository', { type: 'ctf', filePath: './x', accessMode: 'write' }, 'accessMode'],
    ['repository', { type: 'OCIRegistry' }, 'baseUrl'],
    ['repository', { type: 'oci', baseUrl: 'ghcr.io', subPath: 7 }, 'subPath'],
    ['access', { type: 'localBlob', mediaType: 'text/plain' }, 'localReference'],
    ['access', { type: 'localBlob', localReference: 'sha256:00', mediaType: 3 }, 'mediaType'],
    ['access', { type: 'ociArtifact' }, 'imageReference'],
    ['access', { type: 'ociArtifact', imageReference: '' }, 'imageReference'],
    ['access', { type: 'ociBlob', ref: 'ghcr.io/x', digest: 'sha256:00', size: '3' }, 'size'],
  ];
  for (const [kind, spec, field] of cases) {
    const ok = (e: unknown) =>
      isOcmError(e, 'VALIDATION_FAILED') &&
      (e as Error).message.startsWith(`${kind} spec of type "${spec.type}": ${field} `) &&
      (e as OcmError).details?.['field'] === field;
    if (kind === 'repository') await assert.rejects(openRepository(spec, { registry: types }), ok, JSON.stringify(spec));
    else assert.throws(() => accessMethod(spec, types), ok, JSON.stringify(spec));
  }
});

test('a plugin cannot take over a built-in name; registries from createTypeRegistry are independent', () => {
  const a = createTypeRegistry();
  const b = createTypeRegistry();
  const plugin = { consumerIdentity: () => undefined, open: async () => { throw new Error('unused'); } };
  assert.throws(
    () => a.register('access', { type: 'OCIRegistry', source: 'plugin "x"', impl: plugin }),
    (e: unknown) =>
      isOcmError(e, 'ALREADY_EXISTS') &&
      /type "OCIRegistry" \(access\) is already registered by built-in OCIImage\/v1; plugin "x" OCIRegistry cannot register it/.test((e as Error).message),
  );
  a.register('access', { type: 'S3/v1', aliases: ['s3'], source: 'plugin "s3"', impl: plugin });
  assert.equal(a.find('access', 's3')?.impl, plugin);
  assert.equal(b.find('access', 's3'), undefined);
  assert.equal(defaultTypeRegistry.find('access', 's3'), undefined);
  assert.throws(() => accessMethod({ type: 's3' }, b), (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /known: .*LocalBlob\/v1/.test((e as Error).message));
});

test('built-ins meeting a name a plugin took first fail loudly, and again the same way on retry (never a conflict with themselves)', () => {
  const r = new TypeRegistry();
  r.register('access', { type: 'ociImage', source: 'plugin "x"', impl: {} });
  for (let attempt = 0; attempt < 2; attempt++) {
    assert.throws(
      () => registerBuiltins(r),
      (e: unknown) =>
        isOcmError(e, 'ALREADY_EXISTS') && /type "OCIImage\/v1" \(access\) is already registered by plugin "x" ociImage; built-in OCIImage\/v1 cannot register it/.test((e as Error).message),
      `attempt ${attempt}`,
    );
  }
});
