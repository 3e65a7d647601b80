import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOcmError } from '../../runtime/errors.js';
import { TypeRegistry } from '../../runtime/type-registry.js';
import { parseConfigText } from '../../config/load.js';
import { buildCredentialGraph, createCredentialGraph } from '../../credentials/graph.js';
import { CREDENTIAL_KIND, CREDENTIAL_REPOSITORY_KIND } from '../../credentials/typed.js';
import { createSession } from '../../session/session.js';
import type { Capability, DeclaredType, LoadedPlugin } from '../types.js';
import { registerCredentialCapability } from './index.js';
import { fakeConnection, pluginError, type FakeConnection } from './fake-connection.test.js';

const vaultSchema = {
  type: 'object',
  required: ['type', 'secretPath'],
  properties: { type: { type: 'string' }, secretPath: { type: 'string' } },
};

function loaded(conn: FakeConnection, capabilities: Capability[]): LoadedPlugin {
  return { info: { id: conn.id, path: `/plugins/${conn.id}`, capabilities: { capabilities, supportedConfigTypes: [] } }, connection: conn };
}

const declared = (type: string, schema?: Record<string, unknown>, aliases: string[] = []): DeclaredType => ({ type, aliases, ...(schema ? { schema } : {}) });

/** A toolbox-like credential plugin: `Vault/v1alpha1 {secretPath}` → identity `{type: Vault, hostname: vault.local, path}`. */
function vaultPlugin(resolveAnswer: unknown = { type: 'Credentials/v1', properties: { username: 'u', password: 'p' } }) {
  const conn = fakeConnection('toolbox', {
    '/consumer-identity': (c) => ({ type: 'Vault', hostname: 'vault.local', path: (c.body as { credential: { secretPath: string } }).credential.secretPath }),
    '/resolve': () => resolveAnswer,
  });
  const types = new TypeRegistry();
  registerCredentialCapability(types, loaded(conn, []), { type: 'credentialPlugin', types: { supportedCredentialPluginTypes: [declared('Vault/v1alpha1', vaultSchema)] } });
  return { conn, types };
}

const vaultConfig = `type: credentials.config.ocm.software
consumers:
- identity: {type: OCIRegistry, hostname: reg.local}
  credentials:
  - {type: Vault/v1alpha1, secretPath: team/reg}
- identity: {type: Vault, hostname: vault.local, path: team/reg}
  credentials: [{type: Credentials/v1, properties: {token: vault-token}}]
- identity: {type: OCIRegistry, hostname: other.local}
  credentials: [{type: Credentials/v1, properties: {username: x, password: y}}]
`;

test('credentialPlugin: registered as a plugin credential type with source, yields, schema and aliases', () => {
  const conn = fakeConnection('toolbox', {});
  const types = new TypeRegistry();
  registerCredentialCapability(types, loaded(conn, []), { type: 'credentialPlugin', types: { supportedCredentialPluginTypes: [declared('Vault/v1alpha1', vaultSchema, ['Vault'])] } });
  const r = types.get<{ form: string }>(CREDENTIAL_KIND, 'vault');
  assert.equal(r.type, 'Vault/v1alpha1');
  assert.equal(r.source, 'plugin "toolbox"');
  assert.equal(r.yields, true);
  assert.deepEqual(r.schema, vaultSchema);
  assert.equal(r.impl.form, 'plugin');
  assert.equal(conn.calls.length, 0, 'registration starts nothing');
});

test('credentialPlugin: ingestion asks /consumer-identity with the entry; resolution sends that identity and only the plugin’s own credentials', async () => {
  const { conn, types } = vaultPlugin();
  const graph = await buildCredentialGraph(parseConfigText(vaultConfig, '/cfg/.ocmconfig'), { types, autoDockerConfig: false, env: {} });
  assert.deepEqual(conn.callsTo('/consumer-identity').map((c) => c.body), [{ credential: { type: 'Vault/v1alpha1', secretPath: 'team/reg' } }]);
  assert.equal(conn.callsTo('/resolve').length, 0, 'nothing resolved before a lookup');

  assert.deepEqual({ ...(await graph.resolve({ type: 'OCIRegistry', hostname: 'reg.local' })) }, { username: 'u', password: 'p' });
  const [call] = conn.callsTo('/resolve');
  assert.deepEqual(call!.body, { identity: { type: 'Vault', hostname: 'vault.local', path: 'team/reg' } });
  assert.deepEqual(call!.credentials, { token: 'vault-token' });
  assert.equal(call!.noCredentials, 'omit');
  assert.equal(call!.method, 'POST');

  // Consumers that do not resolve through the plugin never cause a call.
  assert.deepEqual({ ...(await graph.resolve({ type: 'OCIRegistry', hostname: 'other.local' })) }, { username: 'x', password: 'y' });
  assert.equal(await graph.resolve({ type: 'OCIRegistry', hostname: 'unknown.local' }), undefined);
  assert.equal(conn.callsTo('/resolve').length, 1);
});

test('credentialPlugin: without credentials for the plugin’s identity, /resolve carries none (header omitted)', async () => {
  const { conn, types } = vaultPlugin({ type: 'OCICredentials/v1', username: 'typed', password: 'form' });
  const cfg = vaultConfig.split('- identity: {type: Vault')[0]!;
  const graph = await buildCredentialGraph(parseConfigText(cfg), { types, autoDockerConfig: false, env: {} });
  assert.deepEqual({ ...(await graph.resolve({ type: 'OCIRegistry', hostname: 'reg.local' })) }, { username: 'typed', password: 'form' });
  const [call] = conn.callsTo('/resolve');
  assert.equal(call!.credentials, undefined);
  assert.equal(call!.noCredentials, 'omit');
});

test('credentialPlugin: bad entries and plugin failures at ingestion name the file and the entry; a bad spec never reaches the plugin', async () => {
  const { conn, types } = vaultPlugin();
  const bad = `type: credentials.config.ocm.software
consumers:
- identity: {type: OCIRegistry, hostname: reg.local}
  credentials:
  - {type: Vault/v1alpha1, secretPath: 42}
`;
  await assert.rejects(
    buildCredentialGraph(parseConfigText(bad, '/cfg/a.yaml'), { types, autoDockerConfig: false }),
    (e) => isOcmError(e, 'CONFIG_ERROR') && /^config file \/cfg\/a\.yaml: consumers\[0\]\.credentials\[0\] \(Vault\/v1alpha1\) is invalid: .*secretPath/.test(e.message),
  );
  assert.equal(conn.calls.length, 0);

  const failing = fakeConnection('vaulty', { '/consumer-identity': () => Promise.reject(pluginError('vaulty', 500, 'vault sealed')) });
  const t2 = new TypeRegistry();
  registerCredentialCapability(t2, loaded(failing, []), { type: 'credentialPlugin', types: { supportedCredentialPluginTypes: [declared('Vault/v1alpha1', vaultSchema)] } });
  const cfg = parseConfigText(vaultConfig, '/cfg/b.yaml');
  const named = (e: unknown) => isOcmError(e, 'PLUGIN_ERROR') && /^config file \/cfg\/b\.yaml: consumers\[0\]\.credentials\[0\] \(Vault\/v1alpha1\): plugin "vaulty" returned status 500: vault sealed$/.test((e as Error).message);
  await assert.rejects(buildCredentialGraph(cfg, { types: t2, autoDockerConfig: false }), named);
  // The synchronous constructor defers the failure to the first lookup; the session's graph fails when built.
  await assert.rejects(createCredentialGraph(cfg, { types: t2, autoDockerConfig: false }).resolve({ type: 'OCIRegistry', hostname: 'other.local' }), named);
  await assert.rejects(createSession({ config: cfg, types: t2, env: {} }).credentialGraph(), named);

  const noType = fakeConnection('p', { '/consumer-identity': () => ({ hostname: 'x' }) });
  const t3 = new TypeRegistry();
  registerCredentialCapability(t3, loaded(noType, []), { type: 'credentialPlugin', types: { supportedCredentialPluginTypes: [declared('Vault/v1alpha1')] } });
  await assert.rejects(
    buildCredentialGraph(parseConfigText(vaultConfig, '/cfg/c.yaml'), { types: t3 }),
    (e) => isOcmError(e, 'PLUGIN_ERROR') && /^config file \/cfg\/c\.yaml: consumers\[0\]\.credentials\[0\] \(Vault\/v1alpha1\): plugin "p" answered \/consumer-identity with an identity without "type"$/.test(e.message),
  );
});

test('credentialPlugin: a plugin cannot take a built-in credential type', () => {
  const types = new TypeRegistry();
  const conn = fakeConnection('evil', {});
  createSession({ types });
  registerCredentialCapability(types, loaded(conn, []), { type: 'credentialPlugin', types: { supportedCredentialPluginTypes: [declared('Credentials/v1')] } });
  assert.equal(types.get<{ form: string }>(CREDENTIAL_KIND, 'Credentials/v1').impl.form, 'direct');
  assert.equal(types.shadowed().length, 1);
});

const secretsDirSchema = { type: 'object', required: ['type', 'path'], properties: { type: { type: 'string' }, path: { type: 'string' } } };

function secretsDir(consumerTypes: DeclaredType[] = [declared('OCIRegistry')]) {
  const conn = fakeConnection('toolbox', {
    '/consumer-identity': (c) => ({ type: 'SecretsDir', path: (c.body as { config: { path: string } }).config.path }),
    '/resolve': (c) => {
      const { identity } = c.body as { identity: { hostname: string } };
      return identity.hostname === 'known.io' ? { type: 'Credentials/v1', properties: { username: 'from-dir', password: 'pw' } } : {};
    },
  });
  const types = new TypeRegistry();
  registerCredentialCapability(types, loaded(conn, []), {
    type: 'credentialRepository',
    types: {
      supportedConsumerIdentityTypes: consumerTypes,
      supportedCredentialRepositorySpecTypes: [declared('SecretsDir/v1alpha1', secretsDirSchema)],
      customCredentialTypes: [declared('SecretsDirToken/v1', { type: 'object', properties: { type: { type: 'string' }, token: { type: 'string' } } })],
    },
  });
  return { conn, types };
}

const repoConfig = `type: credentials.config.ocm.software
consumers:
- identity: {type: SecretsDir, path: /secrets}
  credentials: [{type: SecretsDirToken/v1, token: dir-token}]
- identity: {type: OCIRegistry, hostname: configured.io}
  credentials: [{type: Credentials/v1, properties: {username: c}}]
repositories:
- repository: {type: SecretsDir/v1alpha1, path: /secrets}
`;

test('credentialRepository: reachable from repositories:, asked only when no consumer matched, with its own credentials', async () => {
  const { conn, types } = secretsDir();
  const r = types.get(CREDENTIAL_REPOSITORY_KIND, 'SecretsDir/v1alpha1');
  assert.equal(r.source, 'plugin "toolbox"');
  assert.equal(r.yields, true);
  const graph = await buildCredentialGraph(parseConfigText(repoConfig), { types, autoDockerConfig: false, env: {} });
  assert.equal(conn.calls.length, 0, 'repositories are asked lazily');

  assert.deepEqual({ ...(await graph.resolve({ type: 'OCIRegistry', hostname: 'known.io' })) }, { username: 'from-dir', password: 'pw' });
  assert.deepEqual(conn.callsTo('/consumer-identity').map((c) => c.body), [{ config: { type: 'SecretsDir/v1alpha1', path: '/secrets' } }]);
  const [resolve] = conn.callsTo('/resolve');
  assert.deepEqual(resolve!.body, { config: { type: 'SecretsDir/v1alpha1', path: '/secrets' }, identity: { type: 'OCIRegistry', hostname: 'known.io' } });
  assert.deepEqual(resolve!.credentials, { token: 'dir-token' }, 'the custom credential type of the plugin, configured for its identity');

  assert.equal(await graph.resolve({ type: 'OCIRegistry', hostname: 'unknown.io' }), undefined);
  const calls = conn.calls.length;
  // A matching consumer wins; a consumer type the repository does not serve never reaches it.
  assert.deepEqual({ ...(await graph.resolve({ type: 'OCIRegistry', hostname: 'configured.io' })) }, { username: 'c' });
  assert.equal(await graph.resolve({ type: 'HelmChartRepository', hostname: 'known.io' }), undefined);
  assert.equal(conn.calls.length, calls);
  const ex = await graph.explain({ type: 'HelmChartRepository', hostname: 'known.io' });
  assert.equal(ex.repositories[0]!.result, 'not applicable');
});

test('credentialRepository: a plugin declaring no consumer identity types serves any type (*)', async () => {
  const { conn, types } = secretsDir([]);
  const graph = await buildCredentialGraph(parseConfigText(repoConfig), { types, autoDockerConfig: false, env: {} });
  assert.deepEqual({ ...(await graph.resolve({ type: 'HelmChartRepository', hostname: 'known.io' })) }, { username: 'from-dir', password: 'pw' });
  assert.equal(conn.callsTo('/resolve').length, 1);
});

test('credentialRepository: an invalid repository spec is a CONFIG_ERROR naming the entry', async () => {
  const { conn, types } = secretsDir();
  const cfg = parseConfigText(`type: credentials.config.ocm.software\nrepositories:\n- repository: {type: SecretsDir/v1alpha1}\n`, '/cfg/r.yaml');
  await assert.rejects(
    buildCredentialGraph(cfg, { types }),
    (e) => isOcmError(e, 'CONFIG_ERROR') && /^config file \/cfg\/r\.yaml: repositories\[0\]\.repository \(SecretsDir\/v1alpha1\) is invalid: .*path/.test(e.message),
  );
  assert.equal(conn.calls.length, 0);
});

test('credential plugin answers are flattened: typed forms, bare maps, empty answers; non-strings are a PLUGIN_ERROR', async () => {
  for (const [answer, want] of [
    [{ type: 'Credentials/v1', properties: { a: '1' } }, { a: '1' }],
    [{ type: 'OCICredentials/v1', username: 'u' }, { username: 'u' }],
    [{ username: 'bare' }, { username: 'bare' }],
    [{}, undefined],
    [{ type: 'Credentials/v1' }, undefined],
  ] as const) {
    const { types } = vaultPlugin(answer);
    const graph = await buildCredentialGraph(parseConfigText(vaultConfig), { types, autoDockerConfig: false, env: {} });
    const got = await graph.resolve({ type: 'OCIRegistry', hostname: 'reg.local' });
    assert.deepEqual(got ? { ...got } : got, want, JSON.stringify(answer));
  }
  const { types } = vaultPlugin({ type: 'Credentials/v1', properties: { a: 1 } });
  const graph = await buildCredentialGraph(parseConfigText(vaultConfig), { types, autoDockerConfig: false, env: {} });
  await assert.rejects(graph.resolve({ type: 'OCIRegistry', hostname: 'reg.local' }), (e) => isOcmError(e, 'PLUGIN_ERROR') && /property "a" is not a string/.test(e.message));
});
