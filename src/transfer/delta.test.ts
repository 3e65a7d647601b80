import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCtf } from '../ctf/store.js';
import { isManifestMediaType, ComponentConfigMediaTypes, MediaType } from '../oci/content/media-types.js';
import type { OciDescriptor, RepositoryStore, Target } from '../oci/content/types.js';
import { runOcm } from '../testing/cli.js';
import { startFaultProxy } from '../testing/fault-proxy.js';
import { tempDir } from '../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../testing/registry.js';
import { DELTA_FILE, readDeltaManifest } from './delta.js';
import { INVENTORY_KIND, inventoryToDeltaBase, parseInventory, takeInventory, type Inventory } from './inventory.js';

const COMPONENT = 'acme.org/delta';
const REPO = `component-descriptors/${COMPONENT}`;
const skip = registryAvailable() ? false : 'docker-registry not installed';

const constructor = `components:
  - name: ${COMPONENT}
    version: "\${VERSION}"
    provider:
      name: acme.org
    resources:
${Array.from({ length: 20 }, (_, i) => `      - name: r${i}\n        type: blob\n        input:\n          type: file\n          path: r${i}.bin\n`).join('')}`;

/** Every blob file (`sha256.<hex>`) of a CTF directory, with its size. */
async function ctfBlobs(path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const n of await readdir(join(path, 'blobs'))) out.set(n.replace('.', ':'), (await readFile(join(path, 'blobs', n))).length);
  return out;
}

/** Blob files of the registry's storage (content-addressed, across repositories). */
async function registryBlobs(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256');
  const out: string[] = [];
  for (const p of await readdir(root).catch(() => [] as string[])) for (const h of await readdir(join(root, p))) out.push(h);
  return out.sort();
}

test('parseInventory refuses what is not an inventory (table)', () => {
  const ok = { kind: INVENTORY_KIND, source: 's', componentVersions: [], repositories: [{ name: 'r', blobs: [{ digest: `sha256:${'a'.repeat(64)}`, size: 3, mediaType: 'x' }] }] };
  const cases: [string, unknown, RegExp | undefined][] = [
    ['valid', ok, undefined],
    ['not an object', 'x', /not an object/],
    ['wrong kind', { ...ok, kind: 'other' }, /kind is "other"/],
    ['no repositories', { ...ok, repositories: undefined }, /repositories or componentVersions missing/],
    ['bad digest', { ...ok, repositories: [{ name: 'r', blobs: [{ digest: 'md5:x', size: 1 }] }] }, /blob "md5:x" has no valid digest/],
    ['negative size', { ...ok, repositories: [{ name: 'r', blobs: [{ digest: `sha256:${'b'.repeat(64)}`, size: -1 }] }] }, /no valid digest and size/],
  ];
  for (const [name, doc, err] of cases) {
    if (!err) assert.equal(inventoryToDeltaBase(parseInventory(doc, name)).has.get(`sha256:${'a'.repeat(64)}`)?.size, 3, name);
    else assert.throws(() => parseInventory(doc, name), err, name);
  }
});

test('air-gap delta: inventory without blob reads, delta export of 2 changed blobs, checked import, verify at the target', { skip }, async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const reg = await startRegistry({ auth: 'none' });
  t.after(() => reg.stop());
  const p = (n: string): string => join(dir.path, n);
  const ok = async (args: string[], env?: NodeJS.ProcessEnv) => {
    const r = await runOcm(args, { cwd: dir.path, ...(env ? { env } : {}) });
    assert.equal(r.code, 0, `ocm ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  // v1.0: 20 resources; v1.1: 2 of them changed. Both signed with RSA.
  for (let i = 0; i < 20; i++) await writeFile(p(`r${i}.bin`), randomBytes(2000 + i));
  await writeFile(p('component-constructor.yaml'), constructor);
  await ok(['add', 'cv', '-r', p('src'), '-c', 'component-constructor.yaml'], { VERSION: '1.0.0' });
  const changed = [randomBytes(3001), randomBytes(3002)];
  await writeFile(p('r3.bin'), changed[0]!);
  await writeFile(p('r7.bin'), changed[1]!);
  await ok(['add', 'cv', '-r', p('src'), '-c', 'component-constructor.yaml'], { VERSION: '1.1.0' });
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('key.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', p('key.pem'), '-pubout', '-out', p('pub.pem')], { stdio: 'ignore' });
  for (const v of ['1.0.0', '1.1.0']) await ok(['sign', 'cv', `ctf::${p('src')}//${COMPONENT}:${v}`, '--signature', 'acme', '--private-key', p('key.pem')]);

  // the air-gapped side holds v1.0
  const airgap = `${reg.url}/airgap`;
  await ok(['transfer', 'cv', `ctf::${p('src')}//${COMPONENT}:1.0.0`, airgap, '-q']);

  let inv: Inventory;
  await t.test('inventory of a registry reads manifests, configs and descriptor layers only', async () => {
    const proxy = await startFaultProxy({ target: reg.url });
    try {
      const r = await ok(['get', 'inventory', `${proxy.url}/airgap`, '--component', COMPONENT, '-o', 'json']);
      inv = JSON.parse(r.stdout) as Inventory;
      const blobGets = proxy.requests.filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path));
      assert.equal(blobGets.length, 2, `only the config and descriptor layer of 1.0.0 are read: ${blobGets.map((q) => q.path).join(', ')}`);
    } finally {
      await proxy.stop();
    }
    assert.equal(inv.kind, INVENTORY_KIND);
    assert.deepEqual(inv.componentVersions.map((v) => `${v.component}:${v.version}:${v.repository}`), [`${COMPONENT}:1.0.0:${REPO}`]);
    assert.deepEqual(inv.repositories.map((r) => r.name), [REPO]);
    // manifest + config + descriptor layer + 20 resources
    assert.equal(inv.repositories[0]!.blobs.length, 23);
    const digests = inv.repositories[0]!.blobs.map((b) => b.digest);
    assert.deepEqual(digests, [...digests].sort(), 'sorted by digest');
    await writeFile(p('have.json'), JSON.stringify(inv, null, 2));
    const table = await ok(['get', 'inventory', airgap, '--component', COMPONENT]);
    assert.match(table.stdout, new RegExp(`${COMPONENT.replace('.', '\\.')}\\s+1\\.0\\.0\\s+sha256:`));
  });

  await t.test('inventory of a CTF lists its components and fetches no resource blob', async () => {
    const ctf = await openCtf(p('src'), { readOnly: true });
    try {
      const fetched: OciDescriptor[] = [];
      const counting: RepositoryStore = {
        repository: (name: string): Target => {
          const r = ctf.repository(name);
          return new Proxy(r, {
            get: (o, k) => {
              if (k === 'fetch') return (d: OciDescriptor, opt?: object) => (fetched.push(d), o.fetch(d, opt));
              const v = Reflect.get(o, k, o) as unknown;
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(o) : v;
            },
          });
        },
        listRepositories: (o) => ctf.listRepositories(o),
      };
      const local = await takeInventory({ store: counting, id: 'ctf:src', description: 'src' });
      assert.deepEqual(local.componentVersions.map((v) => v.version), ['1.0.0', '1.1.0']);
      assert.equal(local.repositories[0]!.blobs.length, 2 * 3 + 22, 'both versions: 2 × (manifest, config, layer) + 22 resources');
      const bad = fetched.filter((d) => !isManifestMediaType(d.mediaType) && !ComponentConfigMediaTypes.includes(d.mediaType) && d.mediaType !== MediaType.componentDescriptorYamlTar && d.mediaType !== MediaType.componentDescriptorJson);
      assert.deepEqual(bad, [], 'no resource blob is read');
    } finally {
      await ctf.close();
    }
  });

  const resourceDigests = async (version: string): Promise<Map<string, string>> => {
    const r = await ok(['get', 'cv', `ctf::${p('src')}//${COMPONENT}:${version}`, '-o', 'json']);
    const doc = JSON.parse(r.stdout) as { component: { resources: { name: string; access: { localReference: string } }[] } };
    return new Map(doc.component.resources.map((x) => [x.name, x.access.localReference]));
  };
  const v11 = await resourceDigests('1.1.0');
  const changedDigests = [v11.get('r3')!, v11.get('r7')!].sort();

  /** Delta CTF content: 5 blobs (manifest, config, descriptor layer, 2 changed resources) and 18 omissions. */
  const assertDelta = async (path: string): Promise<void> => {
    const ctf = await openCtf(path, { readOnly: true });
    try {
      const repo = ctf.repository(REPO);
      const root = await repo.resolve('1.1.0');
      assert.ok(await repo.exists(root));
      for (const [name, d] of v11) {
        const present = await repo.exists({ mediaType: 'application/octet-stream', digest: d, size: 0 });
        assert.equal(present, changedDigests.includes(d), `${name}: only the changed resources travel`);
      }
      const delta = await readDeltaManifest({ store: ctf, id: 'x' });
      assert.ok(delta, `${DELTA_FILE} is present`);
      assert.equal(delta.omitted.length, 18);
      assert.ok(delta.omitted.every((e) => e.neededBy.join() === `${COMPONENT}:1.1.0` && e.repository === REPO && e.size > 0));
      assert.ok(delta.omitted.every((e) => !changedDigests.includes(e.digest)));
    } finally {
      await ctf.close();
    }
  };

  await t.test('delta export against have.json holds only the 2 changed blobs (file list and size)', async () => {
    await ok(['transfer', 'cv', `ctf::${p('src')}//${COMPONENT}:1.1.0`, p('delta-dir'), '-r', '--copy-resources', '--delta-against', p('have.json'), '-q']);
    await assertDelta(p('delta-dir'));
    const blobs = await ctfBlobs(p('delta-dir'));
    assert.equal(blobs.size, 5, [...blobs.keys()].join(', '));
    for (const d of changedDigests) assert.ok(blobs.has(d), `${d} travels`);
    const resourceBytes = changedDigests.reduce((n, d) => n + blobs.get(d)!, 0);
    assert.equal(resourceBytes, 3001 + 3002);
    const total = [...blobs.values()].reduce((a, b) => a + b, 0);
    // the rest is the manifest, the config and the descriptor layer (a tar of 20 resources with their signature)
    assert.ok(total - resourceBytes < 32 * 1024, `delta is ${total} bytes: changed resources plus manifest, config and descriptor`);
    // tgz: the record travels inside the archive
    await ok(['transfer', 'cv', `ctf::${p('src')}//${COMPONENT}:1.1.0`, p('delta.tgz'), '-r', '--copy-resources', '--delta-against', p('have.json'), '-q']);
    await assertDelta(p('delta.tgz'));
  });

  await t.test('--delta-against also takes a CTF path and a registry reference', async () => {
    await ok(['transfer', 'cv', `ctf::${p('src')}//${COMPONENT}:1.0.0`, p('have-ctf'), '-q']);
    await ok(['transfer', 'cv', `ctf::${p('src')}//${COMPONENT}:1.1.0`, p('delta-from-ctf'), '--delta-against', p('have-ctf'), '-q']);
    await assertDelta(p('delta-from-ctf'));
    await ok(['transfer', 'cv', `ctf::${p('src')}//${COMPONENT}:1.1.0`, p('delta-from-reg'), '--delta-against', airgap, '-q']);
    await assertDelta(p('delta-from-reg'));
    const bad = await runOcm(['transfer', 'cv', `ctf::${p('src')}//${COMPONENT}:1.1.0`, `${reg.url}/x`, '--delta-against', p('have.json')]);
    assert.equal(bad.code, 8, bad.stderr);
    assert.match(bad.stderr, /^Error: --delta-against writes a CTF/);
  });

  await t.test('import into a target lacking an omitted blob fails before writing anything, naming the blob', async () => {
    const before = await registryBlobs(reg.dataDir);
    const r = await runOcm(['transfer', 'cv', `ctf::${p('delta.tgz')}//${COMPONENT}:1.1.0`, `${reg.url}/empty`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^Error: delta .* lacks 18 blob\(s\) it left out: sha256:[0-9a-f]{64} \(\d+ bytes, .*needed by acme\.org\/delta:1\.1\.0.*\[NOT_FOUND\]\n$/);
    const omitted = [...v11.values()].filter((d) => !changedDigests.includes(d));
    assert.ok(omitted.every((d) => r.stderr.includes(d)), 'every missing blob is named');
    assert.deepEqual(await registryBlobs(reg.dataDir), before, 'no blob written');
    const tags = await fetch(`${reg.url}/v2/empty/${REPO}/tags/list`);
    assert.equal(tags.status, 404, 'no repository, no tag');
    await tags.body?.cancel();
    // the same into a CTF that lacks them: nothing created
    const c = await runOcm(['transfer', 'cv', `ctf::${p('delta.tgz')}//${COMPONENT}:1.1.0`, p('fresh.tgz')]);
    assert.equal(c.code, 3, c.stderr);
    await assert.rejects(readFile(p('fresh.tgz')));
  });

  await t.test('import into the side holding v1.0 completes and verifies', async () => {
    await ok(['transfer', 'cv', `ctf::${p('delta.tgz')}//${COMPONENT}:1.1.0`, airgap, '-q']);
    const v = await ok(['verify', 'cv', `${airgap}//${COMPONENT}:1.1.0`, '--signature', 'acme', '--public-key', p('pub.pem')]);
    assert.match(v.stdout, /^verified acme\.org\/delta:1\.1\.0 signature "acme"/);
    // and into a CTF holding v1.0
    await ok(['transfer', 'cv', `ctf::${p('delta.tgz')}//${COMPONENT}:1.1.0`, p('have-ctf'), '-q']);
    await ok(['verify', 'cv', `ctf::${p('have-ctf')}//${COMPONENT}:1.1.0`, '--signature', 'acme', '--public-key', p('pub.pem')]);
  });
});
