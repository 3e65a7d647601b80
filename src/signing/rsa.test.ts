import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify, constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { conformance } from '../testing/fixtures.js';
import { loadDescriptor } from './support.test.js';
import { normalisedDigest } from './normalise/index.js';
import { parseAlgorithm } from './types.js';
import { parsePrivateKey, parsePublicKey, signHash, verifyHash, RSASSA_PKCS1_V1_5, RSASSA_PSS, signatureFromPem, signatureToPem, normaliseDn } from './rsa.js';

const LEGACY = 'ocm/signing/rsa-pkcs1v15-legacy-v1/';
const pub = () => parsePublicKey(readFileSync(conformance(`${LEGACY}rsa.pub`)), 'rsa.pub').key;
const priv = () => parsePrivateKey(readFileSync(conformance(`${LEGACY}rsa.priv`)), 'rsa.priv');

test('legacy v1 archive: the PKCS#1 v1.5 signature verifies over the recorded digest, re-signing reproduces it', async () => {
  const cd = await loadDescriptor(conformance(`${LEGACY}component-archive/component-descriptor.yaml`));
  const sig = cd.signatures![0]!;
  assert.equal(sig.digest.hashAlgorithm, 'sha256', 'legacy lower-case hash name is read');
  const value = Buffer.from(sig.signature.value, 'hex');
  assert.ok(verifyHash(sig.digest.hashAlgorithm, sig.digest.value, value, pub(), RSASSA_PKCS1_V1_5));
  assert.equal(signHash(sig.digest.hashAlgorithm, sig.digest.value, priv(), RSASSA_PKCS1_V1_5).toString('hex'), sig.signature.value);
  const flipped = Buffer.from(value);
  flipped[10]! ^= 1;
  assert.equal(verifyHash('SHA-256', sig.digest.value, flipped, pub(), RSASSA_PKCS1_V1_5), false);
  assert.equal(verifyHash('SHA-256', sig.digest.value.replace(/^b0/, 'b1'), value, pub(), RSASSA_PKCS1_V1_5), false);
});

test('derived vectors: PKCS#1 v1.5 (reproducible) and PSS (max salt) verify over the v3 digest c97c44a4…', async () => {
  const cd = await loadDescriptor(conformance('ocm/derived/ocmcli-0.27.0-signed-derived.yaml'));
  const { value: digest } = normalisedDigest(cd, 'jsonNormalisation/v3');
  assert.equal(digest, 'c97c44a4dca9fc85d4e634a617b662f72935cc202d52a46aa9367c937458b35b');
  for (const s of cd.signatures!) {
    assert.equal(s.digest.value, digest);
    const alg = parseAlgorithm(s.signature.algorithm);
    assert.ok(verifyHash('SHA-256', digest, Buffer.from(s.signature.value, 'hex'), pub(), alg), s.name);
    assert.equal(verifyHash('SHA-256', digest, Buffer.from(s.signature.value, 'hex'), pub(), alg === RSASSA_PSS ? RSASSA_PKCS1_V1_5 : RSASSA_PSS), false, `${s.name} with the other algorithm`);
  }
  const pk = cd.signatures!.find((s) => s.signature.algorithm === RSASSA_PKCS1_V1_5)!;
  assert.equal(signHash('SHA-256', digest, priv(), RSASSA_PKCS1_V1_5).toString('hex'), pk.signature.value);
});

test('PSS signatures over the hash equal Node crypto.sign of the normalised bytes (both verify each other)', () => {
  const bytes = Buffer.from('{"component":{}}');
  const hex = createHash('sha256').update(bytes).digest('hex');
  for (const bits of [2048, 2049, 3072]) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const sig = signHash('SHA-256', hex, privateKey, RSASSA_PSS);
    assert.ok(verify('sha256', bytes, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig), `node verifies ours (${bits})`);
    assert.ok(verifyHash('SHA-256', hex, sig, publicKey, RSASSA_PSS));
    const pkcs = signHash('SHA-512', createHash('sha512').update(bytes).digest('hex'), privateKey, RSASSA_PKCS1_V1_5);
    assert.ok(verify('sha512', bytes, publicKey, pkcs), `PKCS#1 v1.5 SHA-512 (${bits})`);
  }
});

test('key formats: PKCS#1 and PKIX public keys, PKCS#8 private keys, private key as verifier; errors name the file', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const spki = publicKey.export({ type: 'spki', format: 'pem' });
  const k = parsePrivateKey(pkcs8);
  const hex = 'ab'.repeat(32);
  const sig = signHash('SHA-256', hex, k, RSASSA_PKCS1_V1_5);
  assert.ok(verifyHash('SHA-256', hex, sig, parsePublicKey(spki).key, RSASSA_PKCS1_V1_5));
  assert.ok(verifyHash('SHA-256', hex, sig, parsePublicKey(pkcs8).key, RSASSA_PKCS1_V1_5));
  assert.throws(() => parsePrivateKey('garbage', 'key.pem'), (e: Error & { code?: string }) => e.code === 'KEY_ERROR' && e.message.startsWith('key.pem'));
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.throws(() => parsePublicKey(ec.publicKey.export({ type: 'spki', format: 'pem' }), 'ec.pem'), /only RSA keys/);
  assert.throws(() => parseAlgorithm('dsa'), /RSASSA-PKCS1-V1_5 or RSASSA-PSS/);
});

test('PEM signature encoding round-trips with its algorithm header; DNs compare order-independently', () => {
  const sig = Buffer.alloc(256, 7);
  const pem = signatureToPem(RSASSA_PSS, sig);
  assert.match(pem, /^-----BEGIN SIGNATURE-----\nSignature Algorithm: RSASSA-PSS\n\n/);
  const back = signatureFromPem(pem);
  assert.equal(back.algorithm, RSASSA_PSS);
  assert.ok(back.signature.equals(sig));
  assert.equal(normaliseDn('CN=signer,O=acme,C=DE'), normaliseDn('C=DE\nO=acme\nCN=signer'));
  assert.notEqual(normaliseDn('CN=signer,O=acme'), normaliseDn('CN=other,O=acme'));
});
