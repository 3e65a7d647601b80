import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { openRepository } from '../repository/open.js';
import { addCv } from './support.test.js';
import { keysFromCredentials, signingConsumerIdentity } from './keys.js';
import { signerConfigFor } from './signer-config.js';

const kp = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privPem = kp.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
const pubPem = kp.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string;

test('keys come from credentials for {type: RSA/v1alpha1, algorithm, signature}: inline beats file, snake_case fallback', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  await writeFile(join(tmp.path, 'pub.pem'), pubPem);
  const asked: unknown[] = [];
  const resolver = (props: Record<string, string> | undefined): CredentialResolver => ({
    async resolve(id) {
      asked.push(id);
      return props;
    },
  });
  const id = signingConsumerIdentity('RSASSA-PSS', 'prod');
  assert.deepEqual(id, { type: 'RSA/v1alpha1', algorithm: 'RSASSA-PSS', signature: 'prod' });
  const k = await keysFromCredentials(resolver({ privateKeyPEM: privPem, privateKeyPEMFile: '/nonexistent', publicKeyPEMFile: join(tmp.path, 'pub.pem') }), id);
  assert.ok(k.privateKey && k.publicKey);
  assert.deepEqual(asked[0], id);
  const snake = await keysFromCredentials(resolver({ private_key_pem: privPem }), id);
  assert.ok(snake.privateKey && !snake.publicKey);
  assert.deepEqual(await keysFromCredentials(resolver(undefined), id), {});
  await assert.rejects(keysFromCredentials(resolver({ privateKeyPEMFile: join(tmp.path, 'missing.pem') }), id), (e: Error & { code?: string }) => e.code === 'NOT_FOUND' && /privateKeyPEMFile/.test(e.message));
  await assert.rejects(keysFromCredentials(resolver({ privateKeyPEM: 'not a key' }), id), (e: Error & { code?: string }) => e.code === 'KEY_ERROR' && !e.message.includes('not a key'));
});

test('signing config: the entry for the signature name wins over the general one; later entries win', () => {
  const e = (value: Record<string, unknown>) => ({ type: 'signing.config.ocm.software/v1alpha1', value });
  const rsa = (signatureAlgorithm: string, signatureEncodingPolicy?: string) => ({ type: 'RSASigningConfiguration/v1alpha1', signatureAlgorithm, ...(signatureEncodingPolicy ? { signatureEncodingPolicy } : {}) });
  const entries = [e({ signer: rsa('RSASSA-PKCS1-V1_5') }), e({ signature: 'prod', signer: rsa('RSASSA-PSS', 'PEM') }), e({ signer: rsa('RSASSA-PSS') })];
  const cases: [string, object][] = [
    ['prod', { algorithm: 'RSASSA-PSS', encoding: 'pem' }],
    ['dev', { algorithm: 'RSASSA-PSS' }],
  ];
  for (const [name, want] of cases) assert.deepEqual(signerConfigFor(entries, name), want, name);
  assert.deepEqual(signerConfigFor([], 'x'), {});
  assert.throws(() => signerConfigFor([e({ signer: { type: 'GPGSigningConfiguration/v1alpha1' } })], 'x'), /not supported/);
});

test('ocm sign/verify take keys and the PSS signer from the .ocmconfig (credentials + signing config)', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const f = (n: string) => join(tmp.path, n);
  await writeFile(f('priv.pem'), privPem);
  await writeFile(f('pub.pem'), pubPem);
  await writeFile(
    f('ocmconfig.yaml'),
    `type: generic.config.ocm.software/v1
configurations:
  - type: signing.config.ocm.software/v1alpha1
    signer: {type: RSASigningConfiguration/v1alpha1, signatureAlgorithm: RSASSA-PSS}
  - type: credentials.config.ocm.software
    consumers:
      - identity: {type: RSA/v1alpha1, algorithm: RSASSA-PSS, signature: prod}
        credentials:
          - {type: RSACredentials/v1, privateKeyPEMFile: ${f('priv.pem')}, publicKeyPEMFile: ${f('pub.pem')}}
`,
  );
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: f('ctf') }, { create: true });
  await addCv(repo, { name: 'acme.org/app', version: '1.0.0', resources: { data: 'x' } });
  await repo.close();
  const ref = `${f('ctf')}//acme.org/app:1.0.0`;
  const s = await runOcm(['--config', f('ocmconfig.yaml'), 'sign', 'cv', ref, '--signature', 'prod']);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /signature "prod" \(RSASSA-PSS,/);
  const v = await runOcm(['--config', f('ocmconfig.yaml'), 'verify', 'cv', ref, '--signature', 'prod']);
  assert.equal(v.code, 0, v.stderr);
});
