import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { isOcmError } from '../../runtime/errors.js';
import type { CredentialResolver } from '../../runtime/credentials-types.js';
import type { Identity } from '../../runtime/identity.js';
import { TypeRegistry } from '../../runtime/type-registry.js';
import { tempDir } from '../../testing/fixtures.js';
import { openRepository } from '../../repository/open.js';
import { addCv } from '../../signing/support.test.js';
import { signComponentVersion } from '../../signing/sign.js';
import { verifyComponentVersion } from '../../signing/verify.js';
import { signerConfigFor } from '../../signing/signer-config.js';
import { SIGNER_KIND } from '../../signing/spec-signer.js';
import type { LoadedPlugin } from '../types.js';
import { registerSigningCapability } from './index.js';
import { fakeConnection, pluginError, type FakeConnection } from './fake-connection.test.js';

const hmacSchema = { type: 'object', required: ['type'], properties: { type: { type: 'string' }, keyName: { type: 'string' } } };

interface Digest {
  hashAlgorithm: string;
  normalisationAlgorithm: string;
  value: string;
}

/** The toolbox's HMAC/v1alpha1 signing handler, in process: identity {type: HMACKey, name}, credential property `secret`. */
function hmacPlugin(): { conn: FakeConnection; types: TypeRegistry } {
  const mac = (secret: string, d: Digest) => createHmac('sha256', secret).update(`${d.hashAlgorithm}:${d.normalisationAlgorithm}:${d.value}`).digest('hex');
  const secretOf = (c: { credentials?: Readonly<Record<string, string>> }) => {
    if (!c.credentials?.secret) throw pluginError('toolbox', 500, 'no secret');
    return c.credentials.secret;
  };
  const conn = fakeConnection('toolbox', {
    '/sign/identity': (c) => {
      const b = c.body as { config: { keyName?: string }; name: string };
      return { identity: { type: 'HMACKey', name: b.config.keyName ?? b.name } };
    },
    '/verify/identity': (c) => {
      const b = c.body as { config: { keyName?: string }; signature: { name: string } };
      return { identity: { type: 'HMACKey', name: b.config.keyName ?? b.signature.name } };
    },
    '/sign': (c) => ({ signature: { algorithm: 'HMAC-SHA256', value: mac(secretOf(c), (c.body as { digest: Digest }).digest), mediaType: 'application/vnd.ocm.signature.hmac' } }),
    '/verify': (c) => {
      const { signature } = c.body as { signature: { digest: Digest; signature: { value: string } } };
      const want = Buffer.from(mac(secretOf(c), signature.digest), 'hex');
      const got = Buffer.from(signature.signature.value, 'hex');
      if (want.length !== got.length || !timingSafeEqual(want, got)) throw pluginError('toolbox', 500, 'signature mismatch');
      return {};
    },
  });
  const types = new TypeRegistry();
  const plugin: LoadedPlugin = { info: { id: 'toolbox', path: '/p/toolbox', capabilities: { capabilities: [], supportedConfigTypes: [] } }, connection: conn };
  registerSigningCapability(types, plugin, { type: 'signingHandler', types: { supportedSigningSpecTypes: [{ type: 'HMAC/v1alpha1', aliases: ['HMAC'], schema: hmacSchema }] } });
  return { conn, types };
}

/** Credentials by identity (records every lookup). */
function resolver(byName: Record<string, string>): CredentialResolver & { lookups: Identity[] } {
  const lookups: Identity[] = [];
  return {
    lookups,
    async resolve(identity) {
      lookups.push(identity);
      const secret = identity.type === 'HMACKey' ? byName[identity.name ?? ''] : undefined;
      return secret ? { secret } : undefined;
    },
  };
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const repo = await openRepository({ type: 'CommonTransportFormat/v1', filePath: join(tmp.path, 'ctf') }, { create: true });
  t.after(() => repo.close());
  await addCv(repo, { name: 'acme.org/app', version: '1.0.0', resources: { readme: 'hello' } });
  return repo;
}

test('signingHandler: registered under kind signer with source, yields, schema and aliases', () => {
  const { conn, types } = hmacPlugin();
  const r = types.get(SIGNER_KIND, 'hmac');
  assert.equal(r.type, 'HMAC/v1alpha1');
  assert.equal(r.source, 'plugin "toolbox"');
  assert.equal(r.yields, true);
  assert.deepEqual(r.schema, hmacSchema);
  assert.equal(conn.calls.length, 0);
});

test('signingHandler: sign and verify round trip with a plugin signer; the protocol bodies and credentials are Go’s', async (t) => {
  const repo = await setup(t);
  const { conn, types } = hmacPlugin();
  const creds = resolver({ release: 's3cret' });
  const signerSpec = { type: 'HMAC/v1alpha1', keyName: 'release' };
  const signed = await signComponentVersion({ repository: repo, component: 'acme.org/app', version: '1.0.0', name: 'acme', signerSpec, credentials: creds, registry: types });
  assert.deepEqual(signed.signature.signature.algorithm, 'HMAC-SHA256');
  assert.equal(signed.signature.signature.mediaType, 'application/vnd.ocm.signature.hmac');

  const [idCall] = conn.callsTo('/sign/identity');
  assert.deepEqual(idCall!.body, { digest: signed.signature.digest, config: signerSpec, name: 'acme' });
  const [signCall] = conn.callsTo('/sign');
  assert.deepEqual(signCall!.body, { digest: signed.signature.digest, config: signerSpec });
  assert.deepEqual(signCall!.credentials, { secret: 's3cret' });
  assert.equal(signCall!.noCredentials, 'empty-object');
  assert.deepEqual(creds.lookups, [{ type: 'HMACKey', name: 'release' }], 'only the identity the plugin named is looked up');

  const stored = await repo.getComponentVersion('acme.org/app', '1.0.0');
  assert.equal(stored.signatures?.[0]?.signature.value, signed.signature.signature.value);

  const ok = await verifyComponentVersion({ repository: repo, component: 'acme.org/app', version: '1.0.0', signature: 'acme', verifierSpec: signerSpec, credentials: creds, registry: types });
  assert.deepEqual(ok.verified.map((v) => [v.name, v.algorithm]), [['acme', 'HMAC-SHA256']]);
  const [verifyCall] = conn.callsTo('/verify');
  assert.deepEqual(verifyCall!.body, { signature: stored.signatures![0], config: signerSpec });
  assert.deepEqual(verifyCall!.credentials, { secret: 's3cret' });
  assert.deepEqual(conn.callsTo('/verify/identity')[0]!.body, { signature: stored.signatures![0], config: signerSpec });
});

test('signingHandler: a wrong key is VERIFICATION_FAILED with the plugin’s message; a tampered descriptor fails before the plugin is asked', async (t) => {
  const repo = await setup(t);
  const { conn, types } = hmacPlugin();
  const spec = { type: 'HMAC/v1alpha1', keyName: 'release' };
  await signComponentVersion({ repository: repo, component: 'acme.org/app', version: '1.0.0', name: 'acme', signerSpec: spec, credentials: resolver({ release: 'right' }), registry: types });

  const verify = (secret: string) =>
    verifyComponentVersion({ repository: repo, component: 'acme.org/app', version: '1.0.0', signature: 'acme', verifierSpec: spec, credentials: resolver({ release: secret }), registry: types });
  await assert.rejects(verify('wrong'), (e) => isOcmError(e, 'VERIFICATION_FAILED') && /^signature "acme" of acme\.org\/app:1\.0\.0 \(HMAC-SHA256\) does not verify with HMAC\/v1alpha1: .*signature mismatch/.test(e.message));

  const cd = await repo.getComponentVersion('acme.org/app', '1.0.0');
  await repo.addComponentVersion({ ...cd, component: { ...cd.component, provider: 'mallory.org' } }, { overwrite: true });
  const before = conn.callsTo('/verify').length;
  await assert.rejects(verify('right'), (e) => isOcmError(e, 'VERIFICATION_FAILED') && /was modified after signing: signature "acme"/.test(e.message));
  assert.equal(conn.callsTo('/verify').length, before);
});

test('signingHandler: a config violating the declared schema fails in our process; no credentials sends {}', async (t) => {
  const repo = await setup(t);
  const { conn, types } = hmacPlugin();
  await assert.rejects(
    signComponentVersion({ repository: repo, component: 'acme.org/app', version: '1.0.0', name: 'acme', signerSpec: { type: 'HMAC/v1alpha1', keyName: 7 }, registry: types }),
    (e) => isOcmError(e, 'VALIDATION_FAILED') && /keyName/.test(e.message),
  );
  assert.equal(conn.calls.length, 0);
  await assert.rejects(
    signComponentVersion({ repository: repo, component: 'acme.org/app', version: '1.0.0', name: 'acme', signerSpec: { type: 'HMAC/v1alpha1' }, credentials: resolver({}), registry: types }),
    (e) => isOcmError(e, 'PLUGIN_ERROR') && /no secret/.test(e.message),
  );
  const [signCall] = conn.callsTo('/sign');
  assert.equal(signCall!.credentials, undefined);
  assert.equal(signCall!.noCredentials, 'empty-object');
  await assert.rejects(
    signComponentVersion({ repository: repo, component: 'acme.org/app', version: '1.0.0', name: 'acme', signerSpec: { type: 'Nope/v1' }, registry: types }),
    (e) => isOcmError(e, 'UNSUPPORTED') && /unknown signer type "Nope\/v1"/.test(e.message),
  );
});

test('signing.config: a signer of a plugin type is used as the signer spec; an unknown type names the known ones', () => {
  const { types } = hmacPlugin();
  const entries = [{ type: 'signing.config.ocm.software/v1alpha1', value: { signer: { type: 'HMAC/v1alpha1', keyName: 'k' } } }];
  assert.deepEqual(signerConfigFor(entries, 'acme', types), { spec: { type: 'HMAC/v1alpha1', keyName: 'k' } });
  assert.throws(
    () => signerConfigFor([{ type: 'signing.config.ocm.software', value: { signer: { type: 'Other/v1' } } }], 'acme', types),
    (e) => isOcmError(e, 'UNSUPPORTED') && /signer type "Other\/v1" is not supported \(known: HMAC\/v1alpha1, RSASigningConfiguration\/v1alpha1;/.test(e.message),
  );
});
