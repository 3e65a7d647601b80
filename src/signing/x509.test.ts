import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../testing/fixtures.js';
import { runOcm } from '../testing/cli.js';
import { openRepository } from '../repository/open.js';
import type { ComponentDescriptor } from '../descriptor/types.js';
import type { OcmError } from '../runtime/errors.js';
import { addCv } from './support.test.js';
import { parseCertificates, parsePrivateKey, parsePublicKey } from './rsa.js';
import { createSignature, verifySignature, withSignature } from './signature.js';

async function pki(t: { after(fn: () => Promise<void>): void }) {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const f = (n: string) => join(tmp.path, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`), '-subj', `/O=acme/CN=${ca} root`, '-days', '2');
  }
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/O=acme/CN=signer');
  ossl('x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('leaf.pem'), '-days', '2');
  const read = (n: string) => readFileSync(f(n), 'utf8');
  return { dir: tmp.path, f, read };
}

const cd: ComponentDescriptor = {
  meta: { schemaVersion: 'v2' },
  component: { name: 'acme.org/x', version: '1.0.0', provider: 'acme', repositoryContexts: [], resources: [], sources: [], componentReferences: [] },
};

test('signing with a certificate writes a PEM signature with the chain; verify checks it against the CA and the issuer DN', async (t) => {
  const p = await pki(t);
  const chain = parseCertificates(p.read('leaf.pem'));
  const sig = createSignature(cd, { name: 's', privateKey: parsePrivateKey(p.read('leaf.key')), certificateChain: chain, issuer: 'CN=signer,O=acme' });
  assert.equal(sig.signature.mediaType, 'application/x-pem-file');
  assert.match(sig.signature.value, /^-----BEGIN SIGNATURE-----\nSignature Algorithm: RSASSA-PKCS1-V1_5\n\n[\s\S]*-----BEGIN CERTIFICATE-----/);
  assert.equal(sig.signature.issuer, 'CN=signer,O=acme');
  const signed = withSignature(cd, sig);
  const ok = verifySignature(signed, 's', { caCerts: parseCertificates(p.read('ca.pem')) });
  assert.equal(ok.signer, 'CN=signer,O=acme');
  // a plain public key still verifies the PEM signature
  verifySignature(signed, 's', { publicKey: parsePublicKey(p.read('leaf.pem')) });

  assert.throws(() => verifySignature(signed, 's', { caCerts: parseCertificates(p.read('other-ca.pem')) }), (e: OcmError) => e.code === 'VERIFICATION_FAILED' && /does not lead to a trusted CA certificate/.test(e.message));
  const wrongIssuer = { ...signed, signatures: [{ ...sig, signature: { ...sig.signature, issuer: 'CN=mallory,O=acme' } }] };
  assert.throws(() => verifySignature(wrongIssuer, 's', { caCerts: parseCertificates(p.read('ca.pem')) }), /issuer "CN=mallory,O=acme" matches neither the signer certificate's subject "CN=signer,O=acme" nor its issuer "CN=ca root,O=acme"/);
  assert.throws(() => createSignature(cd, { name: 's', privateKey: parsePrivateKey(p.read('ca.key')), certificateChain: chain }), (e: OcmError) => e.code === 'KEY_ERROR' && /does not belong to the certificate "CN=signer,O=acme"/.test(e.message));
  assert.throws(() => verifySignature(withSignature(cd, createSignature(cd, { name: 's', privateKey: parsePrivateKey(p.read('leaf.key')) })), 's', { caCerts: parseCertificates(p.read('ca.pem')) }), /carries no certificate chain/);
});

test('ocm sign --certificate --issuer and ocm verify --ca-cert on a CTF', async (t) => {
  const p = await pki(t);
  const ctf = p.f('ctf');
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: ctf }, { create: true });
  await addCv(repo, { name: 'acme.org/app', version: '1.0.0', resources: { data: 'x' } });
  await repo.close();
  const ref = `${ctf}//acme.org/app:1.0.0`;
  const s = await runOcm(['sign', 'cv', ref, '--signature', 'acme', '--private-key', p.f('leaf.key'), '--certificate', p.f('leaf.pem'), '--issuer', 'CN=signer,O=acme']);
  assert.equal(s.code, 0, s.stderr);
  const v = await runOcm(['verify', 'cv', ref, '--signature', 'acme', '--ca-cert', p.f('ca.pem')]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /signer CN=signer,O=acme/);
  const bad = await runOcm(['verify', 'cv', ref, '--signature', 'acme', '--ca-cert', p.f('other-ca.pem')]);
  assert.equal(bad.code, 5);
  assert.match(bad.stderr, /does not lead to a trusted CA certificate/);
});
