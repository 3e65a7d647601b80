/**
 * The endpoints the TypeScript toolbox and the Python pytools plugin both serve (inputRepository,
 * blobTransformer, signingHandler, credentialPlugin, credentialRepository): the same requests give
 * the same bodies, status codes and header handling from either, as from a Go SDK plugin.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../../testing/fixtures.js';
import { ensureExamplesBuilt, exampleLaunchers, startPluginProcess, type PluginProcess } from '../../testing/plugin-process.js';

const hasPython = spawnSync('python3', ['--version']).status === 0;
const typed = (properties: Record<string, string>) => JSON.stringify({ type: 'Credentials/v1', properties });
const digest = { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'jsonNormalisation/v4alpha1', value: 'a'.repeat(64) };
const hmac = (secret: string, value: string) => createHmac('sha256', secret).update(value).digest('hex');

for (const [name, launcher] of [['toolbox', exampleLaunchers.toolbox], ['pytools', exampleLaunchers.pytools]] as const) {
  describe(`${name}: shared plugin types`, { skip: name === 'pytools' && !hasPython ? 'python3 is not installed: the Python example plugin cannot run' : false }, () => {
    let plugin: PluginProcess;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    const vault = () => join(dir.path, 'vault');
    const secrets = () => join(dir.path, 'secrets');
    before(async () => {
      dir = await tempDir('ocm-plugin-shared-');
      mkdirSync(join(vault(), 'team'), { recursive: true });
      writeFileSync(join(vault(), 'team', 'app.json'), JSON.stringify({ username: 'vu', password: 'vp', ignored: 1 }));
      writeFileSync(join(vault(), '.token'), 't0k\n');
      mkdirSync(secrets());
      writeFileSync(join(secrets(), 'registry.local_5000.json'), JSON.stringify({ username: 'ru', password: 'rp' }));
      writeFileSync(join(secrets(), 'ghcr.io.json'), JSON.stringify({ username: 'gu', password: 'gp' }));
      await ensureExamplesBuilt();
      plugin = await startPluginProcess(launcher, { id: `ocm-plugin-${name}`, type: 'unix' }, { env: { OCM_EXAMPLE_VAULT_DIR: vault() } });
    });
    after(async () => {
      await plugin?.stop();
      await dir?.dispose();
    });
    const post = (path: string, body: unknown, headers?: Record<string, string>) => plugin.call('POST', path, { body, ...(headers ? { headers } : {}) });
    const assertPlainError = (a: { status: number; text: string; headers: Record<string, unknown> }, status: number, text: RegExp) => {
      assert.equal(a.status, status, a.text);
      assert.equal(a.headers['content-type'], 'text/plain; charset=utf-8');
      assert.match(a.text, text);
      assert.ok(a.text.endsWith('\n') && !a.text.slice(0, -1).includes('\n'), JSON.stringify(a.text));
    };

    test('built-in endpoints: GET and HEAD /healthz 200, POST /healthz 405, unknown path 404, wrong method 405, bad JSON 400', async () => {
      assert.equal((await plugin.call('GET', '/healthz')).status, 200);
      assert.equal((await plugin.call('HEAD', '/healthz')).status, 200);
      assertPlainError(await plugin.call('POST', '/healthz'), 405, /^Method Not Allowed\n$/);
      assertPlainError(await plugin.call('GET', '/no/such/endpoint'), 404, /^404 page not found\n$/);
      assertPlainError(await plugin.call('GET', '/sign'), 405, /^Method Not Allowed\n$/);
      assertPlainError(await post('/sign', '{not json'), 400, /^failed to decode request body/);
      assertPlainError(await post('/sign', ''), 400, /^failed to decode request body/);
      assertPlainError(await post('/sign', '[1]'), 400, /must be a JSON object/);
      const chunked = await plugin.call('POST', '/identity', { body: { type: { type: 'Uppercase/v1alpha1' } }, chunked: true });
      assert.equal(chunked.status, 200, chunked.text);
      assert.deepEqual(chunked.json(), { identity: {} });
    });

    test('the socket sits in a private 0700 directory and is 0600', () => {
      assert.ok(plugin.socketPath);
      assert.equal(statSync(dirname(plugin.socketPath)).mode & 0o777, 0o700);
      assert.equal(statSync(plugin.socketPath).mode & 0o777, 0o600);
    });

    test('inputRepository Generated/v1alpha1: identity, resource and source processing into a 0600 localFile, schema errors 400', async () => {
      const id = await post('/identity', { type: { type: 'Generated/v1alpha1', text: 'x' } });
      assert.equal(id.status, 200, id.text);
      assert.deepEqual(id.json(), { identity: {} });
      const res = await post('/resource/process', { resource: { name: 'r', type: 'blob', relation: 'local', input: { type: 'Generated/v1alpha1', text: 'ab', repeat: 3, mediaType: 'text/x' } } });
      assert.equal(res.status, 200, res.text);
      const { resource, location } = res.json();
      assert.deepEqual(resource, { name: 'r', type: 'blob', relation: 'local' });
      assert.equal(location.type, 'localFile');
      assert.equal(location.mediaType, 'text/x');
      assert.equal(readFileSync(location.value, 'utf8'), 'ababab');
      assert.equal(statSync(location.value).mode & 0o777, 0o600);
      assert.equal(statSync(dirname(location.value)).mode & 0o777, 0o700);
      const src = await post('/source/process', { source: { name: 's', type: 'blob', input: { type: 'Generated/v1alpha1', text: 'z' } } });
      assert.equal(src.status, 200, src.text);
      assert.deepEqual(src.json().source, { name: 's', type: 'blob' });
      assert.equal(src.json().location.mediaType, 'text/plain');
      assert.equal(readFileSync(src.json().location.value, 'utf8'), 'z');
      assertPlainError(await post('/resource/process', { resource: { name: 'r', input: { type: 'Generated/v1alpha1' } } }), 400, /text is required/);
      assertPlainError(await post('/resource/process', { resource: { name: 'r', input: { type: 'Generated/v1alpha1', text: 'a', repeat: -1 } } }), 400, /repeat must be >= 0/);
      assertPlainError(await post('/resource/process', { resource: { name: 'r', input: { type: 'File/v1', path: '/x' } } }), 400, /unsupported resource\.input type "File\/v1"/);
      assertPlainError(await post('/resource/process', {}), 400, /resource is required/);
    });

    test('blobTransformer Uppercase/v1alpha1: transforms a localFile (UTF-8 safe), rejects other locations', async () => {
      const input = join(dir.path, 'in.txt');
      writeFileSync(input, 'héllo wörld');
      const r = await post('/blob/transform', { location: { type: 'localFile', value: input, mediaType: 'text/plain' }, specification: { type: 'Uppercase/v1alpha1' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json().location.type, 'localFile');
      assert.equal(r.json().location.mediaType, 'text/plain');
      assert.equal(readFileSync(r.json().location.value, 'utf8'), 'HÉLLO WÖRLD');
      assert.deepEqual((await post('/identity', { type: { type: 'Uppercase/v1alpha1' } })).json(), { identity: {} });
      assertPlainError(await post('/blob/transform', { location: { type: 'remoteURL', value: 'http://x' }, specification: { type: 'Uppercase/v1alpha1' } }), 400, /only localFile is supported/);
    });

    test('signingHandler HMAC/v1alpha1: identities, sign, verify, signature mismatch is a plain-text 500', async () => {
      const si = await post('/sign/identity', { digest, config: { type: 'HMAC/v1alpha1' }, name: 'sig1' });
      assert.deepEqual(si.json(), { identity: { type: 'HMACKey', name: 'sig1' } });
      const sk = await post('/sign/identity', { digest, config: { type: 'HMAC/v1alpha1', keyName: 'k1' }, name: 'sig1' });
      assert.deepEqual(sk.json(), { identity: { type: 'HMACKey', name: 'k1' } });
      const signature = { algorithm: 'HMAC-SHA256', value: hmac('s3cret', digest.value), mediaType: 'application/vnd.ocm.signature.hmac' };
      const vi = await post('/verify/identity', { signature: { name: 'sig1', digest, signature }, config: { type: 'HMAC/v1alpha1' } });
      assert.deepEqual(vi.json(), { identity: { type: 'HMACKey', name: 'sig1' } });
      for (const header of [typed({ secret: 's3cret' }), JSON.stringify({ secret: 's3cret' })]) {
        const signed = await post('/sign', { digest, config: { type: 'HMAC/v1alpha1' } }, { Authorization: header });
        assert.equal(signed.status, 200, signed.text);
        assert.deepEqual(signed.json(), { signature });
      }
      const ok = await post('/verify', { signature: { name: 'sig1', digest, signature }, config: { type: 'HMAC/v1alpha1' } }, { Authorization: typed({ secret: 's3cret' }) });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.json(), {});
      const bad = await post('/verify', { signature: { name: 'sig1', digest, signature: { ...signature, value: hmac('other', digest.value) } }, config: { type: 'HMAC/v1alpha1' } }, { Authorization: typed({ secret: 's3cret' }) });
      assertPlainError(bad, 500, /^signature mismatch\n$/);
      assertPlainError(await post('/sign', { config: { type: 'HMAC/v1alpha1' } }, { Authorization: typed({ secret: 's' }) }), 400, /digest is required/);
    });

    test('Authorization: {} and missing are no credentials, typed and flat work, garbage is 401', async () => {
      const body = { digest, config: { type: 'HMAC/v1alpha1' }, name: 'sig1' };
      assertPlainError(await post('/sign', body), 401, /^no credentials with property "secret"/);
      assertPlainError(await post('/sign', body, { Authorization: '{}' }), 401, /^no credentials with property "secret"/);
      assert.equal((await post('/sign', body, { Authorization: typed({ secret: 'x' }) })).status, 200);
      assert.equal((await post('/sign', body, { Authorization: '{"secret":"x"}' })).status, 200);
      assertPlainError(await post('/sign', body, { Authorization: 'Bearer abc' }), 401, /^incorrect authentication header format/);
      assertPlainError(await post('/resolve', { identity: { type: 'Vault', path: 'team/app' } }, { Authorization: '{"token":' }), 401, /^incorrect authentication header format/);
    });

    test('credentialPlugin Vault/v1alpha1: bare consumer identity, typed credentials from the vault dir, token check', async () => {
      const ci = await post('/consumer-identity', { credential: { type: 'Vault/v1alpha1', secretPath: 'team/app' } });
      assert.equal(ci.status, 200, ci.text);
      const identity = ci.json();
      assert.deepEqual(identity, { type: 'Vault', hostname: 'vault.local', path: 'team/app' });
      const expected = { type: 'Credentials/v1', properties: { password: 'vp', username: 'vu' } };
      for (const headers of [undefined, { Authorization: '{}' }, { Authorization: typed({ token: 't0k' }) }, { Authorization: '{"token":"t0k"}' }]) {
        const r = await post('/resolve', { identity }, headers);
        assert.equal(r.status, 200, `${JSON.stringify(headers)}: ${r.text}`);
        assert.deepEqual(r.json(), expected);
      }
      assertPlainError(await post('/resolve', { identity }, { Authorization: typed({ token: 'wrong' }) }), 401, /^vault token rejected\n$/);
      assertPlainError(await post('/resolve', { identity: { ...identity, path: 'team/none' } }), 404, /not found/);
      assertPlainError(await post('/resolve', { identity: { ...identity, path: '../vault/team/app' } }), 400, /invalid secret path/);
      assertPlainError(await post('/consumer-identity', { credential: { type: 'Vault/v1alpha1' } }), 400, /secretPath is required/);
    });

    test('credentialRepository SecretsDir/v1alpha1: bare consumer identity, OCIRegistry credentials per host and port', async () => {
      const config = { type: 'SecretsDir/v1alpha1', path: secrets() };
      const ci = await post('/consumer-identity', { config });
      assert.equal(ci.status, 200, ci.text);
      assert.deepEqual(ci.json(), { type: 'SecretsDir', path: secrets() });
      const withPort = await post('/resolve', { config, identity: { type: 'OCIRegistry', hostname: 'registry.local', port: '5000' } });
      assert.deepEqual(withPort.json(), { type: 'Credentials/v1', properties: { password: 'rp', username: 'ru' } });
      const noPort = await post('/resolve', { config, identity: { type: 'OCIRegistry', hostname: 'ghcr.io' } }, { Authorization: '{}' });
      assert.deepEqual(noPort.json(), { type: 'Credentials/v1', properties: { password: 'gp', username: 'gu' } });
      assertPlainError(await post('/resolve', { config, identity: { type: 'OCIRegistry', hostname: 'other.io' } }), 404, /not found/);
      assertPlainError(await post('/resolve', { config, identity: { type: 'OCIRegistry', hostname: '..' } }), 400, /invalid hostname/);
      assertPlainError(await post('/resolve', { config }), 400, /identity is required/);
    });
  });
}
