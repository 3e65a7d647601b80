import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../testing/fixtures.js';
import { isOcmError } from '../runtime/errors.js';
import { configFromDocuments } from '../config/load.js';
import { createCredentialGraph } from './graph.js';
import { convertToHostname, dockerKeyFor, DOCKER_HUB_KEY } from './docker-config.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const HELPER = `#!/bin/sh
url=$(cat)
echo "argc=$# arg=$1 stdin=$url" >> "$HELPER_LOG"
case "$url" in
  127.0.0.1:5000) echo '{"ServerURL":"127.0.0.1:5000","Username":"helper-user","Secret":"helper-secret"}';;
  tok.io) echo '{"ServerURL":"tok.io","Username":"<token>","Secret":"id-token-value"}';;
  boom.io) echo 'store exploded'; exit 1;;
  slow.io) sleep 5;;
  big.io) head -c 200000 /dev/zero | tr '\\0' 'a';;
  *) echo 'credentials not found in native keychain'; exit 1;;
esac
`;

async function setup(t: import('node:test').TestContext, docker: object) {
  const d = await tempDir();
  t.after(() => d.dispose());
  const bin = join(d.path, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'docker-credential-fake'), HELPER);
  await chmod(join(bin, 'docker-credential-fake'), 0o755);
  const dockerDir = join(d.path, 'dockercfg');
  await mkdir(dockerDir);
  await writeFile(join(dockerDir, 'config.json'), JSON.stringify(docker));
  const log = join(d.path, 'helper.log');
  const env = { PATH: `${bin}:${process.env.PATH}`, HOME: join(d.path, 'home'), DOCKER_CONFIG: dockerDir, HELPER_LOG: log };
  // No .ocmconfig at all: the default docker config is used (Go's auto-configuration).
  return { graph: createCredentialGraph({ entries: [], sources: [], warnings: [], explicit: false }, { env, helperTimeoutMs: 1500 }), log, env, d };
}

const oci = (hostname: string, port?: string) => ({ type: 'OCIRegistry', hostname, ...(port ? { port } : {}) });

test('auths entries: base64 auth, username/password, identitytoken, registrytoken; host:port only for a port lookup', async (t) => {
  const { graph } = await setup(t, {
    auths: {
      '127.0.0.1:5000': { auth: b64('alice:pa:ss') },
      'plain.io': { username: 'bob', password: 'pw' },
      'https://legacy.io/v1/': { auth: b64('carol:pw') },
      'tok.io': { identitytoken: 'refresh-me' },
      'reg.io': { registrytoken: 'bearer-me' },
    },
  });
  assert.deepEqual({ ...(await graph.resolve(oci('127.0.0.1', '5000'))) }, { username: 'alice', password: 'pa:ss' });
  assert.deepEqual({ ...(await graph.resolve(oci('plain.io'))) }, { username: 'bob', password: 'pw' });
  assert.deepEqual({ ...(await graph.resolve(oci('legacy.io'))) }, { username: 'carol', password: 'pw' });
  assert.deepEqual({ ...(await graph.resolve(oci('tok.io'))) }, { refreshToken: 'refresh-me' });
  assert.deepEqual({ ...(await graph.resolve(oci('reg.io'))) }, { accessToken: 'bearer-me' });
  assert.equal(await graph.resolve(oci('127.0.0.1')), undefined);
  assert.equal(await graph.resolve({ type: 'OCIRegistry' }), undefined);
  // other consumer types never get the docker fallback
  assert.equal(await graph.resolve({ type: 'HelmChartRepository', hostname: 'plain.io' }), undefined);
});

test('Docker Hub aliases: docker.io and index.docker.io use https://index.docker.io/v1/', async (t) => {
  assert.equal(dockerKeyFor(oci('docker.io')), DOCKER_HUB_KEY);
  assert.equal(dockerKeyFor(oci('index.docker.io')), DOCKER_HUB_KEY);
  assert.equal(convertToHostname('https://index.docker.io/v1/'), 'index.docker.io');
  const { graph } = await setup(t, { auths: { [DOCKER_HUB_KEY]: { auth: b64('hub:pw') } } });
  assert.equal((await graph.resolve(oci('docker.io')))?.username, 'hub');
  assert.equal((await graph.resolve(oci('index.docker.io')))?.username, 'hub');
  const short = await setup(t, { auths: { 'docker.io': { auth: b64('hub2:pw') } } });
  assert.equal((await short.graph.resolve(oci('docker.io')))?.username, 'hub2');
});

test('credHelpers beat credsStore beat auths; a helper "not found" does not fall back to auths', async (t) => {
  const { graph, log } = await setup(t, {
    credHelpers: { '127.0.0.1:5000': 'fake', 'tok.io': 'fake', 'nf.io': 'fake' },
    auths: { '127.0.0.1:5000': { auth: b64('file:pw') }, 'nf.io': { auth: b64('file:pw') } },
  });
  assert.deepEqual({ ...(await graph.resolve(oci('127.0.0.1', '5000'))) }, { username: 'helper-user', password: 'helper-secret' });
  assert.deepEqual({ ...(await graph.resolve(oci('tok.io'))) }, { refreshToken: 'id-token-value' });
  assert.equal(await graph.resolve(oci('nf.io')), undefined);
  // protocol: exactly one argument "get", server URL on stdin only
  const lines = (await readFile(log, 'utf8')).trim().split('\n');
  assert.ok(lines.includes('argc=1 arg=get stdin=127.0.0.1:5000'), lines.join('\n'));
  assert.ok(lines.every((l) => l.startsWith('argc=1 arg=get ')));

  const store = await setup(t, { credsStore: 'fake', auths: { 'tok.io': { auth: b64('file:pw') } } });
  assert.deepEqual({ ...(await store.graph.resolve(oci('tok.io'))) }, { refreshToken: 'id-token-value' });
  const e = await store.graph.explain(oci('tok.io'));
  assert.equal(e.outcome, 'repository');
  assert.match(e.repositories[0]!.detail, /credsStore → docker-credential-fake/);
});

test('helper failures are CREDENTIAL_ERRORs naming helper and server; timeouts, huge output and missing helpers too', async (t) => {
  const { graph } = await setup(t, { credHelpers: { 'boom.io': 'fake', 'slow.io': 'fake', 'big.io': 'fake', 'gone.io': 'missing' } });
  await assert.rejects(graph.resolve(oci('boom.io')), (e) => isOcmError(e, 'CREDENTIAL_ERROR') && /docker-credential-fake failed for boom\.io: exit 1: store exploded/.test(e.message));
  await assert.rejects(graph.resolve(oci('slow.io')), (e) => isOcmError(e, 'CREDENTIAL_ERROR') && /no answer within 1500 ms/.test(e.message));
  await assert.rejects(graph.resolve(oci('big.io')), (e) => isOcmError(e, 'CREDENTIAL_ERROR') && /output larger than/.test(e.message));
  await assert.rejects(graph.resolve(oci('gone.io')), (e) => isOcmError(e, 'CREDENTIAL_ERROR') && /docker-credential-missing is not on PATH/.test(e.message));
});

test('a malformed docker config is a CONFIG_ERROR naming the file, never its content', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  await writeFile(join(d.path, 'config.json'), '{"auths": {"x": {"auth": "c2VjcmV0LXZhbHVl"}');
  const graph = createCredentialGraph({ entries: [], sources: [], warnings: [], explicit: false }, { env: { HOME: d.path, DOCKER_CONFIG: d.path } });
  await assert.rejects(graph.resolve(oci('x')), (e) => isOcmError(e, 'CONFIG_ERROR') && /config\.json is not valid JSON/.test(e.message) && !/c2VjcmV0/.test(e.message));
});

test('DockerConfig/v1 with a file path (every ~ is $HOME) or inline JSON; a missing file means no credentials', async (t) => {
  const d = await tempDir();
  t.after(() => d.dispose());
  await writeFile(join(d.path, 'dc.json'), JSON.stringify({ auths: { 'f.io': { auth: b64('fromfile:pw') } } }));
  const cfg = configFromDocuments([
    {
      type: 'credentials.config.ocm.software',
      repositories: [
        { repository: { type: 'DockerConfig/v1', dockerConfigFile: '~/missing.json' } },
        { repository: { type: 'DockerConfig', dockerConfigFile: '~/dc.json' } },
        { repository: { type: 'DockerConfig/v1', dockerConfig: JSON.stringify({ auths: { 'i.io': { username: 'inline', password: 'pw' } } }) } },
      ],
    },
  ]);
  const graph = createCredentialGraph(cfg, { env: { HOME: d.path } });
  assert.equal((await graph.resolve(oci('f.io')))?.username, 'fromfile');
  assert.equal((await graph.resolve(oci('i.io')))?.username, 'inline');
  const e = await graph.explain(oci('none.io'));
  assert.equal(e.outcome, 'none');
  assert.deepEqual(e.repositories.map((r) => r.result), ['nothing', 'nothing', 'nothing']);
  assert.match(e.repositories[0]!.detail, /missing\.json does not exist/);
});

test('auto-configuration: only without any .ocmconfig, and OCM_DISABLE_AUTO_CONFIG turns it off', async (t) => {
  const { env } = await setup(t, { auths: { 'a.io': { username: 'u', password: 'p' } } });
  const none = { entries: [], sources: [], warnings: [], explicit: false };
  assert.equal((await createCredentialGraph(none, { env }).resolve(oci('a.io')))?.username, 'u');
  assert.equal(await createCredentialGraph(none, { env: { ...env, OCM_DISABLE_AUTO_CONFIG: 'true' } }).resolve(oci('a.io')), undefined);
  assert.equal(await createCredentialGraph(none, { env: { ...env, OCM_DISABLE_AUTO_CONFIG: 'yes please' } }).resolve(oci('a.io')), undefined);
  assert.equal((await createCredentialGraph(none, { env: { ...env, OCM_DISABLE_AUTO_CONFIG: 'false' } }).resolve(oci('a.io')))?.username, 'u');
  assert.equal(await createCredentialGraph({ ...none, sources: ['/x/.ocmconfig'] }, { env }).resolve(oci('a.io')), undefined);
  assert.equal(await createCredentialGraph({ ...none, explicit: true }, { env }).resolve(oci('a.io')), undefined);
});
