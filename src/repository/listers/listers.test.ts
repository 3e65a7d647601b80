/**
 * The built-in listers (kind `lister`): a CTF's artifact index, and a real registry's catalog
 * (CNCF distribution from the test kit), paged with a small `n`, behind basic auth, and refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOcm } from '../../testing/cli.js';
import { tempDir } from '../../testing/fixtures.js';
import { startFaultProxy } from '../../testing/fault-proxy.js';
import { registryAvailable, startRegistry } from '../../testing/registry.js';
import { isOcmError } from '../../runtime/errors.js';
import { TypeRegistry } from '../../runtime/type-registry.js';
import { registerBuiltins } from '../builtins.js';
import type { ComponentLister, ListContext } from '../lister.js';
import { ctfLister } from './ctf.js';
import { ociLister } from './oci.js';

const skip = registryAvailable() ? false : 'docker-registry is not installed';
const env = { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' };
const NAMES = ['acme.org/a', 'acme.org/b', 'acme.org/c/deep', 'other.org/x'];

/** A constructor with one component version per name. */
async function constructor(dir: string): Promise<string> {
  const file = join(dir, 'cc.yaml');
  await writeFile(file, `components:\n${NAMES.map((n) => `- name: ${n}\n  version: 1.0.0\n  provider: {name: acme.org}\n`).join('')}`);
  return file;
}

async function all(lister: ComponentLister, spec: { type: string; [k: string]: unknown }, ctx: ListContext = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const n of lister.listComponents(spec, ctx)) out.push(n);
  return out;
}

test('the lister kind holds the CTF and OCI repository types under the same names and schemas', () => {
  const registry = registerBuiltins(new TypeRegistry());
  for (const [name, impl] of [['ctf', ctfLister], ['OCIRegistry', undefined]] as const) {
    const r = registry.get<ComponentLister>('lister', name);
    assert.equal(r.type, registry.get('repository', name).type, name);
    assert.deepEqual(r.schema, registry.get('repository', name).schema, name);
    if (impl) assert.equal(r.impl, impl);
  }
  assert.throws(() => registry.decode('lister', { type: 'CTF' }), /filePath/);
});

test('a CTF lists each of its components once, from the artifact index; a missing CTF is NOT_FOUND', async (t) => {
  const dir = await tempDir();
  t.after(dir.dispose);
  const add = await runOcm(['add', 'cv', '-c', await constructor(dir.path), '-r', join(dir.path, 'ctf')], { env });
  assert.equal(add.code, 0, add.stderr);
  // a second version of one component must not list it twice
  await writeFile(join(dir.path, 'v2.yaml'), 'name: acme.org/a\nversion: 2.0.0\nprovider: {name: acme.org}\n');
  assert.equal((await runOcm(['add', 'cv', '-c', join(dir.path, 'v2.yaml'), '-r', join(dir.path, 'ctf')], { env })).code, 0);
  assert.deepEqual((await all(ctfLister, { type: 'CommonTransportFormat/v1', filePath: join(dir.path, 'ctf') })).sort(), NAMES);
  await assert.rejects(all(ctfLister, { type: 'CTF', filePath: join(dir.path, 'nope') }), (e) => isOcmError(e, 'NOT_FOUND'));
});

test('a registry lists the components under its subPath from the catalog, following Link pages of n entries', { skip }, async (t) => {
  const registry = await startRegistry();
  t.after(() => registry.stop());
  const dir = await tempDir();
  t.after(dir.dispose);
  const cc = await constructor(dir.path);
  for (const repo of [`${registry.url}/ocm`, `${registry.url}/elsewhere`]) {
    const add = await runOcm(['add', 'cv', '-c', cc, '-r', repo], { env });
    assert.equal(add.code, 0, add.stderr);
  }
  const proxy = await startFaultProxy({ target: registry.url });
  t.after(() => proxy.stop());
  const names = await all(ociLister({ pageSize: 2 }), { type: 'OCIRepository/v1', baseUrl: proxy.url, subPath: 'ocm' });
  assert.deepEqual(names.sort(), NAMES);
  const pages = proxy.requests.filter((r) => r.path.startsWith('/v2/_catalog'));
  assert.ok(pages.length >= 4, pages.map((p) => p.path).join(' ')); // 8 repositories, n=2
  assert.ok(pages.every((p) => /[?&]n=2\b/.test(p.path)), 'every page asks for n=2');
  // the path in baseUrl is the subPath when none is given
  assert.deepEqual((await all(ociLister(), { type: 'OCI', baseUrl: `${registry.url}/elsewhere` })).sort(), NAMES);
  // the page bound holds
  await assert.rejects(all(ociLister({ pageSize: 1, maxPages: 3 }), { type: 'OCI', baseUrl: registry.url }), (e) => isOcmError(e, 'LIMIT_EXCEEDED') && /more than 3 pages/.test(e.message));
});

test('a registry behind basic auth lists with credentials and refuses without them in one clear line', { skip }, async (t) => {
  const registry = await startRegistry({ auth: 'htpasswd' });
  t.after(() => registry.stop());
  const user = registry.users[0]!;
  const spec = { type: 'OCIRepository/v1', baseUrl: registry.url };
  await assert.rejects(all(ociLister(), spec), (e) => isOcmError(e, 'UNAUTHORIZED') && /does not let this client list its repositories \(GET \/v2\/_catalog answered 401/.test(e.message));
  const credentials = { username: user.username, password: user.password };
  assert.deepEqual(await all(ociLister(), spec, { credentials }), []);
  assert.deepEqual(ociLister().consumerIdentity(spec), { type: 'OCIRegistry', scheme: 'http', hostname: '127.0.0.1', port: String(registry.port) });
});

test('a registry without a catalog API (404, UNSUPPORTED) is reported as such, not as a missing component', { skip }, async (t) => {
  const registry = await startRegistry();
  t.after(() => registry.stop());
  for (const [status, body] of [
    [404, '404 page not found\n'],
    [400, JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] })],
  ] as const) {
    const proxy = await startFaultProxy({ target: registry.url, rules: [{ path: /^\/v2\/_catalog/, times: Infinity, fault: { kind: 'respond', status, body } }] });
    try {
      await assert.rejects(all(ociLister(), { type: 'OCI', baseUrl: proxy.url }), (e) => isOcmError(e, 'UNSUPPORTED') && new RegExp(`answered ${status}`).test(e.message) && !e.message.includes('\n'));
    } finally {
      await proxy.stop();
    }
  }
});
