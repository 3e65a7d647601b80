import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { openCtf } from '../ctf/store.js';
import { fetchManifest, successors } from '../oci/content/copy.js';
import { isManifestMediaType } from '../oci/content/media-types.js';
import type { OciDescriptor, RepositoryStore, Target } from '../oci/content/types.js';
import { runOcm } from '../testing/cli.js';
import { startFaultProxy } from '../testing/fault-proxy.js';
import { ocmBin, tempDir } from '../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../testing/registry.js';
import { componentRepositoryName as componentRepository, toTag } from '../repository/oci-mapping/tags.js';
import { parseImageReference } from '../oci/remote/reference.js';
import { rootsIn, skopeoAvailable, startPair, type RegistryPair } from '../testing/registry-fixture.js';
import { APP, LIB, TOOL, verifyGraph } from '../testing/graph-fixture.js';
import { OciComponentRepository } from '../repository/oci-mapping/index.js';

const skip = !registryAvailable() || !skopeoAvailable() ? 'docker-registry or skopeo not installed' : false;

/** Every node of the graph under `root` is present in `t` (a visible version must be complete). */
async function assertComplete(t: Target, root: OciDescriptor, what: string): Promise<void> {
  assert.ok(await t.exists(root), `${what}: ${root.digest} missing`);
  if (!isManifestMediaType(root.mediaType)) return;
  for (const c of successors(root, await fetchManifest(t, root))) await assertComplete(t, c, what);
}

/** No partially visible version: every tagged version has all its content, including by-value images. */
async function assertNoPartialVersion(store: RepositoryStore, subPath: string | undefined, imageStore?: RepositoryStore): Promise<number> {
  let visible = 0;
  for (const c of [APP, LIB, TOOL]) {
    const repo = store.repository(componentRepository(c.name, subPath));
    let root: OciDescriptor;
    try {
      root = await repo.resolve(toTag(c.version));
    } catch {
      continue;
    }
    visible++;
    await assertComplete(repo, root, `${c.name}:${c.version}`);
    const cd = await new OciComponentRepository(store, subPath ? { subPath } : {}).getComponentVersion(c.name, c.version);
    for (const r of cd.component.resources) {
      if (r.access.type !== 'ociArtifact' || !imageStore) continue;
      const ref = parseImageReference(String(r.access['imageReference']));
      const img = imageStore.repository(ref.repository);
      await assertComplete(img, await img.resolve(ref.digest!), `image of ${c.name}`);
    }
  }
  return visible;
}

/** Runs the CLI and SIGKILLs it after `ms`. `tmp` becomes its TMPDIR: a killed process cannot remove its working files, so they land where the test's own cleanup removes them. */
function killAfter(args: string[], ms: number, tmp: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ocmBin, ...args], { stdio: 'ignore', env: { ...process.env, TMPDIR: tmp } });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function withPair(t: { after(fn: () => Promise<void>): void }, options: Parameters<typeof startPair>[2]): Promise<{ pair: RegistryPair; dir: string }> {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const pair = await startPair(startRegistry, dir.path, options);
  t.after(() => pair.stop());
  return { pair, dir: dir.path };
}

test('SIGKILL at random points: never a partially visible version; a rerun completes it identically', { skip }, async (t) => {
  const { pair, dir } = await withPair(t, { blobSize: 2 * 1024 * 1024, layerSizes: [6 * 1024 * 1024, 3 * 1024 * 1024] });
  const src = await pair.open(`http://${pair.a.host}`, 'ocm');
  const dst = await pair.open(`http://${pair.b.host}`, 'crash');
  t.after(() => src.close());
  t.after(() => dst.close());
  const sourceRoots = await rootsIn(src.store, 'ocm');
  const args = ['--config', pair.config, 'transfer', 'cv', `${pair.source}//${APP.name}:${APP.version}`, `http://${pair.b.host}/crash`, '-r', '--copy-resources', '--upload-as', 'ociArtifact', '-q', '--concurrency', '2'];
  const tgz = join(dir, 'crash.tgz');
  const ctfArgs = ['--config', pair.config, 'transfer', 'cv', `${pair.source}//${APP.name}:${APP.version}`, tgz, '-r', '--copy-resources', '-q'];
  // an uninterrupted transfer first: the reference result, and the duration kill points are drawn from
  const cleanArgs = [...args.slice(0, 5), `http://${pair.b.host}/clean`, ...args.slice(6)];
  let t0 = Date.now();
  const clean = await runOcm(cleanArgs);
  assert.equal(clean.code, 0, clean.stderr);
  const registryMs = Date.now() - t0;
  t0 = Date.now();
  const cleanCtf = await runOcm([...ctfArgs.slice(0, 5), join(dir, 'clean.tgz'), ...ctfArgs.slice(6)]);
  assert.equal(cleanCtf.code, 0, cleanCtf.stderr);
  const ctfMs = Date.now() - t0;
  t.diagnostic(`uninterrupted: registry ${registryMs} ms, tgz ${ctfMs} ms`);
  const killedTmp = join(dir, 'tmp-of-killed-processes');
  await mkdir(killedTmp, { recursive: true });
  for (let i = 0; i < 5; i++) {
    const ms = Math.floor(registryMs * (0.15 + 0.8 * Math.random()));
    await killAfter(args, ms, killedTmp);
    const visible = await assertNoPartialVersion(dst.store, 'crash', dst.store);
    const ms2 = Math.floor(ctfMs * (0.15 + 0.9 * Math.random()));
    await killAfter(ctfArgs, ms2, killedTmp);
    const exists = await openCtf(tgz, { readOnly: true }).then(
      async (c) => {
        try {
          await assertNoPartialVersion(c, undefined);
        } finally {
          await c.close();
        }
        return true;
      },
      () => false,
    );
    t.diagnostic(`run ${i}: registry killed after ${ms} ms (${visible} version(s) visible, all complete); tgz killed after ${ms2} ms (${exists ? 'present and consistent' : 'not written'})`);
  }
  const r = await runOcm(args);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await assertNoPartialVersion(dst.store, 'crash', dst.store), 3);
  const roots = await rootsIn(dst.store, 'crash');
  assert.deepEqual(roots.slice(1), sourceRoots.slice(1));
  await verifyGraph(dst.store, pair.graph, 'crash');
  const cleanLoc = await pair.open(`http://${pair.b.host}`, 'clean');
  try {
    const cleanRoots = await rootsIn(cleanLoc.store, 'clean');
    // the app root differs only by the rewritten image reference (other path); lib and tool are identical
    assert.deepEqual(roots.slice(1), cleanRoots.slice(1));
  } finally {
    await cleanLoc.close();
  }
  const rc = await runOcm(ctfArgs);
  assert.equal(rc.code, 0, rc.stderr);
  const ctf = await openCtf(tgz, { readOnly: true });
  try {
    assert.equal(await assertNoPartialVersion(ctf, undefined), 3);
    await verifyGraph(ctf, pair.graph);
    const ref = await openCtf(join(dir, 'clean.tgz'), { readOnly: true });
    try {
      assert.deepEqual(await rootsIn(ctf), await rootsIn(ref), 'identical to the uninterrupted tgz');
    } finally {
      await ref.close();
    }
  } finally {
    await ctf.close();
  }
});

test('resets, 503 and 429 on both sides: the transfer completes with identical content', { skip }, async (t) => {
  const { pair } = await withPair(t, { layerSizes: [2 * 1024 * 1024] });
  const ps = await startFaultProxy({
    target: pair.a.url,
    rules: [
      { method: 'GET', path: /\/blobs\/sha256:/, skip: 1, times: 2, fault: { kind: 'reset' } },
      { method: 'GET', path: /\/blobs\/sha256:/, skip: 2, times: 1, fault: { kind: 'status', status: 503 } },
      { method: 'GET', path: /\/manifests\//, times: 2, fault: { kind: 'status', status: 429, retryAfter: '0' } },
    ],
  });
  t.after(() => ps.stop());
  const pt = await startFaultProxy({
    target: pair.b.url,
    rules: [
      { method: 'HEAD', path: /\/blobs\//, skip: 1, times: 2, fault: { kind: 'status', status: 503 } },
      { method: 'POST', path: /\/blobs\/uploads\//, skip: 1, times: 1, fault: { kind: 'reset' } },
      { method: 'PUT', path: /\/blobs\/uploads\//, skip: 2, times: 1, fault: { kind: 'status', status: 503 } },
      { method: 'PUT', path: /\/manifests\//, times: 2, fault: { kind: 'status', status: 429, retryAfter: '0' } },
    ],
  });
  t.after(() => pt.stop());
  await pair.writeConfig([ps.port, pt.port]);
  const r = await runOcm([
    '--config', pair.config, 'transfer', 'cv', `http://${ps.host}/ocm//${APP.name}:${APP.version}`, `http://${pt.host}/faulty`,
    '-r', '--copy-resources', '--upload-as', 'ociArtifact', '-q',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const injected = [...ps.requests, ...pt.requests].filter((x) => x.fault).map((x) => x.fault);
  assert.ok(injected.includes('reset') && injected.includes('status'), `faults injected: ${injected.join(',')}`);
  const src = await pair.open(`http://${pair.a.host}`, 'ocm');
  const dst = await pair.open(`http://${pair.b.host}`, 'faulty');
  try {
    assert.deepEqual((await rootsIn(dst.store, 'faulty')).slice(1), (await rootsIn(src.store, 'ocm')).slice(1));
    const [app] = await verifyGraph(dst.store, pair.graph, 'faulty');
    const image = app!.component.resources.find((x) => x.name === 'image')!;
    assert.equal(image.access['imageReference'], `${pt.host}/faulty/images/app:1.0@${pair.image.root.digest}`);
    const img = dst.store.repository('faulty/images/app');
    await assertComplete(img, await img.resolve('1.0'), 'image');
  } finally {
    await src.close();
    await dst.close();
  }
});
