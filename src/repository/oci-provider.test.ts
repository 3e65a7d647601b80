import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bytesBlob } from '../blob/blob.js';
import { openCtf } from '../ctf/index.js';
import { parseDescriptor } from '../descriptor/codec.js';
import { readAllBounded } from '../digest/digest.js';
import { copyReference } from '../oci/content/copy.js';
import { MediaType } from '../oci/content/media-types.js';
import { RegistryClient } from '../oci/remote/client.js';
import { isOcmError } from '../runtime/errors.js';
import type { CredentialResolver } from '../runtime/credentials-types.js';
import { runOcm } from '../testing/cli.js';
import { conformance, tempDir } from '../testing/fixtures.js';
import { startRegistry, type RunningRegistry } from '../testing/registry.js';
import { openRepository } from './open.js';
import { OciComponentRepository } from './oci-mapping/index.js';
import { ociRepositoryProvider } from './oci-provider.js';

const execFileP = promisify(execFile);
const COMPONENT = 'acme.org/registry-test';

function resolverFor(reg: RunningRegistry, user = reg.users[0]!): CredentialResolver & { asked: unknown[] } {
  const asked: unknown[] = [];
  return {
    asked,
    async resolve(identity) {
      asked.push(identity);
      return { username: user.username, password: user.password };
    },
  };
}

function cdYaml(version: string, resources: { name: string; ref: string; size: number }[]): string {
  return [
    'meta:',
    '  schemaVersion: v2',
    'component:',
    `  name: ${COMPONENT}`,
    `  version: ${version}`,
    '  provider: acme.org',
    '  repositoryContexts: []',
    '  sources: []',
    '  componentReferences: []',
    '  resources:',
    ...resources.flatMap((r) => [
      `  - name: ${r.name}`,
      '    type: blob',
      `    version: ${version}`,
      '    relation: local',
      '    access:',
      '      type: localBlob',
      `      localReference: ${r.ref}`,
      '      mediaType: application/octet-stream',
    ]),
  ].join('\n');
}

for (const auth of ['none', 'htpasswd', 'token'] as const) {
  test(`component versions with local blobs round-trip through a registry (${auth})`, async (t) => {
    const reg = await startRegistry({ auth });
    t.after(() => reg.stop());
    const credentials = resolverFor(reg);
    const spec = { type: 'OCIRegistry', baseUrl: reg.url, subPath: 'ocm' };
    const payload = randomBytes(200_000);
    const repo = await openRepository(spec, { credentials });
    const stored = await repo.addLocalBlob(COMPONENT, '1.0.0+b1', { content: bytesBlob(payload), mediaType: 'application/octet-stream' });
    await repo.addComponentVersion(parseDescriptor(cdYaml('1.0.0+b1', [{ name: 'data', ref: stored.localReference, size: payload.length }])));
    await repo.close();

    const again = await openRepository({ type: 'OCIRepository/v1', baseUrl: `${reg.url}/ocm` }, { credentials });
    t.after(() => again.close());
    assert.deepEqual(await again.listComponentVersions(COMPONENT), ['1.0.0+b1']);
    const cd = await again.getComponentVersion(COMPONENT, '1.0.0+b1');
    const res = cd.component.resources[0]!;
    const blob = await again.getLocalBlob(COMPONENT, '1.0.0+b1', res.access);
    assert.deepEqual(await readAllBounded(blob.stream, 1 << 20), payload);
    if (auth !== 'none') {
      assert.deepEqual(credentials.asked[0], { type: 'OCIRegistry', scheme: 'http', hostname: '127.0.0.1', port: String(reg.port), path: 'ocm' });
    }
  });
}

test('the provider derives the consumer identity and rejects specs without baseUrl', () => {
  assert.deepEqual(ociRepositoryProvider.consumerIdentity({ type: 'OCIRegistry', baseUrl: 'ghcr.io', subPath: 'acme' }), {
    type: 'OCIRegistry',
    hostname: 'ghcr.io',
    path: 'acme',
  });
  assert.throws(() => ociRepositoryProvider.consumerIdentity({ type: 'OCIRegistry' }), (e: unknown) => isOcmError(e, 'INVALID_ARGUMENT'));
});

test('wrong credentials for a registry repository give UNAUTHORIZED naming the registry', async (t) => {
  const reg = await startRegistry({ auth: 'htpasswd' });
  t.after(() => reg.stop());
  const repo = await openRepository(
    { type: 'OCIRegistry', baseUrl: reg.url },
    { credentials: { resolve: async () => ({ username: 'testuser', password: 'nope-nope' }) } },
  );
  t.after(() => repo.close());
  await assert.rejects(repo.listComponentVersions(COMPONENT), (e: unknown) => {
    assert.ok(isOcmError(e, 'UNAUTHORIZED'), String(e));
    assert.ok((e as Error).message.includes(reg.host));
    assert.ok(!(e as Error).message.includes('nope-nope'));
    assert.match((e as Error).message, /identity hostname=127\.0\.0\.1,.*type=OCIRegistry/);
    return true;
  });
});

test('a Go-written CTF component version copied to a registry keeps its manifest digest', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const ctf = await openCtf(conformance('ocm/ctf/v1-0.20.0-localblob/transport-archive'), { readOnly: true });
  t.after(() => ctf.close?.());
  const name = 'component-descriptors/github.com/acme.org/helloworld';
  const client = new RegistryClient();
  t.after(() => client.close());
  const root = await copyReference(ctf.repository(name), '1.0.0', client.repository(reg.host, name), '1.0.0');
  const remote = await client.repository(reg.host, name).resolve('1.0.0');
  assert.equal(remote.digest, root.digest);
  const repo = new OciComponentRepository(client.store(reg.host));
  const cd = await repo.getComponentVersion('github.com/acme.org/helloworld', '1.0.0');
  const blob = await repo.getLocalBlob('github.com/acme.org/helloworld', '1.0.0', cd.component.resources[0]!.access);
  assert.equal((await readAllBounded(blob.stream, 100)).toString(), 'test');
});

const CONSTRUCTOR = `components:
- name: acme.org/cli
  version: 2.0.0
  provider:
    name: acme.org
  resources:
  - name: data
    type: blob
    input:
      type: file
      path: data.bin
`;

test('ocm add/get cv and download resource work against http://127.0.0.1:PORT/prefix; CTF and registry manifests are identical; skopeo reads the result', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const payload = randomBytes(100_000);
  await writeFile(join(tmp.path, 'data.bin'), payload);
  await writeFile(join(tmp.path, 'component-constructor.yaml'), CONSTRUCTOR);
  const repoRef = `${reg.url}/prefix`;
  const add = await runOcm(['add', 'cv', '-r', repoRef, '-c', 'component-constructor.yaml'], { cwd: tmp.path });
  assert.equal(add.code, 0, add.stderr);
  const addCtf = await runOcm(['add', 'cv', '-r', join(tmp.path, 'ctf'), '-c', 'component-constructor.yaml'], { cwd: tmp.path });
  assert.equal(addCtf.code, 0, addCtf.stderr);

  const list = await runOcm(['get', 'cv', `${repoRef}//acme.org/cli`]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /acme\.org\/cli\s+2\.0\.0/);
  // The host/prefix form (no scheme: loopback means plain HTTP).
  const bare = await runOcm(['get', 'cv', `${reg.host}/prefix//acme.org/cli:2.0.0`, '-o', 'json']);
  assert.equal(bare.code, 0, bare.stderr);
  const dl = await runOcm(['download', 'resource', `${repoRef}//acme.org/cli:2.0.0`, '--identity', 'name=data', '-O', join(tmp.path, 'out.bin')]);
  assert.equal(dl.code, 0, dl.stderr);
  assert.deepEqual(await readFile(join(tmp.path, 'out.bin')), payload);

  const name = 'component-descriptors/acme.org/cli';
  const ctf = await openCtf(join(tmp.path, 'ctf'), { readOnly: true });
  t.after(() => ctf.close?.());
  const client = new RegistryClient();
  t.after(() => client.close());
  const fromCtf = await ctf.repository(name).resolve('2.0.0');
  const fromRegistry = await client.repository(reg.host, `prefix/${name}`).resolve('2.0.0');
  assert.equal(fromRegistry.digest, fromCtf.digest);

  const raw = await execFileP('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/prefix/${name}:2.0.0`]);
  const manifest = JSON.parse(raw.stdout) as { config: { mediaType: string }; layers: { mediaType: string; size: number }[] };
  assert.equal(manifest.config.mediaType, MediaType.componentConfig);
  assert.equal(manifest.layers[0]!.mediaType, MediaType.componentDescriptorYamlTar);
  assert.equal(manifest.layers[1]!.size, payload.length);
  const layout = join(tmp.path, 'skopeo-layout');
  await execFileP('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${reg.host}/prefix/${name}:2.0.0`, `oci:${layout}:cv`]);
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.equal(index.manifests[0]!.digest, fromRegistry.digest);
});

function ocmConfig(port: number, username: string, password: string): string {
  return [
    'type: generic.config.ocm.software/v1',
    'configurations:',
    '- type: credentials.config.ocm.software',
    '  consumers:',
    '  - identities:',
    '    - type: OCIRegistry',
    '      hostname: 127.0.0.1',
    `      port: "${port}"`,
    '    credentials:',
    '    - type: Credentials/v1',
    '      properties:',
    `        username: ${username}`,
    `        password: ${password}`,
    '',
  ].join('\n');
}

test('CLI against a token-auth registry: writer pushes, a pull-only user reads but cannot push, wrong password is UNAUTHORIZED', async (t) => {
  const reg = await startRegistry({
    auth: 'token',
    users: [
      { username: 'writer', password: 'w-pass' },
      { username: 'reader', password: 'r-pass', actions: ['pull'] },
    ],
  });
  t.after(() => reg.stop());
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  await writeFile(join(tmp.path, 'data.bin'), randomBytes(1000));
  await writeFile(join(tmp.path, 'component-constructor.yaml'), CONSTRUCTOR);
  const cfg = async (name: string, u: string, p: string) => {
    const f = join(tmp.path, name);
    await writeFile(f, ocmConfig(reg.port, u, p), { mode: 0o600 });
    return f;
  };
  const writer = await cfg('writer.yaml', 'writer', 'w-pass');
  const reader = await cfg('reader.yaml', 'reader', 'r-pass');
  const wrong = await cfg('wrong.yaml', 'writer', 'not-the-pass');
  const repoRef = `${reg.url}/tok`;
  const add = await runOcm(['--config', writer, 'add', 'cv', '-r', repoRef, '-c', 'component-constructor.yaml'], { cwd: tmp.path });
  assert.equal(add.code, 0, add.stderr);
  const get = await runOcm(['--config', reader, 'get', 'cv', `${repoRef}//acme.org/cli`]);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /acme\.org\/cli\s+2\.0\.0/);
  const denied = await runOcm(['--config', reader, 'add', 'cv', '--overwrite', '-r', `${reg.url}/other`, '-c', 'component-constructor.yaml'], { cwd: tmp.path });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /\[FORBIDDEN\]$/m);
  assert.match(denied.stderr, /identity hostname=127\.0\.0\.1,.*type=OCIRegistry/);
  assert.equal(denied.stderr.trimEnd().split('\n').length, 1, denied.stderr);
  const bad = await runOcm(['--config', wrong, 'get', 'cv', `${repoRef}//acme.org/cli`]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /\[UNAUTHORIZED\]$/m);
  assert.doesNotMatch(bad.stderr, /not-the-pass/);
  assert.match(bad.stderr, /identity hostname=127\.0\.0\.1,.*type=OCIRegistry/);
});
