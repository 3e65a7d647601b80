import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configSearchPaths } from '../../config/load.js';
import { tempDir } from '../../testing/fixtures.js';
import { candidateKeys, envFingerprint, fingerprintFiles, hash128, repositoryKey, storeKey } from './cache-key.js';

test('repositoryKey: OCI distribution paths give one key per registry and repository', () => {
  const cases: Array<[string, string | undefined]> = [
    ['https://ghcr.io/v2/org/img/blobs/sha256:abc', 'oci://ghcr.io/org/img'],
    ['https://ghcr.io/v2/org/img/manifests/latest', 'oci://ghcr.io/org/img'],
    ['https://ghcr.io/v2/org/img/tags/list', 'oci://ghcr.io/org/img'],
    ['https://ghcr.io/v2/org/img/referrers/sha256:abc', 'oci://ghcr.io/org/img'],
    ['https://GHCR.io:443/v2/a/b/c/blobs/sha256:abc?x=1', 'oci://ghcr.io/a/b/c'],
    ['https://127.0.0.1:5000/v2/team/app/blobs/sha256:abc', 'oci://127.0.0.1:5000/team/app'],
    ['http://127.0.0.1:5000/v2/team/app/blobs/sha256:abc', 'oci://http+127.0.0.1:5000/team/app'],
    ['https://ghcr.io/v2/', undefined],
    ['https://ghcr.io/v2/org/img', undefined],
    ['https://ghcr.io/v3/org/img/blobs/sha256:abc', undefined],
    ['https://user:pw@ghcr.io/v2/org/img/blobs/sha256:abc', undefined],
    ['grpcs://ghcr.io/v2/org/img/blobs/sha256:abc', undefined],
    ['not a url', undefined],
  ];
  for (const [uri, want] of cases) assert.equal(repositoryKey(uri), want, uri);
});

test('candidate and store keys: repository first, the exact URI (query included) second; scope none is never stored', () => {
  const blob = 'https://ghcr.io/v2/org/img/blobs/sha256:abc';
  const cases: Array<[string, string[], Record<'repository' | 'uri' | 'none', string | undefined>]> = [
    [blob, ['oci://ghcr.io/org/img', `uri:${blob}`], { repository: 'oci://ghcr.io/org/img', uri: `uri:${blob}`, none: undefined }],
    ['https://example.com/a.tgz?sig=1', ['uri:https://example.com/a.tgz?sig=1'], { repository: 'uri:https://example.com/a.tgz?sig=1', uri: 'uri:https://example.com/a.tgz?sig=1', none: undefined }],
  ];
  for (const [uri, candidates, stored] of cases) {
    assert.deepEqual(candidateKeys(uri), candidates, uri);
    for (const scope of ['repository', 'uri', 'none'] as const) assert.equal(storeKey(uri, scope), stored[scope], `${uri} ${scope}`);
  }
});

test('fingerprint files start with the 11 .ocmconfig discovery candidates of config/load.ts, in order', () => {
  for (const env of [{ HOME: '/h' }, { HOME: '/h', XDG_CONFIG_HOME: '/x', OCM_CONFIG: '/o/c' }]) {
    const want = configSearchPaths(env, '/w', '/e');
    assert.deepEqual(fingerprintFiles(env, '/w', '/e').slice(0, want.length), want);
  }
});

test('fingerprint: a changed token, config file, docker config or working directory is a different key; agent settings are not', async (t) => {
  const d = await tempDir();
  t.after(d.dispose);
  const home = join(d.path, 'home');
  await mkdir(join(home, '.docker'), { recursive: true });
  const env = { HOME: home, PATH: '/usr/bin' };
  const base = envFingerprint(env, d.path);
  assert.match(base, /^[0-9a-f]{32}$/);
  assert.equal(envFingerprint(env, d.path), base, 'stable');
  const differs: Array<[string, () => Promise<string> | string]> = [
    ['GHCR_TOKEN', () => envFingerprint({ ...env, GHCR_TOKEN: 'a' }, d.path)],
    ['GITHUB_TOKEN', () => envFingerprint({ ...env, GITHUB_TOKEN: 'a' }, d.path)],
    ['DOCKER_CONFIG', () => envFingerprint({ ...env, DOCKER_CONFIG: '/elsewhere' }, d.path)],
    ['CREDENTIAL_HELPER_GUESS_OCI_REGISTRY', () => envFingerprint({ ...env, CREDENTIAL_HELPER_GUESS_OCI_REGISTRY: '1' }, d.path)],
    ['cwd', () => envFingerprint(env, home)],
    ['~/.ocmconfig created', async () => (await writeFile(join(home, '.ocmconfig'), 'type: generic.config.ocm.software/v1\n'), envFingerprint(env, d.path))],
    ['docker config created', async () => (await writeFile(join(home, '.docker', 'config.json'), '{}'), envFingerprint(env, d.path))],
    ['tweag config created', async () => (await writeFile(join(d.path, '.tweag-credential-helper.json'), '{}'), envFingerprint(env, d.path))],
  ];
  const seen = new Set([base]);
  for (const [what, fp] of differs) {
    const v = await fp();
    assert.ok(!seen.has(v), `${what} changes the fingerprint`);
    seen.add(v);
  }
  const now = envFingerprint(env, d.path);
  await writeFile(join(home, '.ocmconfig'), 'type: generic.config.ocm.software/v1\nconfigurations: []\n');
  assert.notEqual(envFingerprint(env, d.path), now, 'an edited .ocmconfig changes the fingerprint');
  const after = envFingerprint(env, d.path);
  for (const name of ['CREDENTIAL_HELPER_STANDALONE', 'CREDENTIAL_HELPER_LOGGING', 'CREDENTIAL_HELPER_IDLE_TIMEOUT', 'CREDENTIAL_HELPER_AGENT_SOCKET']) {
    assert.equal(envFingerprint({ ...env, [name]: 'x' }, d.path), after, `${name} does not change answers`);
  }
});

test('hash128 spreads near-identical inputs', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(hash128(`GHCR_TOKEN=token-${i}`));
  assert.equal(seen.size, 10_000);
  assert.notEqual(hash128('a'), hash128('b'));
  assert.equal(hash128(''), hash128(''));
});
