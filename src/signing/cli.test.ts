import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { openRepository } from '../repository/open.js';
import { addCv } from './support.test.js';

// Keys made by openssl (PKCS#8 private, PKIX public), as users would bring them.
async function setup(t: { after(fn: () => Promise<void>): void }) {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const priv = join(tmp.path, 'key.pem');
  const pub = join(tmp.path, 'pub.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', priv], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
  const ctf = join(tmp.path, 'ctf');
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: ctf }, { create: true });
  await addCv(repo, { name: 'acme.org/child', version: '1.0.0', resources: { data: 'child' } });
  await addCv(repo, {
    name: 'acme.org/app',
    version: '1.0.0',
    resources: { readme: 'hello', bin: Buffer.alloc(100_000, 7) },
    references: [{ name: 'child', componentName: 'acme.org/child', version: '1.0.0' }],
  });
  await repo.close();
  return { dir: tmp.path, priv, pub, ref: `${ctf}//acme.org/app:1.0.0`, ctf };
}

test('ocm sign cv / verify cv on a CTF; re-sign needs --force; tampering fails with exit 5 naming the change', async (t) => {
  const s = await setup(t);
  const signed = await runOcm(['sign', 'cv', s.ref, '--signature', 'acme', '--private-key', s.priv]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stdout, /^signed acme.org\/app:1.0.0 signature "acme" \(RSASSA-PKCS1-V1_5, jsonNormalisation\/v3, SHA-256 [0-9a-f]{64}\)\n$/);

  const ok = await runOcm(['verify', 'cv', s.ref, '--signature', 'acme', '--public-key', s.pub]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^verified acme.org\/app:1.0.0 signature "acme" \(RSASSA-PKCS1-V1_5, jsonNormalisation\/v3 [0-9a-f]{64}\)\n$/);

  const again = await runOcm(['sign', 'cv', s.ref, '--signature', 'acme', '--private-key', s.priv]);
  assert.equal(again.code, 7);
  assert.match(again.stderr, /already has a signature "acme": use --force/);
  const forced = await runOcm(['sign', 'cv', s.ref, '--signature', 'acme', '--private-key', s.priv, '--algorithm', 'RSASSA-PSS', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /RSASSA-PSS/);
  assert.equal((await runOcm(['verify', 'cv', s.ref, '--public-key', s.pub])).code, 0);

  // tamper the stored descriptor: a signed field
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: s.ctf });
  const cd = await repo.getComponentVersion('acme.org/app', '1.0.0');
  await repo.addComponentVersion({ ...cd, component: { ...cd.component, resources: cd.component.resources.map((r, i) => (i === 0 ? { ...r, version: '9.9.9' } : r)) } }, { overwrite: true });
  await repo.close();
  const bad = await runOcm(['verify', 'cv', s.ref, '--signature', 'acme', '--public-key', s.pub]);
  assert.equal(bad.code, 5);
  assert.match(bad.stderr, /^Error: acme.org\/app:1.0.0 was modified after signing: signature "acme" covers jsonNormalisation\/v3 digest [0-9a-f]{64}, the descriptor now gives [0-9a-f]{64} .*\[VERIFICATION_FAILED\]\n$/);
});

test('ocm verify cv reports missing keys and missing signatures clearly', async (t) => {
  const s = await setup(t);
  const noKey = await runOcm(['sign', 'cv', s.ref, '--signature', 'acme'], { env: { HOME: s.dir, OCM_CONFIG: '' } });
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /no private key for signature "acme": pass --private-key FILE/);
  const unsigned = await runOcm(['verify', 'cv', s.ref, '--signature', 'acme', '--public-key', s.pub]);
  assert.equal(unsigned.code, 3);
  assert.match(unsigned.stderr, /has no signature "acme" \(signatures: none\)/);
});

test('signatures made by ocm-ts verify with openssl pkeyutl over the normalised digest (PKCS#1 v1.5 and PSS)', async (t) => {
  const s = await setup(t);
  for (const [alg, pkeyopts] of [
    ['RSASSA-PKCS1-V1_5', []],
    ['RSASSA-PSS', ['-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', 'rsa_pss_saltlen:auto']],
  ] as const) {
    const r = await runOcm(['sign', 'cv', s.ref, '--signature', 'acme', '--private-key', s.priv, '--algorithm', alg, '--force', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const cd = JSON.parse(r.stdout) as { signatures: { digest: { value: string }; signature: { value: string } }[] };
    const sig = cd.signatures[0]!;
    // openssl computes the hash of the normalised bytes itself and must get the recorded digest
    const { normalise } = await import('./normalise/index.js');
    const { parseText } = await import('./support.test.js');
    const normalised = join(s.dir, 'normalised.json');
    await writeFile(normalised, normalise(await parseText(r.stdout), 'jsonNormalisation/v3'));
    const hash = execFileSync('openssl', ['dgst', '-sha256', '-binary', normalised]);
    assert.equal(hash.toString('hex'), sig.digest.value);
    const hashFile = join(s.dir, 'hash.bin');
    const sigFile = join(s.dir, 'sig.bin');
    await writeFile(hashFile, hash);
    await writeFile(sigFile, Buffer.from(sig.signature.value, 'hex'));
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', s.pub, '-pkeyopt', 'digest:sha256', ...pkeyopts, '-in', hashFile, '-sigfile', sigFile]).toString();
    assert.match(out, /Signature Verified Successfully/, alg);
    // and a flipped hash byte is rejected by openssl
    hash[0]! ^= 1;
    await writeFile(hashFile, hash);
    assert.throws(() => execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', s.pub, '-pkeyopt', 'digest:sha256', ...pkeyopts, '-in', hashFile, '-sigfile', sigFile], { stdio: 'pipe' }));
  }
  assert.ok((await readFile(s.priv, 'utf8')).includes('PRIVATE KEY'));
});

test('ocm sign/verify cv --signer-spec/--verifier-spec: the built-in RSA signer through the signer seam, keys from .ocmconfig; conflicts are one line', async (t) => {
  const s = await setup(t);
  const cfg = join(s.dir, '.ocmconfig');
  const ident = (alg: string) => `{type: RSA/v1alpha1, algorithm: ${alg}, signature: acme}`;
  await writeFile(
    cfg,
    `type: generic.config.ocm.software/v1
configurations:
- type: credentials.config.ocm.software
  consumers:
  - identity: ${ident('RSASSA-PSS')}
    credentials: [{type: RSACredentials/v1, privateKeyPEMFile: ${s.priv}, publicKeyPEMFile: ${s.pub}}]
`,
    { mode: 0o600 },
  );
  const spec = join(s.dir, 'signer.yaml');
  await writeFile(spec, 'type: RSASigningConfiguration/v1alpha1\nsignatureAlgorithm: RSASSA-PSS\n');
  const env = { HOME: s.dir };
  const signed = await runOcm(['--config', cfg, 'sign', 'cv', s.ref, '--signature', 'acme', '--signer-spec', spec], { env });
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stdout, /^signed acme.org\/app:1.0.0 signature "acme" \(RSASSA-PSS, jsonNormalisation\/v3, SHA-256 [0-9a-f]{64}\)\n$/);
  const viaSpec = await runOcm(['--config', cfg, 'verify', 'cv', s.ref, '--signature', 'acme', '--verifier-spec', spec], { env });
  assert.equal(viaSpec.code, 0, viaSpec.stderr);
  // the same signature verifies the classic way
  assert.equal((await runOcm(['verify', 'cv', s.ref, '--signature', 'acme', '--public-key', s.pub])).code, 0);

  const both = await runOcm(['sign', 'cv', s.ref, '--signer-spec', spec, '--private-key', s.priv, '--algorithm', 'pss'], { env });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^Error: --signer-spec cannot be combined with --private-key, --algorithm: the spec selects the signer and its keys \[INVALID_ARGUMENT\]\n$/);
  const both2 = await runOcm(['verify', 'cv', s.ref, '--verifier-spec', spec, '--public-key', s.pub], { env });
  assert.equal(both2.code, 2);
  assert.match(both2.stderr, /^Error: --verifier-spec cannot be combined with --public-key: .*\[INVALID_ARGUMENT\]\n$/);

  const bad = join(s.dir, 'bad.yaml');
  await writeFile(bad, '- just a list\n');
  const notMapping = await runOcm(['sign', 'cv', s.ref, '--signer-spec', bad], { env });
  assert.equal(notMapping.code, 2);
  assert.match(notMapping.stderr, /^Error: signer spec .*bad\.yaml must be a mapping with a "type" .*\n$/);
  await writeFile(bad, 'type: RSASigningConfiguration/v1alpha1\nsignatureAlgorithm: DSA\n');
  const invalid = await runOcm(['sign', 'cv', s.ref, '--signer-spec', bad], { env });
  assert.notEqual(invalid.code, 0);
  assert.match(invalid.stderr, /^Error: signer spec of type "RSASigningConfiguration\/v1alpha1": .*signatureAlgorithm.*\[VALIDATION_FAILED\]\n$/);
  await writeFile(bad, 'type: HMAC/v1alpha1\n');
  const unknown = await runOcm(['sign', 'cv', s.ref, '--signer-spec', bad], { env });
  assert.match(unknown.stderr, /^Error: unknown signer type "HMAC\/v1alpha1" \(known: RSASigningConfiguration\/v1alpha1\) \[UNSUPPORTED\]\n$/);
  const missing = await runOcm(['sign', 'cv', s.ref, '--signer-spec', join(s.dir, 'nope.yaml')], { env });
  assert.match(missing.stderr, /^Error: .*signer spec .*nope\.yaml.*\n$/);
});
