/**
 * The example plugins as a host sees them: `capabilities` in Go's shape, and the endpoints only the
 * TypeScript plugins serve (filestore's component version repository and lister, the toolbox's
 * PluginStore resource repository and digest processor).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../../testing/fixtures.js';
import { ensureExamplesBuilt, exampleLaunchers, startPluginProcess, type PluginProcess } from '../../testing/plugin-process.js';

const hasPython = spawnSync('python3', ['--version']).status === 0;
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

type CapDoc = { capabilities: Record<string, unknown>[]; supportedConfigTypes?: string[] };
function capabilitiesOf(launcher: string): CapDoc {
  const r = spawnSync(launcher, ['capabilities'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1, 'one line of JSON on stdout');
  return JSON.parse(r.stdout) as CapDoc;
}
/** capability → list field → type → decoded schema; asserts Go's shape on the way. */
function typesOf(doc: CapDoc): Record<string, Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const cap of doc.capabilities) {
    const keys = Object.keys(cap);
    assert.equal(keys.at(-1), 'type');
    assert.deepEqual(keys.slice(0, -1), keys.slice(0, -1).sort());
    for (const field of keys.slice(0, -1)) {
      for (const t of cap[field] as Record<string, unknown>[]) {
        assert.deepEqual(Object.keys(t), ['aliases', 'jsonSchema', 'type']);
        assert.ok(t.aliases === null || Array.isArray(t.aliases));
        const schema = JSON.parse(Buffer.from(t.jsonSchema as string, 'base64').toString('utf8')) as Record<string, unknown>;
        assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
        ((out[cap.type as string] ??= {})[field] ??= {})[t.type as string] = schema;
      }
    }
  }
  return out;
}

before(() => ensureExamplesBuilt());

test('capabilities of every example parse as Go\'s shape and declare the agreed types; pytools declares the toolbox\'s shared types with the same schemas', { skip: hasPython ? false : 'python3 is not installed' }, () => {
  const toolbox = typesOf(capabilitiesOf(exampleLaunchers.toolbox));
  const filestore = typesOf(capabilitiesOf(exampleLaunchers.filestore));
  const pytools = typesOf(capabilitiesOf(exampleLaunchers.pytools));
  const names = (t: typeof toolbox) => Object.fromEntries(Object.entries(t).map(([c, f]) => [c, Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Object.keys(v)]))]));
  assert.deepEqual(names(filestore), {
    componentVersionRepository: { supportedRepositorySpecTypes: ['FileStore/v1alpha1'] },
    componentLister: { supportedRepositorySpecTypes: ['FileStore/v1alpha1'] },
  });
  const shared = {
    inputRepository: { supportedInputTypes: ['Generated/v1alpha1'] },
    blobTransformer: { supportedTransformerSpecTypes: ['Uppercase/v1alpha1'] },
    signingHandler: { supportedSigningSpecTypes: ['HMAC/v1alpha1'] },
    credentialPlugin: { supportedCredentialPluginTypes: ['Vault/v1alpha1'] },
    credentialRepository: { supportedConsumerIdentityTypes: ['OCIRegistry'], supportedCredentialRepositorySpecTypes: ['SecretsDir/v1alpha1'] },
  };
  assert.deepEqual(names(toolbox), {
    ...shared,
    resourceRepository: { supportedAccessTypes: ['PluginStore/v1alpha1'] },
    digestProcessorRepository: { supportedAccessTypes: ['PluginStore/v1alpha1'] },
  });
  assert.deepEqual(names(pytools), shared);
  for (const cap of Object.keys(shared)) assert.deepEqual(pytools[cap], toolbox[cap], cap);
});

describe('filestore: component version repository and lister on a directory', () => {
  let plugin: PluginProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let repository: { type: string; path: string };
  before(async () => {
    dir = await tempDir('ocm-plugin-filestore-');
    repository = { type: 'FileStore/v1alpha1', path: join(dir.path, 'store') };
    plugin = await startPluginProcess(exampleLaunchers.filestore, { id: 'ocm-plugin-filestore', type: 'unix' }, { env: { OCM_FILESTORE_PAGE_SIZE: '2' } });
  });
  after(async () => {
    await plugin?.stop();
    await dir?.dispose();
  });
  const descriptor = (name: string, version: string, resources: unknown[] = []) => ({
    meta: { schemaVersion: 'v2' },
    component: { name, version, provider: { name: 'acme' }, repositoryContexts: [], resources, sources: [], componentReferences: [] },
  });

  test('upload a local resource and a descriptor, then read them back (with the repository query parameter)', async () => {
    const blobFile = join(dir.path, 'blob.txt');
    writeFileSync(blobFile, 'hello blob');
    const up = await plugin.call('POST', '/local-resource/upload', { body: {
      repository, name: 'acme.org/app', version: '1.0.0',
      resourceLocation: { type: 'localFile', value: blobFile, mediaType: 'text/plain' },
      resource: { name: 'greeting', version: '1.0.0', type: 'blob', relation: 'local', access: { type: 'localBlob/v1' } },
    }, headers: { Authorization: '{}' } });
    assert.equal(up.status, 200, up.text);
    const resource = up.json();
    assert.deepEqual(resource.access, { type: 'localBlob/v1', localReference: `sha256:${sha256('hello blob')}`, mediaType: 'text/plain' });
    const cv = await plugin.call('POST', '/component-version/upload', { body: { repository, descriptor: descriptor('acme.org/app', '1.0.0', [resource]) }, headers: { Authorization: '{}' } });
    assert.equal(cv.status, 200, cv.text);
    assert.equal(cv.text, '');

    const q = { repository: b64url(repository) };
    const got = await plugin.call('GET', '/component-version/download', { query: { ...q, name: 'acme.org/app', version: '1.0.0' }, headers: { Authorization: '{}' } });
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.json(), descriptor('acme.org/app', '1.0.0', [resource]));
    const versions = await plugin.call('GET', '/component-versions', { query: { ...q, name: 'acme.org/app' } });
    assert.deepEqual(versions.json(), ['1.0.0']);
    assert.deepEqual((await plugin.call('GET', '/component-versions', { query: { ...q, name: 'acme.org/none' } })).json(), []);
    const local = await plugin.call('GET', '/local-resource/download', { query: { ...q, name: 'acme.org/app', version: '1.0.0', identity: b64({ name: 'greeting', version: '1.0.0' }) }, headers: { Authorization: '{}' } });
    assert.equal(local.status, 200, local.text);
    assert.deepEqual(local.json().resource, resource);
    assert.equal(local.json().location.mediaType, 'text/plain');
    assert.equal(readFileSync(local.json().location.value, 'utf8'), 'hello blob');
  });

  test('local sources: upload into the blob store, download by identity', async () => {
    const file = join(dir.path, 'src.tar');
    writeFileSync(file, 'source bytes');
    const up = await plugin.call('POST', '/local-source/upload', { body: {
      repository, name: 'acme.org/src', version: '2.0.0',
      sourceLocation: { type: 'localFile', value: file, mediaType: 'application/x-tar' },
      source: { name: 'code', version: '2.0.0', type: 'git', access: { type: 'localBlob/v1' } },
    } });
    assert.equal(up.status, 200, up.text);
    const source = up.json();
    assert.equal(source.access.localReference, `sha256:${sha256('source bytes')}`);
    assert.equal((await plugin.call('POST', '/component-version/upload', { body: { repository, descriptor: { ...descriptor('acme.org/src', '2.0.0'), component: { ...descriptor('acme.org/src', '2.0.0').component, sources: [source] } } } })).status, 200);
    const down = await plugin.call('GET', '/local-source/download', { query: { repository: b64url(repository), name: 'acme.org/src', version: '2.0.0', identity: b64({ name: 'code' }) } });
    assert.equal(down.status, 200, down.text);
    assert.deepEqual(down.json().source, source);
    assert.equal(readFileSync(down.json().location.value, 'utf8'), 'source bytes');
  });

  test('reads: 404 for a missing version or resource, 400 without repository or with a bad identity, 401 for a garbage Authorization', async () => {
    const q = { repository: b64url(repository) };
    const missing = await plugin.call('GET', '/component-version/download', { query: { ...q, name: 'acme.org/app', version: '9.9.9' } });
    assert.equal(missing.status, 404);
    assert.match(missing.text, /^component version acme\.org\/app:9\.9\.9 not found/);
    const noRepo = await plugin.call('GET', '/component-version/download', { query: { name: 'acme.org/app', version: '1.0.0' } });
    assert.equal(noRepo.status, 400);
    assert.match(noRepo.text, /the host did not send the repository parameter/);
    const noName = await plugin.call('GET', '/component-version/download', { query: { ...q, version: '1.0.0' } });
    assert.equal(noName.status, 400);
    assert.match(noName.text, /query parameter name is required/);
    const badId = await plugin.call('GET', '/local-resource/download', { query: { ...q, name: 'acme.org/app', version: '1.0.0', identity: '!!!' } });
    assert.equal(badId.status, 400);
    const noRes = await plugin.call('GET', '/local-resource/download', { query: { ...q, name: 'acme.org/app', version: '1.0.0', identity: b64({ name: 'nope' }) } });
    assert.equal(noRes.status, 404);
    const badRepo = await plugin.call('GET', '/component-versions', { query: { repository: b64url({ type: 'Other/v1' }), name: 'x' } });
    assert.equal(badRepo.status, 400);
    assert.match(badRepo.text, /unsupported repository type "Other\/v1"/);
    const garbage = await plugin.call('GET', '/component-versions', { query: { ...q, name: 'x' }, headers: { Authorization: 'nope' } });
    assert.equal(garbage.status, 401);
    assert.match(garbage.text, /^incorrect authentication header format/);
  });

  test('identity, check-health, and /components/list pages with a last cursor', async () => {
    assert.deepEqual((await plugin.call('POST', '/identity', { body: { type: repository } })).json(), { identity: {} });
    assert.equal((await plugin.call('POST', '/component-version/check-health', { body: { repository } })).status, 200);
    for (const name of ['acme.org/b', 'acme.org/c']) {
      assert.equal((await plugin.call('POST', '/component-version/upload', { body: { repository, descriptor: descriptor(name, '0.1.0') } })).status, 200);
    }
    const first = await plugin.call('POST', '/components/list', { body: { repository }, headers: { Authorization: '{}' } });
    assert.deepEqual(first.json(), { list: ['acme.org/app', 'acme.org/b'], header: { last: 'acme.org/b' } });
    const second = await plugin.call('POST', '/components/list', { body: { repository, last: 'acme.org/b' } });
    assert.deepEqual(second.json(), { list: ['acme.org/c', 'acme.org/src'] });
    const third = await plugin.call('POST', '/components/list', { body: { repository, last: 'acme.org/src' } });
    assert.deepEqual(third.json(), { list: [] });
    const empty = await plugin.call('POST', '/components/list', { body: { repository: { ...repository, path: join(dir.path, 'none') } } });
    assert.deepEqual(empty.json(), { list: [] });
    const bad = await plugin.call('POST', '/components/list', { body: { repository: { type: 'FileStore/v1alpha1' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /path is required/);
  });
});

describe('toolbox: PluginStore/v1alpha1 resource repository and digest processor', () => {
  let plugin: PluginProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('ocm-plugin-store-');
    mkdirSync(join(dir.path, 'store'));
    writeFileSync(join(dir.path, 'store', 'data.bin'), 'stored bytes');
    plugin = await startPluginProcess(exampleLaunchers.toolbox, { id: 'ocm-plugin-toolbox', type: 'unix' });
  });
  after(async () => {
    await plugin?.stop();
    await dir?.dispose();
  });
  const access = () => ({ type: 'PluginStore/v1alpha1', path: join(dir.path, 'store', 'data.bin') });

  test('identity, get (a copy in a localFile), add, digest', async () => {
    assert.deepEqual((await plugin.call('POST', '/identity', { body: { type: access() } })).json(), { identity: { type: 'PluginStore', hostname: 'plugin-store.local' } });
    const resource = { name: 'data', version: '1.0.0', type: 'blob', relation: 'external', access: access() };
    const got = await plugin.call('POST', '/resource/get', { body: { resource } });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json().location.type, 'localFile');
    assert.notEqual(got.json().location.value, access().path);
    assert.equal(readFileSync(got.json().location.value, 'utf8'), 'stored bytes');

    const digested = await plugin.call('POST', '/resource/digest/process', { body: { resource } });
    assert.equal(digested.status, 200, digested.text);
    assert.deepEqual(digested.json(), { resource: { ...resource, digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: sha256('stored bytes') } } });
    const mismatch = await plugin.call('POST', '/resource/digest/process', { body: { resource: { ...resource, digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: sha256('other') } } } });
    assert.equal(mismatch.status, 500);
    assert.match(mismatch.text, /^digest mismatch/);

    const src = join(dir.path, 'upload.txt');
    writeFileSync(src, 'new content');
    const target = { type: 'PluginStore/v1alpha1', path: join(dir.path, 'store', 'added.bin') };
    const added = await plugin.call('POST', '/resource/add', { body: { resourceLocation: { type: 'localFile', value: src }, resource: { ...resource, access: target } } });
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.json(), { resource: { ...resource, access: target } });
    assert.equal(readFileSync(target.path, 'utf8'), 'new content');
  });

  test('missing file 404, bad access spec 400', async () => {
    const missing = await plugin.call('POST', '/resource/get', { body: { resource: { name: 'x', access: { type: 'PluginStore/v1alpha1', path: join(dir.path, 'nope') } } } });
    assert.equal(missing.status, 404);
    const bad = await plugin.call('POST', '/resource/digest/process', { body: { resource: { name: 'x', access: { type: 'PluginStore/v1alpha1' } } } });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^invalid resource\.access of type PluginStore\/v1alpha1: path is required\n$/);
  });
});
