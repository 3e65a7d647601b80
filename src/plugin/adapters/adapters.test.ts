/**
 * Protocol tests of the adapters against an in-process fake connection that records every call:
 * which endpoint, which body and query, which credentials (and `{}` vs no header).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { bytesBlob } from '../../blob/blob.js';
import { addComponentVersions } from '../../constructor/construct.js';
import { parseConstructor } from '../../constructor/parse.js';
import type { InputMethod } from '../../constructor/types.js';
import { readAllBounded } from '../../digest/digest.js';
import type { ComponentDescriptor, Resource } from '../../descriptor/types.js';
import { MemoryStore } from '../../oci/content/memory.js';
import { accessCredentials, type AccessMethod, type ArtifactDigester } from '../../repository/access.js';
import type { ComponentLister } from '../../repository/lister.js';
import { OciComponentRepository } from '../../repository/oci-mapping/repository.js';
import { openRepository } from '../../repository/open.js';
import type { BlobTransformer } from '../../repository/transformer.js';
import type { RepositoryProvider } from '../../repository/types.js';
import { isOcmError } from '../../runtime/errors.js';
import { TypeRegistry } from '../../runtime/type-registry.js';
import { FakeConnection, declared, fakePlugin } from '../../testing/fake-plugin-connection.js';
import type { PluginCall } from '../types.js';
import { registerPluginTypes } from './index.js';
import { registerBuiltinInputs } from '../../constructor/inputs/index.js';

const STORE = 'FileStore/v1alpha1';
const storeSchema = { type: 'object', required: ['type', 'path'], properties: { type: { type: 'string' }, path: { type: 'string' } } };
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const fromB64url = (s: string | undefined) => JSON.parse(Buffer.from(s ?? '', 'base64url').toString('utf8'));
const fromB64 = (s: string | undefined) => JSON.parse(Buffer.from(s ?? '', 'base64').toString('utf8'));
const resolver = (secret: Record<string, string>, asked: unknown[] = []) => ({
  async resolve(id: Record<string, string>) {
    asked.push(id);
    return id.type === 'FileStore' ? secret : undefined;
  },
});

function descriptor(resources: Resource[] = []): ComponentDescriptor {
  return {
    meta: { schemaVersion: 'v2' },
    component: { name: 'acme.org/app', version: '1.0.0', provider: 'acme.org', repositoryContexts: [], resources, sources: [], componentReferences: [] },
  };
}

test('registerPluginTypes: every capability becomes a yielding registration of the plugin, with schema, aliases and description', async () => {
  const conn = new FakeConnection('store');
  const registry = new TypeRegistry();
  const problems = registerPluginTypes(registry, [
    fakePlugin(conn, {
      componentVersionRepository: [declared(STORE, storeSchema, ['FileStore'])],
      componentLister: [declared(STORE, storeSchema)],
      resourceRepository: [declared('PluginStore/v1alpha1')],
      inputRepository: [declared('Generated/v1alpha1')],
      blobTransformer: [declared('Uppercase/v1alpha1')],
    }),
  ]);
  assert.deepEqual(problems, []);
  for (const [kind, type] of [['repository', 'FileStore'], ['lister', STORE], ['access', 'PluginStore/v1alpha1'], ['input', 'generated/v1alpha1'], ['blob-transformer', 'Uppercase/v1alpha1']]) {
    const r = registry.find(kind!, type!);
    assert.ok(r, `${kind} ${type}`);
    assert.equal(r.source, 'plugin "store"');
    assert.equal(r.yields, true);
    assert.match(r.description ?? '', /served by plugin "store" \(\/plugins\/store\)/);
  }
  assert.deepEqual(registry.find('repository', STORE)?.schema, storeSchema);
  // repository built-ins are registered first; input built-ins are not loaded (start-up cost) and
  // still take their names whenever they register (`yields`)
  assert.equal(registry.find('repository', 'ctf')?.source, 'built-in');
  assert.equal(registry.find('input', 'file'), undefined);
  registerBuiltinInputs(registry);
  assert.equal(registry.find('input', 'file')?.source, 'built-in');
  assert.equal(conn.calls.length, 0, 'registering starts no plugin');
});

test('registerPluginTypes: a built-in name stays the built-in; a second plugin claiming a name is skipped whole, naming both', () => {
  const registry = new TypeRegistry();
  const a = fakePlugin(new FakeConnection('a'), { componentVersionRepository: [declared('CommonTransportFormat/v1'), declared(STORE)] });
  const b = fakePlugin(new FakeConnection('b'), { inputRepository: [declared('Other/v1')], componentVersionRepository: [declared('filestore/v1alpha1')] });
  const problems = registerPluginTypes(registry, [a, b]);
  assert.equal(registry.find('repository', 'CommonTransportFormat/v1')?.source, 'built-in');
  assert.ok(registry.shadowed().some((s) => s.type === 'CommonTransportFormat/v1' && s.shadowed.source === 'plugin "a"'));
  assert.equal(registry.find('repository', STORE)?.source, 'plugin "a"');
  assert.equal(registry.find('input', 'Other/v1'), undefined, 'the conflicting plugin registers nothing');
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.id, 'b');
  assert.match(problems[0]!.error, /filestore\/v1alpha1.*componentVersionRepository.*already provided by plugin "a"/);
});

test('registerPluginTypes: a capability type without adapter here is a problem, the plugin is skipped', () => {
  const registry = new TypeRegistry();
  const plugin = fakePlugin(new FakeConnection('s'), { inputRepository: [declared('X/v1')] });
  // A capability a newer protocol might add (the manager rejects unknown ones; this is the adapters' own guard).
  const future = { ...plugin, info: { ...plugin.info, capabilities: { ...plugin.info.capabilities, capabilities: [...plugin.info.capabilities.capabilities, { type: 'futureThing' as never, types: {} }] } } };
  const problems = registerPluginTypes(registry, [future]);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.error, /capability "futureThing"/);
  assert.equal(registry.find('input', 'X/v1'), undefined);
});

test('repository adapter: /identity once, credentials on every call ({} when none), repository spec as base64url query on GETs', async () => {
  const cd = descriptor();
  const conn = new FakeConnection('store', {
    'POST /identity': () => ({ identity: { type: 'FileStore', path: '/srv' } }),
    'GET /component-version/download': () => cd,
    'GET /component-versions': () => ['1.0.0', '2.0.0'],
    'POST /component-version/upload': () => undefined,
  });
  const registry = new TypeRegistry();
  registerPluginTypes(registry, [fakePlugin(conn, { componentVersionRepository: [declared(STORE, storeSchema)] })]);
  const spec = { type: STORE, path: '/srv' };
  const asked: unknown[] = [];
  const repo = await openRepository(spec, { registry, credentials: resolver({ token: 't0k' }, asked) });
  assert.deepEqual(await repo.getComponentVersion('acme.org/app', '1.0.0'), cd);
  assert.deepEqual(await repo.listComponentVersions('acme.org/app'), ['1.0.0', '2.0.0']);
  await repo.addComponentVersion(cd);
  await repo.close();
  assert.deepEqual(asked, [{ type: 'FileStore', path: '/srv' }]);
  assert.deepEqual(conn.to('/identity').map((c) => c.body), [{ type: spec }]);
  const get = conn.to('/component-version/download')[0]!;
  assert.deepEqual({ name: get.query?.name, version: get.query?.version }, { name: 'acme.org/app', version: '1.0.0' });
  assert.deepEqual(fromB64url(get.query?.repository), spec);
  assert.deepEqual(fromB64url(conn.to('/component-versions')[0]!.query?.repository), spec);
  assert.deepEqual(conn.to('/component-version/upload')[0]!.body, { repository: spec, descriptor: cd });
  for (const c of conn.calls.filter((c) => c.path !== '/identity')) {
    assert.deepEqual(c.credentials, { token: 't0k' });
    assert.equal(c.noCredentials, 'empty-object');
  }

  // without credentials: no identity call, `{}` on the wire (noCredentials: empty-object)
  const anon = await openRepository(spec, { registry });
  await anon.getComponentVersion('acme.org/app', '1.0.0');
  const last = conn.calls.at(-1)!;
  assert.equal(last.credentials, undefined);
  assert.equal(last.noCredentials, 'empty-object');
  assert.equal(conn.to('/identity').length, 1);
});

test('repository adapter: a spec the declared schema rejects fails in our process, before any call', async () => {
  const conn = new FakeConnection('store');
  const registry = new TypeRegistry();
  registerPluginTypes(registry, [fakePlugin(conn, { componentVersionRepository: [declared(STORE, storeSchema)] })]);
  await assert.rejects(openRepository({ type: STORE }, { registry }), (e: unknown) => isOcmError(e, 'VALIDATION_FAILED') && /path/.test((e as Error).message));
  assert.equal(conn.calls.length, 0);
});

test('repository adapter: addLocalBlob streams into a 0600 temp file, uploads it with the element, removes it; getLocalBlob reads and verifies the returned file', async () => {
  const content = Buffer.from('hello plugin\n');
  const digest = `sha256:${sha(content)}`;
  let uploaded: { path: string; mode: number; bytes: Buffer } | undefined;
  const stored = new Map<string, Buffer>();
  const conn: FakeConnection = new FakeConnection('store', {
    'POST /local-resource/upload': async (c: PluginCall) => {
      const body = c.body as { resourceLocation: { type: string; value: string }; resource: Resource };
      const s = await stat(body.resourceLocation.value);
      uploaded = { path: body.resourceLocation.value, mode: s.mode & 0o777, bytes: await readFile(body.resourceLocation.value) };
      stored.set('blob-1', uploaded.bytes);
      return { ...body.resource, access: { type: 'localBlob/v1', localReference: 'blob-1', mediaType: 'text/plain' } };
    },
    'GET /component-version/download': () =>
      descriptor([{ name: 'readme', version: '1.0.0', type: 'blob', relation: 'local', access: { type: 'localBlob/v1', localReference: 'blob-1', mediaType: 'text/plain' }, digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: sha(content) } }]),
    'GET /local-resource/download': async () => {
      const out = join(await conn.tempDir(), 'out-1');
      await writeFile(out, stored.get('blob-1')!, { mode: 0o600 });
      return { location: { type: 'localFile', value: out }, resource: {} };
    },
  });
  const registry = new TypeRegistry();
  registerPluginTypes(registry, [fakePlugin(conn, { componentVersionRepository: [declared(STORE, storeSchema)] })]);
  try {
    const repo = await openRepository({ type: STORE, path: '/srv' }, { registry });
    const res = await repo.addLocalBlob('acme.org/app', '1.0.0', {
      content: bytesBlob(content),
      mediaType: 'text/plain',
      artifacts: [{ kind: 'resource', identity: { name: 'readme', version: '1.0.0', os: 'linux' }, type: 'plainText' }],
    });
    assert.deepEqual(res, { localReference: 'blob-1', mediaType: 'text/plain', digest, size: content.length });
    assert.equal(uploaded?.mode, 0o600);
    assert.deepEqual(uploaded?.bytes, content);
    await assert.rejects(stat(uploaded!.path), 'the upload file is removed afterwards');
    const up = conn.to('/local-resource/upload')[0]!.body as Record<string, unknown>;
    assert.deepEqual(
      { ...up, resourceLocation: undefined },
      {
        repository: { type: STORE, path: '/srv' },
        name: 'acme.org/app',
        version: '1.0.0',
        resourceLocation: undefined,
        resource: {
          name: 'readme', version: '1.0.0', type: 'plainText', relation: 'local', extraIdentity: { os: 'linux' },
          access: { type: 'localBlob/v1', localReference: digest, mediaType: 'text/plain' },
          digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: sha(content) },
        },
      },
    );

    const blob = await repo.getLocalBlob('acme.org/app', '1.0.0', { type: 'localBlob/v1', localReference: 'blob-1', mediaType: 'text/plain' });
    assert.deepEqual(await readAllBounded(blob.stream, 1024), content);
    const dl = conn.to('/local-resource/download')[0]!;
    assert.deepEqual(fromB64(dl.query?.identity), { name: 'readme', version: '1.0.0' });
    assert.deepEqual(fromB64url(dl.query?.repository), { type: STORE, path: '/srv' });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await readdir(await conn.tempDir()), [], 'the returned file in the plugin temp dir is removed once read');

    // a file that does not match the recorded digest is a DIGEST_MISMATCH
    stored.set('blob-1', Buffer.from('tampered\n'));
    const bad = await repo.getLocalBlob('acme.org/app', '1.0.0', { type: 'localBlob/v1', localReference: 'blob-1' });
    await assert.rejects(readAllBounded(bad.stream, 1024), (e: unknown) => isOcmError(e, 'DIGEST_MISMATCH'));
    await assert.rejects(repo.getLocalBlob('acme.org/app', '1.0.0', { type: 'localBlob/v1', localReference: 'nope' }), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
  } finally {
    await conn.dispose();
  }
});

test('lister adapter: follows header.last page by page; a repeating cursor is a PLUGIN_ERROR', async () => {
  const pages: Record<string, unknown> = { '': { list: ['a.org/x', 'a.org/y'], header: { last: 'p2' } }, p2: { list: ['a.org/y', 'a.org/z'] } };
  const conn = new FakeConnection('store', { 'POST /components/list': (c) => pages[(c.body as { last: string }).last] });
  const registry = new TypeRegistry();
  registerPluginTypes(registry, [fakePlugin(conn, { componentLister: [declared(STORE)] })]);
  const lister = registry.get<ComponentLister>('lister', STORE).impl;
  const names: string[] = [];
  for await (const n of lister.listComponents({ type: STORE, path: '/srv' }, { credentials: { token: 'x' } })) names.push(n);
  assert.deepEqual(names, ['a.org/x', 'a.org/y', 'a.org/z']);
  assert.deepEqual(conn.calls.map((c) => (c.body as { last: string }).last), ['', 'p2']);
  assert.deepEqual(conn.calls[0]!.credentials, { token: 'x' });
  assert.equal(conn.calls[0]!.noCredentials, 'omit');

  pages.p2 = { list: [], header: { last: 'p2' } };
  const again = async () => {
    for await (const _ of lister.listComponents({ type: STORE, path: '/srv' }, {})) void _;
  };
  await assert.rejects(again(), (e: unknown) => isOcmError(e, 'PLUGIN_ERROR') && /repeats/.test((e as Error).message));
});

test('access adapter: /resource/get with the whole resource, digests by another plugin via /resource/digest/process; digests alone cannot open', async () => {
  const content = Buffer.from('stored elsewhere');
  const res = new FakeConnection('res', {
    'POST /identity': () => ({ identity: { type: 'PluginStore', hostname: 'plugin-store.local' } }),
    'POST /resource/get': async () => {
      const f = join(await res.tempDir(), 'r');
      await writeFile(f, content);
      return { location: { type: 'localFile', value: f, mediaType: 'text/plain' } };
    },
  });
  const dig = new FakeConnection('dig', {
    'POST /resource/digest/process': (c) => ({ resource: { ...(c.body as { resource: Resource }).resource, digest: { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: sha(content) } } }),
  });
  const registry = new TypeRegistry();
  registerPluginTypes(registry, [
    fakePlugin(res, { resourceRepository: [declared('PluginStore/v1alpha1')] }),
    fakePlugin(dig, { digestProcessorRepository: [declared('PluginStore/v1alpha1'), declared('DigestOnly/v1')] }),
  ]);
  try {
    const access = { type: 'PluginStore/v1alpha1', path: '/data/x' };
    const resource: Resource = { name: 'x', version: '1.0.0', type: 'blob', relation: 'external', access };
    const method = registry.get<AccessMethod & ArtifactDigester>('access', 'PluginStore/v1alpha1').impl;
    const credentials = await accessCredentials(method, access, { resolve: async (id) => (id.type === 'PluginStore' ? { username: 'u' } : undefined) });
    assert.deepEqual(credentials, { username: 'u' });
    const got = await method.open(access, { component: 'acme.org/app', version: '1.0.0', resource, credentials: credentials! });
    assert.deepEqual(await readAllBounded(got.stream, 1024), content);
    assert.deepEqual(res.to('/resource/get')[0]!.body, { resource });
    assert.deepEqual(res.to('/resource/get')[0]!.credentials, { username: 'u' });
    assert.equal(method.anyNormalisation, true);
    const d = await method.artifactDigest(access, { component: 'acme.org/app', version: '1.0.0', resource }, 'genericBlobDigest/v1');
    assert.deepEqual(d, { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: sha(content) });
    assert.deepEqual(dig.to('/resource/digest/process')[0]!.body, { resource });

    const only = registry.get<AccessMethod>('access', 'DigestOnly/v1').impl;
    await assert.rejects(only.open({ type: 'DigestOnly/v1' }, { component: 'c', version: '1' }), (e: unknown) => isOcmError(e, 'UNSUPPORTED') && /only computes digests/.test((e as Error).message));
  } finally {
    await res.dispose();
    await dig.dispose();
  }
});

test('input adapter: ocm add cv path: schema checked first, the whole element sent to /resource/process, the returned file stored as local blob', async () => {
  const schema = { type: 'object', required: ['type', 'text'], properties: { type: { type: 'string' }, text: { type: 'string' }, repeat: { type: 'integer' } } };
  const conn = new FakeConnection('toolbox', {
    'POST /identity': () => ({ identity: {} }),
    'POST /resource/process': async (c) => {
      const r = (c.body as { resource: { input: { text: string; repeat?: number } } }).resource;
      const f = join(await conn.tempDir(), 'gen');
      await writeFile(f, r.input.text.repeat(r.input.repeat ?? 1));
      return { resource: { ...r, access: { type: 'localBlob/v1', mediaType: 'text/plain' } }, location: { type: 'localFile', value: f, mediaType: 'text/plain' } };
    },
    'POST /source/process': (c) => ({ source: { ...(c.body as { source: object }).source, access: { type: 'git/v1', repoUrl: 'https://example.com/r' } } }),
  });
  const registry = new TypeRegistry();
  registerPluginTypes(registry, [fakePlugin(conn, { inputRepository: [declared('Generated/v1alpha1', schema)] })]);
  const constructor = (input: string) =>
    parseConstructor(
      `components:\n  - name: acme.org/gen\n    version: 1.0.0\n    provider: {name: acme.org}\n    resources:\n      - name: text\n        type: plainText\n        labels: [{name: l, value: v}]\n        input: ${input}\n    sources:\n      - name: src\n        type: git\n        input: ${input}\n`,
      { source: 'c.yaml', env: {} },
    );
  try {
    const repo = new OciComponentRepository(new MemoryStore(), { location: { id: 'mem' } });
    await assert.rejects(addComponentVersions(constructor('{type: Generated/v1alpha1, repeat: 2}'), repo, { baseDir: '/', registry }), (e: unknown) => isOcmError(e, 'VALIDATION_FAILED') && /text/.test((e as Error).message));
    assert.equal(conn.calls.length, 0, 'a bad input fails before the plugin is called');

    const [cd] = await addComponentVersions(constructor('{type: Generated/v1alpha1, text: ab, repeat: 3}'), repo, { baseDir: '/', registry });
    const r = cd!.component.resources[0]!;
    assert.equal(r.access.type, 'localBlob');
    assert.deepEqual(r.digest, { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'genericBlobDigest/v1', value: sha('ababab') });
    const body = conn.to('/resource/process')[0]!.body as { resource: Record<string, unknown> };
    assert.deepEqual(body.resource, { name: 'text', version: '1.0.0', type: 'plainText', relation: 'local', labels: [{ name: 'l', value: 'v' }], input: { type: 'Generated/v1alpha1', text: 'ab', repeat: 3 } });
    assert.equal(conn.to('/resource/process')[0]!.noCredentials, 'omit');
    // a source the plugin stored elsewhere gets the plugin's access
    assert.deepEqual(cd!.component.sources[0]!.access, { type: 'git/v1', repoUrl: 'https://example.com/r' });
    assert.equal(registry.get<InputMethod>('input', 'Generated/v1alpha1').impl.check, undefined);
  } finally {
    await conn.dispose();
  }
});

test('transformer adapter: input through a 0600 temp file, /blob/transform {location, specification}, output streamed and removed', async () => {
  let inputMode = 0;
  const conn = new FakeConnection('toolbox', {
    'POST /blob/transform': async (c) => {
      const { location, specification } = c.body as { location: { value: string }; specification: unknown };
      assert.deepEqual(specification, { type: 'Uppercase/v1alpha1' });
      inputMode = (await stat(location.value)).mode & 0o777;
      const out = join(await conn.tempDir(), 'upper');
      await writeFile(out, (await readFile(location.value, 'utf8')).toUpperCase());
      return { location: { type: 'localFile', value: out, mediaType: 'text/plain' } };
    },
  });
  const registry = new TypeRegistry();
  registerPluginTypes(registry, [fakePlugin(conn, { blobTransformer: [declared('Uppercase/v1alpha1')] })]);
  try {
    const t = registry.get<BlobTransformer>('blob-transformer', 'uppercase/v1alpha1').impl;
    const out = await t.transform({ stream: Readable.from([Buffer.from('hello ')]), mediaType: 'text/plain' }, { type: 'Uppercase/v1alpha1' }, {});
    assert.equal((await readAllBounded(out.stream, 1024)).toString(), 'HELLO ');
    assert.equal(out.mediaType, 'text/plain');
    assert.equal(inputMode, 0o600);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await readdir(await conn.tempDir()), []);
    assert.equal(conn.calls[0]!.noCredentials, 'omit');
  } finally {
    await conn.dispose();
  }
});

test('a provider from registerPluginTypes asks the plugin for its consumer identity', async () => {
  const conn = new FakeConnection('store', { 'POST /identity': () => ({ identity: { type: 'FileStore', path: '/srv' } }) });
  const registry = new TypeRegistry();
  registerPluginTypes(registry, [fakePlugin(conn, { componentVersionRepository: [declared(STORE)] })]);
  assert.deepEqual(await registry.get<RepositoryProvider>('repository', STORE).impl.consumerIdentity({ type: STORE, path: '/srv' }), { type: 'FileStore', path: '/srv' });
});
