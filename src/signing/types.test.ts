import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { isOcmError } from '../runtime/errors.js';
import { TypeRegistry } from '../runtime/type-registry.js';
import { nodeHashName, normalise } from './normalise/index.js';
import { RSASSA_PKCS1_V1_5, RSASSA_PSS } from './rsa.js';
import { parseAlgorithm } from './types.js';
import { registerSigningTypes, signingTypes, type SigningHandler } from './types.js';

test('signing, hash, normalisation and digest types: every accepted name resolves to its registration (table)', () => {
  const types = signingTypes(new TypeRegistry());
  const cases: [kind: string, names: string[], canonical: string | undefined][] = [
    ['signing', ['RSASSA-PKCS1-V1-5', 'rsassa-pkcs1-v1-5', 'PKCS1V15', 'pkcs1-v1-5', 'RSA'], RSASSA_PKCS1_V1_5],
    ['signing', ['RSASSA-PSS', 'rsassa-pss', 'PSS', 'RSA-PSS'], RSASSA_PSS],
    ['signing', ['ECDSA', 'ed25519'], undefined],
    ['hash', ['SHA-256', 'sha256', 'SHA256', 'sha-256'], 'SHA-256'],
    ['hash', ['SHA-512', 'sha512', 'SHA512'], 'SHA-512'],
    ['hash', ['SHA-1', 'md5'], undefined],
    ['normalisation', ['jsonNormalisation/v1'], 'jsonNormalisation/v1'],
    ['normalisation', ['jsonNormalisation/v2'], 'jsonNormalisation/v2'],
    ['normalisation', ['jsonNormalisation/v3'], 'jsonNormalisation/v3'],
    ['normalisation', ['jsonNormalisation/v4alpha1'], 'jsonNormalisation/v4alpha1'],
    ['normalisation', ['jsonNormalisation/v5', 'jcs'], undefined],
    ['digest', ['genericBlobDigest/v1', 'genericBlobDigest'], 'genericBlobDigest/v1'],
    ['digest', ['ociArtifactDigest/v1', 'ociArtefactDigest/v1'], 'ociArtifactDigest/v1'],
  ];
  for (const [kind, names, canonical] of cases) {
    for (const name of names) assert.equal(types.find(kind, name)?.type, canonical, `${kind} ${name}`);
  }
});

test('parseAlgorithm and nodeHashName answer from the registrations (also `_` for `-`), and name the choices otherwise', () => {
  for (const [text, alg] of [['RSASSA-PKCS1-V1_5', RSASSA_PKCS1_V1_5], ['rsassa_pss', RSASSA_PSS], [' pss ', RSASSA_PSS], ['pkcs1_v1_5', RSASSA_PKCS1_V1_5]] as const) {
    assert.equal(parseAlgorithm(text), alg, text);
  }
  assert.throws(() => parseAlgorithm('ECDSA'), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT') && /use RSASSA-PKCS1-V1_5 or RSASSA-PSS/.test((e as Error).message));
  assert.equal(nodeHashName('sha512'), 'sha512');
  assert.throws(() => nodeHashName('MD5'), (e: unknown) => isOcmError(e, 'UNSUPPORTED'));
  const cd = { meta: { schemaVersion: 'v2' }, component: { name: 'acme.org/x', version: '1.0.0', provider: 'acme.org', repositoryContexts: [], resources: [], sources: [], componentReferences: [] } };
  assert.equal(normalise(cd as never, 'jsonNormalisation/v3'), normalise(cd as never, 'jsonNormalisation/v4alpha1'));
  assert.throws(() => normalise(cd as never, 'jsonNormalisation/v9'), (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /supported are jsonNormalisation\/v1, .*v4alpha1/.test((e as Error).message));
});

test('a signing handler names the consumer identity its keys are looked up with, and reads keys from credentials given as data', async () => {
  const types = signingTypes(new TypeRegistry());
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const creds = {
    privateKeyPEM: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPEM: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  for (const [name, algorithm] of [['RSASSA-PKCS1-V1_5', RSASSA_PKCS1_V1_5], ['pss', RSASSA_PSS]] as const) {
    const h = types.get<SigningHandler>('signing', name.replace(/_/g, '-')).impl;
    assert.deepEqual(h.consumerIdentity({ signature: 'acme' }), { type: 'RSA/v1alpha1', algorithm, signature: 'acme' });
    const keys = await h.keys(creds);
    const hash = 'ab'.repeat(32);
    const sig = h.sign('SHA-256', hash, keys.privateKey!);
    assert.ok(h.verify('SHA-256', hash, sig, keys.publicKey!.key), name);
    assert.ok(!h.verify('SHA-256', 'cd'.repeat(32), sig, keys.publicKey!.key), name);
  }
  assert.deepEqual(await types.get<SigningHandler>('signing', 'PSS').impl.keys({}), {});
});

test('signing types register once per registry; a plugin cannot take a built-in algorithm name; registries stay independent', () => {
  const a = new TypeRegistry();
  assert.equal(registerSigningTypes(a), registerSigningTypes(a));
  assert.throws(
    () => a.register('signing', { type: 'pss', source: 'plugin "hsm"', impl: {} }),
    (e: unknown) => isOcmError(e, 'ALREADY_EXISTS') && /already registered by built-in RSASSA-PSS; plugin "hsm" pss cannot register it/.test((e as Error).message),
  );
  a.register('signing', { type: 'ECDSA-P256', source: 'plugin "hsm"', impl: {} });
  const b = signingTypes(new TypeRegistry());
  assert.ok(a.find('signing', 'ecdsa-p256'));
  assert.equal(b.find('signing', 'ecdsa-p256'), undefined);
  // A registry that already holds a built-in name from elsewhere refuses the built-ins loudly.
  const c = new TypeRegistry();
  c.register('hash', { type: 'SHA-256', source: 'plugin "fips"', impl: { node: 'sha256' } });
  assert.throws(() => registerSigningTypes(c), (e: unknown) => isOcmError(e, 'ALREADY_EXISTS') && /plugin "fips" SHA-256; built-in SHA-256/.test((e as Error).message));
});
