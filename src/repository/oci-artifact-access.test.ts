import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isOcmError } from '../runtime/errors.js';
import { runOcm } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { startRegistry } from '../testing/registry.js';
import { sha256 as sha, writeTinyImageLayout } from '../testing/oci-image.js';
import { writeOciLayoutDir } from '../oci/layout/index.js';
import { RegistryClient } from '../oci/remote/client.js';
import { ociArtifactAccess } from './oci-artifact-access.js';

const execFileP = promisify(execFile);

test('an image pushed by skopeo is referenced by an ociArtifact resource and downloaded as an OCI layout skopeo accepts', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const manifestDigest = await writeTinyImageLayout(join(tmp.path, 'img'));
  await execFileP('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${join(tmp.path, 'img')}:v1`, `docker://${reg.host}/images/hello:v1`]);
  const imageRef = `${reg.host}/images/hello:v1`;

  // The artifact digest is the manifest digest the reference resolves to.
  const ctx = { component: 'acme.org/img', version: '1.0.0' };
  const d = await ociArtifactAccess.artifactDigest({ type: 'ociArtifact', imageReference: imageRef }, ctx, 'ociArtifactDigest/v1');
  assert.deepEqual(d, { hashAlgorithm: 'SHA-256', normalisationAlgorithm: 'ociArtifactDigest/v1', value: manifestDigest.slice(7) });

  await writeFile(
    join(tmp.path, 'component-constructor.yaml'),
    `components:
- name: acme.org/img
  version: 1.0.0
  provider:
    name: acme.org
  resources:
  - name: image
    type: ociImage
    version: 1.0.0
    access:
      type: ociArtifact
      imageReference: ${imageRef}
`,
  );
  const add = await runOcm(['add', 'cv', '-r', `${reg.url}/ocm`, '-c', 'component-constructor.yaml'], { cwd: tmp.path });
  assert.equal(add.code, 0, add.stderr);
  const out = join(tmp.path, 'image.tar');
  const dl = await runOcm(['download', 'resource', `${reg.url}/ocm//acme.org/img:1.0.0`, '--identity', 'name=image', '-O', out]);
  assert.equal(dl.code, 0, dl.stderr);
  const inspected = await execFileP('skopeo', ['inspect', '--raw', `oci-archive:${out}`]);
  assert.equal(sha(Buffer.from(inspected.stdout)), manifestDigest);
  await execFileP('skopeo', ['copy', '-q', `oci-archive:${out}`, `oci:${join(tmp.path, 'copy')}:v1`]);
  const index = JSON.parse(await readFile(join(tmp.path, 'copy', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.equal(index.manifests[0]!.digest, manifestDigest);

  // The directory form of the layout writer is read by skopeo as oci:<dir>:<tag>.
  const client = new RegistryClient();
  t.after(() => client.close());
  const repo = client.repository(reg.host, 'images/hello');
  await writeOciLayoutDir(repo, await repo.resolve('v1'), join(tmp.path, 'dir-layout'), { refName: 'v1' });
  const fromDir = await execFileP('skopeo', ['inspect', '--raw', `oci:${join(tmp.path, 'dir-layout')}:v1`]);
  assert.equal(sha(Buffer.from(fromDir.stdout)), manifestDigest);
});

test('an ociArtifact pinned to a digest that the registry does not hold is NOT_FOUND', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const ctx = { component: 'acme.org/img', version: '1.0.0' };
  const ref = `${reg.host}/images/none@sha256:${'0'.repeat(64)}`;
  await assert.rejects(ociArtifactAccess.open({ type: 'ociArtifact', imageReference: ref }, ctx), (e: unknown) => isOcmError(e, 'NOT_FOUND'));
  await assert.rejects(ociArtifactAccess.open({ type: 'ociArtifact' }, ctx), (e: unknown) => isOcmError(e, 'VALIDATION_FAILED'));
});

test('ociArtifact names the registry as its consumer identity and reads with the credentials the caller resolved for it', async (t) => {
  const reg = await startRegistry({ auth: 'htpasswd' });
  t.after(() => reg.stop());
  const tmp = await tempDir();
  t.after(() => tmp.dispose());
  const manifestDigest = await writeTinyImageLayout(join(tmp.path, 'img'));
  const user = reg.users[0]!;
  await execFileP('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-creds', `${user.username}:${user.password}`, `oci:${join(tmp.path, 'img')}:v1`, `docker://${reg.host}/images/auth:v1`]);
  const access = { type: 'ociArtifact', imageReference: `${reg.host}/images/auth:v1` };
  assert.deepEqual(ociArtifactAccess.consumerIdentity(access), { type: 'OCIRegistry', hostname: '127.0.0.1', port: String(reg.port) });

  const ctx = { component: 'acme.org/img', version: '1.0.0' };
  await assert.rejects(ociArtifactAccess.artifactDigest(access, ctx, 'ociArtifactDigest/v1'), (e: unknown) => isOcmError(e, 'UNAUTHORIZED'));
  const withCreds = { ...ctx, credentials: { username: user.username, password: user.password } };
  const d = await ociArtifactAccess.artifactDigest(access, withCreds, 'ociArtifactDigest/v1');
  assert.equal(`sha256:${d!.value}`, manifestDigest);
  const content = await ociArtifactAccess.open(access, withCreds);
  let size = 0;
  for await (const chunk of content.stream) size += (chunk as Buffer).length;
  assert.ok(size > 0);
});
