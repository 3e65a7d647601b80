import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openCtf } from '../ctf/store.js';
import { digestOf } from '../digest/digest.js';
import { Annotation, MediaType } from '../oci/content/media-types.js';
import type { ImageIndex, OciDescriptor, Target } from '../oci/content/types.js';
import { componentRepositoryName as componentRepository } from '../repository/oci-mapping/tags.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { APP, verifyGraph } from '../testing/graph-fixture.js';
import { registryAvailable, startRegistry } from '../testing/registry.js';
import { CREDS, run, skopeoAvailable, startPair } from '../testing/registry-fixture.js';

const skip = !registryAvailable() || !skopeoAvailable() ? 'docker-registry or skopeo not installed' : false;

async function put(repo: Target, mediaType: string, content: Buffer | object, extra: Partial<OciDescriptor> = {}): Promise<OciDescriptor> {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(JSON.stringify(content));
  const desc: OciDescriptor = { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra };
  await repo.push(desc, Readable.from([bytes]));
  return desc;
}

const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 };
const tagOf = (d: OciDescriptor) => d.digest.replace(':', '-');

/** A cosign-style signature (simple signing payload, no `subject`), tagged `sha256-<hex>.sig`. */
async function cosignSignature(repo: Target, subject: OciDescriptor): Promise<OciDescriptor> {
  const payload = { critical: { identity: { 'docker-reference': 'images/app' }, image: { 'docker-manifest-digest': subject.digest }, type: 'cosign container image signature' }, optional: null };
  const layer = await put(repo, 'application/vnd.dev.cosign.simplesigning.v1+json', payload);
  const config = await put(repo, 'application/vnd.oci.image.config.v1+json', { architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] }, config: {} });
  const m = await put(repo, MediaType.ociManifest, {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: [{ ...layer, annotations: { 'dev.cosignproject.cosign/signature': Buffer.from(`not-a-real-signature-of-${subject.digest}`).toString('base64') } }],
  });
  await repo.tag(m, `${tagOf(subject)}.sig`);
  return m;
}

/** An OCI 1.1 referrer (`subject`, artifactType), listed in the `sha256-<hex>` fallback index as oras does without the API. */
async function ociReferrer(repo: Target, subject: OciDescriptor, artifactType: string, body: object, also: OciDescriptor[] = []): Promise<OciDescriptor> {
  await put(repo, EMPTY.mediaType, Buffer.from('{}'));
  const layer = await put(repo, artifactType, body);
  const m = await put(
    repo,
    MediaType.ociManifest,
    { schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType, config: EMPTY, layers: [layer], subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } },
    { artifactType },
  );
  const index = await put(repo, MediaType.ociIndex, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...also, { mediaType: m.mediaType, digest: m.digest, size: m.size, artifactType }] });
  await repo.tag(index, tagOf(subject));
  return m;
}

test('image referrers travel with images copied by value: cosign tags, the referrers tag schema, recursively; --no-referrers; through a CTF', { skip }, async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const pair = await startPair(startRegistry, dir.path);
  t.after(() => pair.stop());
  const cv = `${APP.name}:${APP.version}`;
  const image = pair.image.root;
  const pub = join(dir.path, 'pub.pem');
  await writeFile(pub, pair.graph.publicKeyPem);
  const ocm = (args: string[]) => runOcm(['--config', pair.config, ...args]);
  /** `ocm verify` at the target: the signature (made at the source before the transfer) and every digest. */
  const verifyCli = async (repo: string) => {
    const r = await ocm(['verify', 'cv', `${repo}//${cv}`, '--public-key', pub, '--recursive']);
    assert.equal(r.code, 0, `verify ${repo}: ${r.stderr}`);
  };
  /** The raw manifest skopeo reads at `ref`, or undefined if it has none. */
  const inspect = async (ref: string): Promise<{ layers?: OciDescriptor[]; manifests?: OciDescriptor[]; subject?: OciDescriptor } | undefined> => {
    try {
      const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', CREDS, `docker://${ref}`]);
      return JSON.parse(stdout);
    } catch (e) {
      if (/manifest unknown|not found/i.test(String((e as { stderr?: string }).stderr))) return undefined;
      throw e;
    }
  };

  // At the source: a signature, an SBOM (OCI 1.1, found via the fallback index) and a signature of the SBOM.
  const a = await pair.open(`http://${pair.a.host}`);
  const srcRepo = a.store.repository('images/app');
  const sig = await cosignSignature(srcRepo, image);
  const sbom = await ociReferrer(srcRepo, image, 'application/spdx+json', { spdxVersion: 'SPDX-2.3', name: 'app' });
  const sbomSig = await cosignSignature(srcRepo, sbom);
  await a.close();

  /** The three referrers are found at `host/repo` by their tags, as cosign and oras look for them. */
  const assertReferrers = async (repo: string, others: string[] = []) => {
    const s = await inspect(`${repo}:${tagOf(image)}.sig`);
    assert.equal(s?.layers?.[0]?.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json', `signature at ${repo}`);
    assert.equal(digestOf(Buffer.from(JSON.stringify(s))), sig.digest);
    const idx = await inspect(`${repo}:${tagOf(image)}`);
    assert.deepEqual(idx?.manifests?.map((m) => m.digest).sort(), [sbom.digest, ...others].sort(), `fallback index at ${repo}`);
    assert.equal(idx?.manifests?.find((m) => m.digest === sbom.digest)?.artifactType, 'application/spdx+json');
    const sb = await inspect(`${repo}@${sbom.digest}`);
    assert.equal(sb?.subject?.digest, image.digest);
    assert.ok(await inspect(`${repo}:${tagOf(sbom)}.sig`), `signature of the SBOM at ${repo}`);
  };

  await t.test('registry → registry as ociArtifact: signature, SBOM and its signature at the target; an existing fallback index is merged', async () => {
    // another tool already attached something to the image at the target: it must stay listed
    const b = await pair.open(`http://${pair.b.host}`);
    const other = await ociReferrer(b.store.repository('mirror/images/app'), image, 'application/vnd.example.attestation', { ok: true });
    await b.close();
    const r = await ocm(['transfer', 'cv', `${pair.source}//${cv}`, `http://${pair.b.host}/mirror`, '-r', '--copy-resources', '--upload-as', 'ociArtifact', '--verify']);
    assert.equal(r.code, 0, r.stderr);
    await assertReferrers(`${pair.b.host}/mirror/images/app`, [other.digest]);
    await verifyCli(`http://${pair.b.host}/mirror`);
  });

  await t.test('--no-referrers copies none', async () => {
    const r = await ocm(['transfer', 'cv', `${pair.source}//${cv}`, `http://${pair.b.host}/noref`, '-r', '--copy-resources', '--upload-as', 'ociArtifact', '--no-referrers']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await inspect(`${pair.b.host}/noref/images/app:1.0`), 'the image itself is there');
    assert.equal(await inspect(`${pair.b.host}/noref/images/app:${tagOf(image)}.sig`), undefined);
    assert.equal(await inspect(`${pair.b.host}/noref/images/app:${tagOf(image)}`), undefined);
    assert.equal(await inspect(`${pair.b.host}/noref/images/app@${sbom.digest}`), undefined);
  });

  await t.test('registry → CTF (inside the CV index) → registry: re-attached beside the image, signature still verifies', async () => {
    const tgz = join(dir.path, 'airgap.tgz');
    const r1 = await ocm(['transfer', 'cv', `${pair.source}//${cv}`, tgz, '-r', '--copy-resources', '--verify']);
    assert.equal(r1.code, 0, r1.stderr);
    const ctf = await openCtf(tgz, { readOnly: true });
    try {
      // the descriptor, its signature and the image's resource digest are unchanged; only the
      // (unsigned) CV index grew by the referrer manifests, annotated with subject and tags
      const [app] = await verifyGraph(ctf, pair.graph);
      assert.equal(app!.component.resources.find((x) => x.name === 'image')!.access['localReference'], image.digest);
      const repo = ctf.repository(componentRepository(APP.name));
      const root = await repo.resolve('1.0.0');
      const idx = JSON.parse((await (await import('node:stream/consumers')).buffer(await repo.fetch(root))).toString()) as ImageIndex;
      const refs = idx.manifests.filter((m) => m.annotations?.[Annotation.referrerTags]);
      assert.deepEqual(
        refs.map((m) => [m.digest, m.annotations![Annotation.referrerSubject], m.annotations![Annotation.referrerTags]]).sort(),
        [
          [sig.digest, image.digest, `${tagOf(image)}.sig`],
          [sbom.digest, image.digest, tagOf(image)],
          [sbomSig.digest, sbom.digest, `${tagOf(sbom)}.sig`],
        ].sort(),
      );
    } finally {
      await ctf.close();
    }
    const r2 = await ocm(['transfer', 'cv', `ctf::${tgz}//${cv}`, `http://${pair.b.host}/airgap`, '-r', '--verify']);
    assert.equal(r2.code, 0, r2.stderr);
    // the image stays a local blob of the CV: its referrers are tagged in the CV's repository
    await assertReferrers(`${pair.b.host}/airgap/${componentRepository(APP.name)}`);
    await verifyCli(`http://${pair.b.host}/airgap`);
    const versions = await ocm(['get', 'cv', `http://${pair.b.host}/airgap//${APP.name}`, '-o', 'json']);
    assert.equal(versions.code, 0, versions.stderr);
    assert.doesNotMatch(versions.stdout, /sha256-/, 'referrer tags are not listed as versions');
  });
});
