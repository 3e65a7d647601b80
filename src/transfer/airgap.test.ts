/**
 * Issue 15's "must show", end to end through the CLI: a signed v1.0 (20 resources, one an
 * `ociArtifact` image with a cosign signature and an SBOM referrer) reaches an air-gapped registry
 * through a full CTF; v1.1 (2 resources changed) follows as a delta made against the air-gapped
 * side's inventory. The parts are proven alone in delta.test.ts, transfer-referrers.test.ts and
 * transfer-select.test.ts; this test proves they work together (referrers inside a delta, the
 * inventory recording them, the checked import, verification at the far side).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { digestOf } from '../digest/digest.js';
import { MediaType } from '../oci/content/media-types.js';
import type { OciDescriptor, Target } from '../oci/content/types.js';
import { componentRepositoryName } from '../repository/oci-mapping/tags.js';
import { runOcm } from '../testing/cli.js';
import { writeOciLayout } from '../testing/image-fixture.js';
import { run, skopeoAvailable } from '../testing/registry-fixture.js';
import { registryAvailable } from '../testing/registry.js';
import { DELTA_FILE, type DeltaManifest } from './delta.js';
import type { Inventory } from './inventory.js';
import { openLocation } from './open.js';
import { airGapWorld } from '../testing/air-gap-world.js';

const skip = !registryAvailable() || !skopeoAvailable() ? 'docker-registry or skopeo not installed' : false;
const APP = 'acme.org/airgap/app';
const LIB = 'acme.org/airgap/lib';
const CHANGED = ['r3', 'r7'];
const tagOf = (d: { digest: string }): string => d.digest.replace(':', '-');

async function put(repo: Target, mediaType: string, content: object, extra: Partial<OciDescriptor> = {}): Promise<OciDescriptor> {
  const bytes = Buffer.from(JSON.stringify(content));
  const desc: OciDescriptor = { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra };
  await repo.push(desc, Readable.from([bytes]));
  return desc;
}

/** What cosign writes: a simple-signing payload manifest (no `subject`) tagged `sha256-<hex>.sig`. */
async function cosignSignature(repo: Target, subject: OciDescriptor): Promise<OciDescriptor> {
  const layer = await put(repo, 'application/vnd.dev.cosign.simplesigning.v1+json', { critical: { image: { 'docker-manifest-digest': subject.digest }, type: 'cosign container image signature' } });
  const config = await put(repo, 'application/vnd.oci.image.config.v1+json', { architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] }, config: {} });
  const m = await put(repo, MediaType.ociManifest, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [{ ...layer, annotations: { 'dev.cosignproject.cosign/signature': 'c2ln' } }] });
  await repo.tag(m, `${tagOf(subject)}.sig`);
  return m;
}

/** What oras writes on a registry without the referrers API: a `subject` manifest listed in the `sha256-<hex>` index. */
async function sbomReferrer(repo: Target, subject: OciDescriptor): Promise<OciDescriptor> {
  const artifactType = 'application/spdx+json';
  const empty = await put(repo, 'application/vnd.oci.empty.v1+json', {});
  const layer = await put(repo, artifactType, { spdxVersion: 'SPDX-2.3', name: 'app' });
  const subj = { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
  const m = await put(repo, MediaType.ociManifest, { schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType, config: empty, layers: [layer], subject: subj }, { artifactType });
  const index = await put(repo, MediaType.ociIndex, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: m.mediaType, digest: m.digest, size: m.size, artifactType }] });
  await repo.tag(index, tagOf(subject));
  return m;
}

/** Every blob file of a CTF (a .tgz is unpacked into `into`), by digest, with its size. */
async function ctfBlobs(tgz: string, into: string): Promise<Map<string, number>> {
  await mkdir(into, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', into]);
  const out = new Map<string, number>();
  for (const n of await readdir(join(into, 'blobs'))) out.set(n.replace('.', ':'), (await stat(join(into, 'blobs', n))).size);
  return out;
}

/** Blob files of a registry's storage (content-addressed, across repositories). */
async function registryBlobs(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256');
  const out: string[] = [];
  for (const p of await readdir(root).catch(() => [] as string[])) for (const h of await readdir(join(root, p))) out.push(h);
  return out.sort();
}

test('air gap: full CTF for v1.0, a delta of the 2 changed blobs for v1.1; image referrers travel; verify --recursive at the air-gapped registry', { skip }, async (t) => {
  const w = await airGapWorld(t);
  const { src, gap, p, ok } = w;
  const source = `${src.url}/ocm`;
  const airgap = `${gap.url}/prod`;

  // the image at the source, with a cosign signature and an SBOM found through the fallback index
  const layout = await writeOciLayout(p('image'), { platforms: ['amd64', 'arm64'], layerSizes: [64 * 1024] });
  await run('skopeo', ['copy', '-q', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout.dir}:${layout.tag}`, `docker://${src.host}/images/app:${layout.tag}`]);
  const image = layout.root;
  const loc = await openLocation({ type: 'OCIRepository/v1', baseUrl: src.url });
  let sig: OciDescriptor;
  let sbom: OciDescriptor;
  try {
    sig = await cosignSignature(loc.store.repository('images/app'), image);
    sbom = await sbomReferrer(loc.store.repository('images/app'), image);
  } finally {
    await loc.close();
  }

  // lib 1.0.0 (referenced, unchanged); app 1.0.0: 19 files + the image by reference; RSA-signed at the source
  await mkdir(p('lib'));
  await writeFile(p('lib/data.bin'), randomBytes(1500));
  await writeFile(p('lib/component-constructor.yaml'), `components:\n  - name: ${LIB}\n    version: 1.0.0\n    provider: {name: acme.org}\n    resources:\n      - {name: data, type: blob, input: {type: file, path: data.bin}}\n`);
  const files = Array.from({ length: 19 }, (_, i) => `      - {name: r${i}, type: blob, input: {type: file, path: r${i}.bin}}\n`).join('');
  await writeFile(
    p('component-constructor.yaml'),
    `components:\n  - name: ${APP}\n    version: "\${VERSION}"\n    provider: {name: acme.org}\n` +
      `    componentReferences:\n      - {name: lib, componentName: ${LIB}, version: 1.0.0}\n    resources:\n${files}` +
      `      - name: image\n        type: ociImage\n        version: "1.0"\n        access: {type: ociArtifact, imageReference: "${src.host}/images/app:${layout.tag}@${image.digest}"}\n` +
      `        digest: {hashAlgorithm: SHA-256, normalisationAlgorithm: ociArtifactDigest/v1, value: ${image.digest.slice(7)}}\n`,
  );
  for (let i = 0; i < 19; i++) await writeFile(p(`r${i}.bin`), randomBytes(4000 + i));
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('key.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['pkey', '-in', p('key.pem'), '-pubout', '-out', p('pub.pem')], { stdio: 'ignore' });
  const sign = (ref: string) => ok(['sign', 'cv', ref, '--signature', 'acme', '--private-key', p('key.pem')]);
  await ok(['add', 'cv', '-r', source, '-c', p('lib/component-constructor.yaml')]);
  await ok(['add', 'cv', '-r', source, '-c', 'component-constructor.yaml'], { VERSION: '1.0.0' });
  await sign(`${source}//${LIB}:1.0.0`);
  await sign(`${source}//${APP}:1.0.0`);

  const cvRepo = `${gap.host}/prod/${componentRepositoryName(APP)}`;
  /** The raw manifest skopeo reads at `ref`, or undefined when there is none. */
  const inspect = async (ref: string): Promise<{ layers?: OciDescriptor[]; manifests?: OciDescriptor[] } | undefined> => {
    try {
      return JSON.parse((await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);
    } catch (e) {
      if (/manifest unknown|not found/i.test(String((e as { stderr?: string }).stderr))) return undefined;
      throw e;
    }
  };

  await t.test('v1.0: registry → full CTF → air-gapped registry, referrers beside the image, verify --recursive', async () => {
    await ok(['transfer', 'cv', `${source}//${APP}:1.0.0`, p('full.tgz'), '--recursive', '--copy-resources', '-q']);
    await ok(['transfer', 'cv', `ctf::${p('full.tgz')}//${APP}:1.0.0`, airgap, '--recursive', '--copy-resources', '-q']);
    await ok(['verify', 'cv', `${airgap}//${APP}:1.0.0`, '--recursive', '--signature', 'acme', '--public-key', p('pub.pem')]);
    // the image is a local blob of the CV there, so its referrers are tagged in the CV's repository
    assert.equal((await inspect(`${cvRepo}:${tagOf(image)}.sig`))?.layers?.[0]?.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
  });

  // v1.1 at the source: r3 and r7 change, the image and lib stay
  const changedBytes = [6001, 6002];
  for (const [i, name] of CHANGED.entries()) await writeFile(p(`${name}.bin`), randomBytes(changedBytes[i]!));
  await ok(['add', 'cv', '-r', source, '-c', 'component-constructor.yaml'], { VERSION: '1.1.0' });
  await sign(`${source}//${APP}:1.1.0`);
  const resources = async (version: string): Promise<Map<string, string>> => {
    const doc = JSON.parse((await ok(['get', 'cv', `${source}//${APP}:${version}`, '-o', 'json'])).stdout) as { component: { resources: { name: string; access: { localReference?: string } }[] } };
    return new Map(doc.component.resources.filter((x) => x.access.localReference).map((x) => [x.name, x.access.localReference!]));
  };
  const v11 = await resources('1.1.0');
  const changed = CHANGED.map((n) => v11.get(n)!);
  const v10 = new Set((await resources('1.0.0')).values());
  assert.ok(changed.every((d) => !v10.has(d)), 'r3 and r7 differ from 1.0.0');

  await t.test('inventory of the air-gapped side records both components, the image and its referrers', async () => {
    const r = await ok(['get', 'inventory', airgap, '--component', APP, '-o', 'json']);
    await writeFile(p('have.json'), r.stdout);
    const inv = JSON.parse(r.stdout) as Inventory;
    assert.deepEqual(inv.componentVersions.map((v) => `${v.component}:${v.version}`), [`${APP}:1.0.0`, `${LIB}:1.0.0`]);
    const held = new Set(inv.repositories.flatMap((x) => x.blobs.map((b) => b.digest)));
    for (const d of [image.digest, sig.digest, sbom.digest]) assert.ok(held.has(d), `${d} is recorded`);
  });

  let deltaBlobs: Map<string, number>;
  await t.test('delta export against have.json carries the 2 changed blobs plus manifests and descriptors, nothing else', async () => {
    await ok(['transfer', 'cv', `${source}//${APP}:1.1.0`, p('delta.tgz'), '--recursive', '--copy-resources', '--delta-against', p('have.json'), '-q']);
    deltaBlobs = await ctfBlobs(p('delta.tgz'), p('delta-x'));
    for (const d of changed) assert.ok(deltaBlobs.has(d), `${d} travels`);
    for (const [name, d] of v11) if (!CHANGED.includes(name)) assert.ok(!deltaBlobs.has(d), `${name} stays home`);
    // referrer manifests travel (the delta is complete in manifests), their payloads do not
    assert.ok(deltaBlobs.has(sig.digest) && deltaBlobs.has(sbom.digest) && deltaBlobs.has(image.digest));
    const layers = (await readdir(join(layout.dir, 'blobs', 'sha256'))).map((h) => `sha256:${h}`).filter((d) => !deltaBlobs.has(d));
    assert.equal(layers.length, 4, "the image's 2 layers and 2 configs stay home");
    const changedTotal = changedBytes.reduce((a, b) => a + b, 0);
    assert.equal(changed.reduce((n, d) => n + deltaBlobs.get(d)!, 0), changedTotal);
    const total = [...deltaBlobs.values()].reduce((a, b) => a + b, 0);
    // the rest (~24 KB): app (CV index, manifest, config, descriptor layer: a tar of 20 resources and a signature),
    // lib (manifest, config, descriptor layer), the image index and its 2 manifests, the 2 referrer manifests
    assert.ok(total - changedTotal < 32 * 1024, `delta holds ${total} bytes for ${changedTotal} changed`);
    t.diagnostic(`delta: ${deltaBlobs.size} blobs, ${total} bytes, ${changedTotal} of them changed resources`);
    assert.ok((await stat(p('delta.tgz'))).size < total + 16 * 1024, 'the archive adds little');
    const record = JSON.parse(execFileSync('tar', ['-xzOf', p('delta.tgz'), DELTA_FILE]).toString()) as DeltaManifest;
    const omitted = new Set(record.omitted.map((e) => e.digest));
    for (const [name, d] of v11) assert.equal(omitted.has(d), !CHANGED.includes(name), `${name} is recorded as omitted iff unchanged`);
  });

  await t.test('import into a target lacking an omitted blob fails before writing, naming the blobs', async () => {
    const before = await registryBlobs(gap.dataDir);
    const r = await runOcm(['transfer', 'cv', `ctf::${p('delta.tgz')}//${APP}:1.1.0`, `${gap.url}/empty`, '--recursive', '--copy-resources']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^Error: delta .* lacks \d+ blob\(s\) it left out: sha256:[0-9a-f]{64} \(\d+ bytes/);
    for (const [name, d] of v11) if (!CHANGED.includes(name)) assert.ok(r.stderr.includes(d), `${name} (${d}) is named`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(await registryBlobs(gap.dataDir), before, 'no blob written');
    const tags = await fetch(`${gap.url}/v2/empty/${componentRepositoryName(APP)}/tags/list`);
    assert.equal(tags.status, 404, 'no repository, no tag');
    await tags.body?.cancel();
  });

  await t.test('import into the air-gapped side completes; verify --recursive passes; skopeo finds the signature tag', async () => {
    await ok(['transfer', 'cv', `ctf::${p('delta.tgz')}//${APP}:1.1.0`, airgap, '--recursive', '--copy-resources', '-q']);
    const v = await ok(['verify', 'cv', `${airgap}//${APP}:1.1.0`, '--recursive', '--signature', 'acme', '--public-key', p('pub.pem')]);
    assert.match(v.stdout, new RegExp(`verified ${APP.replace(/\./g, '\\.')}:1\\.1\\.0`));
    assert.match(v.stdout, new RegExp(`verified ${LIB.replace(/\./g, '\\.')}:1\\.0\\.0`));
    const s = await inspect(`${cvRepo}:${tagOf(image)}.sig`);
    assert.equal(digestOf(Buffer.from(JSON.stringify(s))), sig.digest, 'the signature manifest, byte for byte');
    const idx = await inspect(`${cvRepo}:${tagOf(image)}`);
    assert.deepEqual(idx?.manifests?.map((m) => m.digest), [sbom.digest], 'the SBOM is listed in the fallback index');
    const inv = JSON.parse((await ok(['get', 'inventory', airgap, '--component', APP, '-o', 'json'])).stdout) as Inventory;
    assert.deepEqual(inv.componentVersions.map((x) => `${x.component}:${x.version}`), [`${APP}:1.0.0`, `${APP}:1.1.0`, `${LIB}:1.0.0`]);
  });
});
