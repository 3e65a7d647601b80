import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCtf } from '../ctf/store.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { registryAvailable, startRegistry } from '../testing/registry.js';
import { componentRepositoryName as componentRepository, toTag } from '../repository/oci-mapping/tags.js';
import { CREDS, rootsIn, run, skopeoAvailable, startPair } from '../testing/registry-fixture.js';
import { APP, verifyGraph } from '../testing/graph-fixture.js';

const skip = !registryAvailable() || !skopeoAvailable() ? 'docker-registry or skopeo not installed' : false;

test('registry ↔ registry ↔ CTF: every pattern keeps descriptors, digests and signatures; skopeo pulls the result', { skip }, async (t) => {
  const dir = await tempDir();
  t.after(() => dir.dispose());
  const pair = await startPair(startRegistry, dir.path);
  t.after(() => pair.stop());
  const ocm = (args: string[]) => runOcm(['--config', pair.config, 'transfer', 'cv', ...args, '--progress', 'lines']);
  const pub = join(dir.path, 'pub.pem');
  await writeFile(pub, pair.graph.publicKeyPem);
  /** `ocm verify cv --recursive` at the target: signatures and every resource and reference digest. */
  const verifyCli = async (ref: string) => {
    const r = await runOcm(['--config', pair.config, 'verify', 'cv', `${ref}//${cv}`, '--public-key', pub, '--recursive']);
    assert.equal(r.code, 0, `verify ${ref}: ${r.stderr}`);
  };
  const cv = `${APP.name}:${APP.version}`;
  const src = await pair.open(`http://${pair.a.host}`, 'ocm');
  t.after(() => src.close());
  const sourceRoots = await rootsIn(src.store, 'ocm');
  const imageDigest = pair.image.root.digest;

  await t.test('htpasswd registry → token registry by value as ociArtifact', async () => {
    const r = await ocm([`${pair.source}//${cv}`, `http://${pair.b.host}/mirror`, '-r', '--copy-resources', '--upload-as', 'ociArtifact', '--verify']);
    assert.equal(r.code, 0, r.stderr);
    const dst = await pair.open(`http://${pair.b.host}`, 'mirror');
    try {
      const roots = await rootsIn(dst.store, 'mirror');
      assert.deepEqual(roots.slice(1), sourceRoots.slice(1), 'versions without external artifacts are byte-identical');
      const [app] = await verifyGraph(dst.store, pair.graph, 'mirror');
      const image = app!.component.resources.find((x) => x.name === 'image')!;
      assert.equal(image.access['imageReference'], `${pair.b.host}/mirror/images/app:1.0@${imageDigest}`);
      assert.equal(image.digest?.normalisationAlgorithm, 'ociArtifactDigest/v1');
      assert.equal((await dst.store.repository('mirror/images/app').resolve('1.0')).digest, imageDigest);
    } finally {
      await dst.close();
    }
    await verifyCli(`http://${pair.b.host}/mirror`);
    const out = join(dir.path, 'pulled-b');
    await run('skopeo', ['copy', '-q', '--all', '--src-tls-verify=false', '--src-creds', CREDS, `docker://${pair.b.host}/mirror/images/app:1.0`, `oci:${out}:x`]);
  });

  await t.test('registry → tgz CTF by value as localBlob (air gap), then tgz → token registry', async () => {
    const tgz = join(dir.path, 'airgap.tgz');
    const r1 = await ocm([`${pair.source}//${cv}`, tgz, '-r', '--copy-resources', '--verify']);
    assert.equal(r1.code, 0, r1.stderr);
    const ctf = await openCtf(tgz, { readOnly: true });
    let ctfRoots;
    try {
      ctfRoots = await rootsIn(ctf);
      assert.deepEqual(ctfRoots.slice(1), sourceRoots.slice(1));
      const [app] = await verifyGraph(ctf, pair.graph);
      const image = app!.component.resources.find((x) => x.name === 'image')!;
      assert.equal(image.access.type, 'localBlob');
      assert.equal(image.access['localReference'], imageDigest);
      assert.ok(await ctf.repository(componentRepository(APP.name)).exists(pair.image.root), 'image travels inside the CTF');
    } finally {
      await ctf.close();
    }
    // `ocm verify` of the index-based (by-value localBlob) form needs signing/digests.ts to take the
    // manifest digest of a localBlob whose media type is an OCI manifest/index (not an artifact-set
    // tar); until then the signatures and the kept digest are checked through the library above.
    const r2 = await ocm([`ctf::${tgz}//${cv}`, `http://${pair.b.host}/airgap`, '-r', '--verify']);
    assert.equal(r2.code, 0, r2.stderr);
    const dst = await pair.open(`http://${pair.b.host}`, 'airgap');
    try {
      assert.deepEqual(await rootsIn(dst.store, 'airgap'), ctfRoots, 'CTF → registry is byte-identical');
      await verifyGraph(dst.store, pair.graph, 'airgap');
    } finally {
      await dst.close();
    }
    const out = join(dir.path, 'pulled-airgap');
    await run('skopeo', ['copy', '-q', '--all', '--src-tls-verify=false', '--src-creds', CREDS, `docker://${pair.b.host}/airgap/${componentRepository(APP.name)}@${imageDigest}`, `oci:${out}:x`]);
  });

  await t.test('within one registry: by reference, blobs are mounted, not copied', async () => {
    const r = await ocm([`${pair.source}//${cv}`, `http://${pair.a.host}/copy`, '-r']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^mounted /m);
    // only manifests (about 1 KiB) are uploaded; the 3000-byte local blobs are all mounted
    const copied = [...r.stderr.matchAll(/^copied {2}sha256:\S+ ([\d.]+) (B|KiB)$/gm)].map((m) => Number(m[1]) * (m[2] === 'KiB' ? 1024 : 1));
    assert.ok(copied.length > 0 && copied.every((n) => n < 2900), `copied sizes ${copied.join(', ')}`);
    const dst = await pair.open(`http://${pair.a.host}`, 'copy');
    try {
      assert.deepEqual(await rootsIn(dst.store, 'copy'), sourceRoots);
      await verifyGraph(dst.store, pair.graph, 'copy');
    } finally {
      await dst.close();
    }
    await verifyCli(`http://${pair.a.host}/copy`);
  });

  await t.test('token registry → directory CTF and a rerun that moves nothing', async () => {
    const out = join(dir.path, 'ctf-dir');
    const r = await ocm([`http://${pair.b.host}/mirror//${cv}`, out, '-r']);
    assert.equal(r.code, 0, r.stderr);
    await verifyCli(`ctf::${out}`);
    const again = await ocm([`http://${pair.b.host}/mirror//${cv}`, out, '-r']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /transferred 0 of 3 .*3 already present/);
    assert.match(again.stderr, / 0 B moved/);
    const ctf = await openCtf(out, { readOnly: true });
    const mirror = await pair.open(`http://${pair.b.host}`, 'mirror');
    try {
      await verifyGraph(ctf, pair.graph);
      assert.equal((await ctf.repository(componentRepository(APP.name)).resolve(toTag(APP.version))).digest, (await rootsIn(mirror.store, 'mirror'))[0]);
    } finally {
      await ctf.close();
      await mirror.close();
    }
  });
});
