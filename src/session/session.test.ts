import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../testing/fixtures.js';
import { isOcmError } from '../runtime/errors.js';
import { TypeRegistry, defaultTypeRegistry } from '../runtime/type-registry.js';
import { configFromDocuments } from '../config/load.js';
import { CREDENTIAL_KIND, CREDENTIAL_REPOSITORY_KIND, registerCredentialType } from '../credentials/typed.js';
import { createSession } from './session.js';

const creds = (user: string) => `type: credentials.config.ocm.software
consumers:
- identity: {type: OCIRegistry, hostname: ghcr.io}
  credentials: [{type: Credentials/v1, properties: {username: ${user}, password: pw}}]
`;

test('a session built from explicit files resolves credentials by identity, reading nothing until used', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  const file = join(d.path, 'a.ocmconfig');
  // created before the file exists: nothing is read yet
  const session = createSession({ configFiles: [file], env: { HOME: d.path } });
  await writeFile(file, creds('alice'), { mode: 0o600 });
  assert.deepEqual({ ...(await session.credentials.resolve({ type: 'OCIRegistry', hostname: 'ghcr.io' })) }, { username: 'alice', password: 'pw' });
  assert.equal(await session.credentials.resolve({ type: 'OCIRegistry', hostname: 'quay.io' }), undefined);
  assert.deepEqual((await session.config()).sources, [file]);
  assert.equal(await session.credentialGraph(), await session.credentialGraph(), 'the graph is built once');
});

test('a session discovers .ocmconfig files from its env and cwd, not from the process', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  await writeFile(join(d.path, '.ocmconfig'), creds('discovered'), { mode: 0o600 });
  const session = createSession({ env: { HOME: join(d.path, 'nohome') }, cwd: d.path });
  assert.equal((await session.credentials.resolve({ type: 'OCIRegistry', hostname: 'ghcr.io' }))?.username, 'discovered');
});

test('a broken credentials part is a CONFIG_ERROR from the graph; a missing explicit file from config()', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  const bad = createSession({ config: configFromDocuments([{ type: 'credentials.config.ocm.software', consumers: [{ credentials: [] }] }], 'mem.yaml') });
  await assert.rejects(bad.credentialGraph(), (e) => isOcmError(e, 'CONFIG_ERROR') && /mem\.yaml: consumers\[0\] has no identity/.test(e.message));
  await assert.rejects(bad.credentials.resolve({ type: 'OCIRegistry', hostname: 'x' }), (e) => isOcmError(e, 'CONFIG_ERROR'));
  const missing = createSession({ configFiles: [join(d.path, 'nope.yaml')] });
  await assert.rejects(missing.config(), (e) => isOcmError(e, 'CONFIG_ERROR') && /does not exist/.test(e.message));
});

test('an aborted session signal stops config loading', async () => {
  const ac = new AbortController();
  ac.abort();
  const session = createSession({ configFiles: ['/does/not/matter'], signal: ac.signal });
  assert.equal(session.signal, ac.signal);
  await assert.rejects(session.config(), (e) => isOcmError(e, 'ABORTED') || (e as Error).name === 'AbortError');
});

test('session.types holds the credential kinds; a plugin registered there is used by the graph', async () => {
  const types = new TypeRegistry();
  const session = createSession({
    types,
    config: configFromDocuments([
      {
        type: 'credentials.config.ocm.software',
        consumers: [{ identity: { type: 'OCIRegistry', hostname: 'v.io' }, credentials: [{ type: 'acme.Vault', path: 'secret/x' }] }],
      },
    ]),
  });
  assert.equal(session.types, types);
  assert.equal(types.find(CREDENTIAL_KIND, 'DirectCredentials')?.type, 'Credentials/v1');
  assert.equal(types.find(CREDENTIAL_KIND, 'GPGCredentials')?.type, 'GPGCredentials/v1alpha1');
  assert.equal(types.find(CREDENTIAL_REPOSITORY_KIND, 'DockerConfig')?.type, 'DockerConfig/v1');
  registerCredentialType(types, 'acme.Vault/v1', {
    form: 'plugin',
    plugin: {
      consumerIdentity: (c) => ({ type: 'AcmeVault', path: String(c.path) }),
      resolve: async (id) => ({ token: `from-${id.path}` }),
    },
  });
  assert.deepEqual({ ...(await session.credentials.resolve({ type: 'OCIRegistry', hostname: 'v.io' })) }, { token: 'from-secret/x' });
  assert.equal(defaultTypeRegistry.find(CREDENTIAL_KIND, 'acme.Vault'), undefined, 'nothing leaks into the process-wide registry');
});

test('plugins passed as options stay private to the session graph', async () => {
  const session = createSession({
    config: configFromDocuments([
      { type: 'credentials.config.ocm.software', repositories: [{ repository: { type: 'acme.Store/v1alpha1' } }] },
    ]),
    repositoryPlugins: { 'acme.Store/v1alpha1': { consumerTypes: ['OCIRegistry'], resolve: async (_s, id) => ({ username: `store-${id.hostname}` }) } },
  });
  assert.equal((await session.credentials.resolve({ type: 'OCIRegistry', hostname: 'r.io' }))?.username, 'store-r.io');
  assert.equal(session.types.find(CREDENTIAL_REPOSITORY_KIND, 'acme.Store/v1alpha1'), undefined);
});
